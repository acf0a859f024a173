// The facts of the "host" node kind (see NodeKindFacts). No zod here.
import type { HostNodeSpec } from './definition.js';
import { defineNodeKindFacts, type PortAddress } from '../../../shared/topology/kinds/types.js';

/** Shell used for terminals opened in a host when `shell` is not set: present on every Linux. */
export const DEFAULT_HOST_SHELL: readonly string[] = ['/bin/sh'];

/** Normalizes "one address or a list" to a list. */
export function addressList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

function hostAddresses(spec: HostNodeSpec): PortAddress[] {
  const out: PortAddress[] = [];
  for (const [port, itf] of Object.entries(spec.interfaces ?? {})) {
    for (const type of ['ipv4', 'ipv6'] as const) {
      const value = itf[type];
      if (typeof value === 'string')
        out.push({ port, type, value, path: ['interfaces', port, type] });
      else
        value?.forEach((v, i) =>
          out.push({ port, type, value: v, path: ['interfaces', port, type, i] }),
        );
    }
    if (itf.mac !== undefined)
      out.push({ port, type: 'mac', value: itf.mac, path: ['interfaces', port, 'mac'] });
  }
  return out;
}

/** The host kind's facts. */
export const hostFacts = defineNodeKindFacts<HostNodeSpec>()({
  kind: 'host',
  icon: 'host',
  description: 'A Linux network namespace with interfaces, routes and a shell.',
  attach: 'port',
  portsKey: 'interfaces',
  declaredPorts: (spec) => Object.keys(spec.interfaces ?? {}),
  addresses: hostAddresses,
});
