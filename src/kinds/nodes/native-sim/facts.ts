// The facts of the "native-sim" node kind (see NodeKindFacts): its TAP ports and names, its
// seed. No zod here.
import { hostFacts } from '../host/facts.js';
import type { HostNodeSpec } from '../host/definition.js';
import type { NativeSimNodeSpec, NativeSimPortSpec } from './definition.js';
import { defineNodeKindFacts, type PortAddress } from '../../../shared/topology/kinds/types.js';

/** The port a native-sim node has when the file declares none (Zephyr's single TAP "zeth"). */
export const DEFAULT_NATIVE_SIM_PORT = 'eth0';

/** CONFIG_ETH_NATIVE_TAP_DRV_NAME's default: the TAP name, or its prefix with several TAPs. */
export const DEFAULT_NATIVE_TAP_NAME = 'zeth';

/** The TAP ports of a node in tap mode, in order (default one port "eth0"). */
export function nativeSimPorts(spec: NativeSimNodeSpec): [string, NativeSimPortSpec][] {
  const ports = Object.entries(spec.ports ?? {});
  return ports.length > 0 ? ports : [[DEFAULT_NATIVE_SIM_PORT, {}]];
}

/** The TAP name zephyr.exe opens for port number `index` of `count`. */
export function nativeSimTapName(
  spec: NativeSimNodeSpec,
  port: NativeSimPortSpec,
  index: number,
  count: number,
): string {
  if (port.tap !== undefined) return port.tap;
  return count === 1 ? spec.drvName : `${spec.drvName}${index}`;
}

/** The host-like view of an offloaded node, for the host kind's checks. */
export function offloadedHostSpec(spec: NativeSimNodeSpec): HostNodeSpec {
  return {
    kind: 'host',
    shell: ['/bin/sh'],
    ...(spec.interfaces ? { interfaces: spec.interfaces } : {}),
    ...(spec.routes ? { routes: spec.routes } : {}),
  };
}

function addresses(spec: NativeSimNodeSpec): PortAddress[] {
  if (spec.sockets === 'offloaded') return hostFacts.addresses?.(offloadedHostSpec(spec)) ?? [];
  const first = nativeSimPorts(spec)[0]?.[0] ?? DEFAULT_NATIVE_SIM_PORT;
  const out: PortAddress[] = [];
  if (spec.ipv4 !== undefined)
    out.push({ port: first, type: 'ipv4', value: spec.ipv4, path: ['ipv4'] });
  if (spec.mac !== undefined)
    out.push({ port: first, type: 'mac', value: spec.mac, path: ['mac'] });
  else if (spec.seed !== undefined)
    out.push({ port: first, type: 'mac-seed', value: String(macSeed(spec.seed)), path: ['seed'] });
  return out;
}

/**
 * The seed as native_sim's entropy source uses it: it seeds the C library's random(), where
 * srandom(0) and srandom(1) are the same sequence (measured on real builds: seeds 0 and 1 give
 * the same MAC).
 */
export function macSeed(seed: number): number {
  return seed === 0 ? 1 : seed;
}

/** The native-sim kind's facts. */
export const nativeSimFacts = defineNodeKindFacts<NativeSimNodeSpec>()({
  kind: 'native-sim',
  icon: 'sim',
  description: 'Zephyr native_sim (zephyr.exe) on TAPs or offloaded sockets.',
  attach: 'port',
  portsKey: 'ports',
  declaredPorts: (spec) =>
    spec.sockets === 'offloaded'
      ? Object.keys(spec.interfaces ?? {})
      : nativeSimPorts(spec).map(([name]) => name),
  addresses,
});
