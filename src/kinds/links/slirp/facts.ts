// The facts of the "slirp" link kind: its port forwards and addresses. No zod here.
import { formatIp, parseCidr, type Cidr } from '../../../shared/topology/address.js';
import { describeValue } from '../../../shared/topology/text.js';
import type { SlirpLinkSpec } from './definition.js';

/** QEMU's default user network, the one Zephyr's docs use. */
export const DEFAULT_SLIRP_NETWORK = '10.0.2.0/24';

/** First DHCP lease of QEMU's default user network. */
export const DEFAULT_SLIRP_DHCP_START = '10.0.2.15';

/** One host forward: a host port in the engine's namespace to a guest port. */
export interface SlirpForward {
  proto: 'tcp' | 'udp';
  hostPort: number;
  guestPort: number;
}

const FORWARD_RE = /^(tcp|udp):([0-9]{1,5})-([0-9]{1,5})$/;

export const FORWARD_EXAMPLE = 'tcp:8080-80';

/** Parses "tcp:HOSTPORT-GUESTPORT"; returns the forward or the whole problem sentence. */
export function parseSlirpForward(text: string): SlirpForward | string {
  const m = FORWARD_RE.exec(text);
  if (!m) {
    return `${describeValue(text)} is not a forward; write tcp|udp:HOSTPORT-GUESTPORT, e.g. ${FORWARD_EXAMPLE}`;
  }
  const hostPort = Number(m[2]);
  const guestPort = Number(m[3]);
  for (const [what, port] of [
    ['host', hostPort],
    ['guest', guestPort],
  ] as const) {
    if (port < 1 || port > 65535) {
      return `${describeValue(text)}: ${what} port ${port} is out of range; use 1-65535`;
    }
  }
  return { proto: m[1] === 'udp' ? 'udp' : 'tcp', hostPort, guestPort };
}

/** Formats a forward back to its text form. */
export function formatSlirpForward(f: SlirpForward): string {
  return `${f.proto}:${f.hostPort}-${f.guestPort}`;
}

function ipv4Number(text: string): number | undefined {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return undefined;
  }
  return (
    (((parts[0] ?? 0) << 24) |
      ((parts[1] ?? 0) << 16) |
      ((parts[2] ?? 0) << 8) |
      (parts[3] ?? 0)) >>>
    0
  );
}

/** The host index of `address` in `net` when it may be a DHCP lease (not network, .2, .3 or broadcast). */
export function slirpHostIndex(net: Cidr, address: string): number | undefined {
  const base = ipv4Number(formatIp(net.address));
  const a = ipv4Number(address);
  if (base === undefined || a === undefined) return undefined;
  const size = 2 ** (32 - net.prefix);
  const netBase = base - (base % size);
  const index = a - netBase;
  if (index <= 0 || index >= size - 1 || index === 2 || index === 3) return undefined;
  return index;
}

/** The addresses QEMU uses on a user network: gateway .2, DNS .3, DHCP start (.15 by default). */
export function slirpAddresses(spec: Pick<SlirpLinkSpec, 'network' | 'dhcpStart'>): {
  network: string;
  gateway: string;
  dns: string;
  dhcpStart: string;
} {
  const net = parseCidr(spec.network, 4);
  const base = net.ok ? (ipv4Number(formatIp(net.value.address)) ?? 0) : 0;
  const size = net.ok ? 2 ** (32 - net.value.prefix) : 256;
  const netBase = base - (base % size);
  const at = (i: number): string =>
    [24, 16, 8, 0].map((s) => ((netBase + i) >>> s) & 255).join('.');
  return {
    network: `${at(0)}/${net.ok ? net.value.prefix : 24}`,
    gateway: at(2),
    dns: at(3),
    dhcpStart: spec.dhcpStart ?? at(Math.min(15, size - 2)),
  };
}
