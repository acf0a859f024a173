// The facts of the "switch" node kind (see NodeKindFacts): the lab's addresses on a segment and
// its services with their defaults. No zod here.
import {
  formatCidr,
  formatIp,
  networkOf,
  parseCidr,
  type Cidr,
  type IpAddress,
} from '../../../shared/topology/address.js';
import type { SwitchHostSpec, SwitchNodeSpec } from './definition.js';
import { defineNodeKindFacts, type PortAddress } from '../../../shared/topology/kinds/types.js';

/** Default MAC aging time in seconds, the same as the Linux bridge default. */
export const DEFAULT_SWITCH_AGING = 300;

/** The lab's addresses on a segment when `host: {}` names none (Zephyr's net-tools). */
export const DEFAULT_SWITCH_HOST_IPV4 = '192.0.2.2/24';

/** See DEFAULT_SWITCH_HOST_IPV4. */
export const DEFAULT_SWITCH_HOST_IPV6 = '2001:db8::2/64';

/** The DHCP pool of Zephyr's net-tools (dnsmasq.conf): offsets 16-32 of the host's subnet. */
export const DEFAULT_DHCP_OFFSETS = { start: 16, end: 32 } as const;

/** Lease time of the net-tools setup: one hour. */
export const DEFAULT_DHCP_LEASE_S = 3600;

/** MTU that net-tools' radvd.conf advertises: the IPv6 minimum, safe over any Zephyr link. */
export const DEFAULT_RA_MTU = 1280;

/** The names Zephyr's samples resolve (net-tools dnsmasq.conf). */
export const DEFAULT_DNS_NAMES: Readonly<Record<string, string>> = {
  '4.zephyr.test': '192.0.2.1',
  '6.zephyr.test': '2001:db8::1',
};

/** What may answer a segment's dhcp, ra and dns (the `server` service setting). */
export const SERVICE_SERVERS = ['builtin', 'dnsmasq'] as const;

/** One of SERVICE_SERVERS. */
export type ServiceServer = (typeof SERVICE_SERVERS)[number];

/** The lab's addresses on a switch: the defaults apply when neither family is written. */
export function switchHostAddresses(host: SwitchHostSpec): { ipv4?: string; ipv6?: string } {
  if (host.ipv4 === undefined && host.ipv6 === undefined) {
    return { ipv4: DEFAULT_SWITCH_HOST_IPV4, ipv6: DEFAULT_SWITCH_HOST_IPV6 };
  }
  return {
    ...(host.ipv4 !== undefined ? { ipv4: host.ipv4 } : {}),
    ...(host.ipv6 !== undefined ? { ipv6: host.ipv6 } : {}),
  };
}

/** The services of a switch with every default filled in. */
export interface ResolvedServices {
  /** The lab's interface address (IPv4 CIDR), when it has one. */
  ipv4?: string;
  /** The lab's interface address (IPv6 CIDR), when it has one. */
  ipv6?: string;
  dhcp?: { start: string; end: string; lease: number; netmask: string };
  ra?: { prefix: string; mtu: number };
  dns?: { names: Record<string, string> };
  nat: boolean;
  /** The server written in the topology; undefined: dnsmasq when installed, else builtin. */
  server?: ServiceServer;
}

function offset(net: Cidr, n: number): IpAddress {
  const bytes = [...networkOf(net).address.bytes];
  let carry = n;
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const v = (bytes[i] ?? 0) + carry;
    bytes[i] = v & 0xff;
    carry = v >> 8;
  }
  return { family: net.address.family, bytes };
}

function netmask(prefix: number): string {
  return formatIp(
    networkOf({ address: { family: 4, bytes: [255, 255, 255, 255] }, prefix }).address,
  );
}

/** Fills in the defaults of a switch's services; undefined when it has no `host`. */
export function resolveServices(spec: SwitchNodeSpec): ResolvedServices | undefined {
  if (!spec.host) return undefined;
  const addrs = switchHostAddresses(spec.host);
  const s = spec.services ?? {};
  const v4 = addrs.ipv4 !== undefined ? parseCidr(addrs.ipv4, 4) : undefined;
  const v6 = addrs.ipv6 !== undefined ? parseCidr(addrs.ipv6, 6) : undefined;
  const out: ResolvedServices = {
    ...addrs,
    nat: s.nat === true,
    ...(s.server !== undefined ? { server: s.server } : {}),
  };
  if (s.dhcp !== undefined && s.dhcp !== false && v4?.ok) {
    const custom = typeof s.dhcp === 'object' ? s.dhcp : undefined;
    out.dhcp = {
      start: custom?.start ?? formatIp(offset(v4.value, DEFAULT_DHCP_OFFSETS.start)),
      end: custom?.end ?? formatIp(offset(v4.value, DEFAULT_DHCP_OFFSETS.end)),
      lease: custom?.lease ?? DEFAULT_DHCP_LEASE_S,
      netmask: netmask(v4.value.prefix),
    };
  }
  if (s.ra !== undefined && s.ra !== false && v6?.ok) {
    const custom = typeof s.ra === 'object' ? s.ra : undefined;
    out.ra = {
      prefix: custom?.prefix ?? formatCidr(networkOf({ address: v6.value.address, prefix: 64 })),
      mtu: custom?.mtu ?? DEFAULT_RA_MTU,
    };
  }
  if (s.dns !== undefined && s.dns !== false) {
    out.dns = { names: typeof s.dns === 'object' ? { ...s.dns.names } : { ...DEFAULT_DNS_NAMES } };
  }
  return out;
}

/** The lab's own addresses on the segment, for the per-segment duplicate check. */
function switchAddresses(spec: SwitchNodeSpec): PortAddress[] {
  if (spec.host === undefined) return [];
  const written = spec.host.ipv4 !== undefined || spec.host.ipv6 !== undefined;
  const addr = switchHostAddresses(spec.host);
  const out: PortAddress[] = [];
  for (const type of ['ipv4', 'ipv6'] as const) {
    const value = addr[type];
    if (value !== undefined)
      out.push({ port: SWITCH_HOST_PORT, type, value, path: written ? ['host', type] : ['host'] });
  }
  return out;
}

/** The port name of the lab's own interface on a switch (fabric port "sw:host"). */
export const SWITCH_HOST_PORT = 'host';

/** The switch kind's facts. */
export const switchFacts = defineNodeKindFacts<SwitchNodeSpec>()({
  kind: 'switch',
  icon: 'switch',
  description: 'A learning Ethernet switch; link to it by its bare name.',
  attach: 'bare',
  addresses: switchAddresses,
});
