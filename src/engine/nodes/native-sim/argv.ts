// The command line of zephyr.exe for a native-sim node. Pure: unit-tested on exact argv.
import {
  nativeSimPorts,
  nativeSimTapName,
  type NativeSimNodeSpec,
} from '../../../shared/topology/kinds/index.js';
import { parseCidr } from '../../../shared/topology/address.js';

/** One TAP port as zephyr.exe sees it: the fabric port name and the TAP it opens. */
export interface NativeSimTap {
  /** Port name in the topology ("eth0"). */
  port: string;
  /** TAP name inside the node's namespace ("zeth", "zeth0"...). */
  tap: string;
  /** The option (without "--") that names the TAP, or undefined when Zephyr's default name is used. */
  flag: string | undefined;
}

/** The option that names the first (or only) TAP: the Ethernet TAP driver's "eth-if". */
export const ETH_IF_OPTION = 'eth-if';

/** The TAPs of a node in tap mode, with the option that names each one. */
export function nativeSimTaps(spec: NativeSimNodeSpec): NativeSimTap[] {
  const ports = nativeSimPorts(spec);
  return ports.map(([port, p], i) => {
    const tap = nativeSimTapName(spec, p, i, ports.length);
    let flag: string | undefined = p.flag;
    if (flag === undefined) {
      if (spec.flags === '4.5') {
        flag = i === 0 ? ETH_IF_OPTION : `${p.dtNode ?? `eth${i}`}_${ETH_IF_OPTION}`;
      } else if (ports.length === 1) {
        // 3.x: one global --eth-if renames every interface, so it is only given for one TAP;
        // several TAPs keep the driver's names <drvName>0..N-1.
        flag = ETH_IF_OPTION;
      }
    }
    return { port, tap, flag };
  });
}

/** Dotted netmask of an IPv4 prefix length, as --ipv4-nm takes it. */
export function ipv4Netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/** The arguments after zephyr.exe's path, in a fixed order. */
export function nativeSimArgs(spec: NativeSimNodeSpec): string[] {
  const args: string[] = [];
  if (spec.sockets === 'tap') {
    for (const t of nativeSimTaps(spec))
      if (t.flag !== undefined) args.push(`--${t.flag}=${t.tap}`);
    if (spec.mac !== undefined) args.push(`--mac-addr=${spec.mac}`);
    if (spec.ipv4 !== undefined) {
      const cidr = parseCidr(spec.ipv4, 4);
      const [address] = spec.ipv4.split('/');
      args.push(`--ipv4-addr=${address}`);
      if (cidr.ok) args.push(`--ipv4-nm=${ipv4Netmask(cidr.value.prefix)}`);
    }
    if (spec.gateway !== undefined) args.push(`--ipv4-gw=${spec.gateway}`);
  }
  if (spec.rt !== undefined) args.push(spec.rt ? '--rt' : '--no-rt');
  if (spec.seed !== undefined) args.push(`--seed=${spec.seed}`);
  args.push(...(spec.args ?? []));
  return args;
}
