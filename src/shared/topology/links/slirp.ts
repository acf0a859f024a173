// The "slirp" link kind: QEMU user networking on one NIC of a qemu node (ZEPHYR-NETWORKING.md
// section 3). It has one endpoint: the far end is QEMU's own NAT, gateway and DHCP server, and
// host forwards bind in the engine's network namespace. ICMP does not cross SLIRP: ping fails.
import { z } from 'zod';
import { formatIp, parseCidr, parseIp, type Cidr } from '../address.js';
import { endpointSchema, expected } from '../fields.js';
import { describeValue } from '../text.js';
import { defineLinkKind, linkBaseShape } from './types.js';

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
const FORWARD_EXAMPLE = 'tcp:8080-80';

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

const forwardsSchema = z
  .array(z.string({ error: expected(`a forward such as ${FORWARD_EXAMPLE}`) }), {
    error: expected(`a list of forwards, e.g. [${FORWARD_EXAMPLE}]`),
  })
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((text, i) => {
      const f = parseSlirpForward(text);
      if (typeof f === 'string') {
        ctx.addIssue({ code: 'custom', path: [i], message: f });
        return;
      }
      const key = `${f.proto}:${f.hostPort}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `host port ${f.proto} ${f.hostPort} is already forwarded by forwards[${first}]; a host port can forward to one guest port only`,
        });
        return;
      }
      seen.set(key, i);
    });
  })
  .meta({
    description:
      'Host forwards "tcp|udp:HOSTPORT-GUESTPORT"; host ports bind in the lab\'s host namespace.',
  });

/** The network as an IPv4 CIDR, or the problem sentence. */
function checkNetwork(text: string): Cidr | string {
  const c = parseCidr(text, 4);
  if (!c.ok)
    return `${describeValue(text)} ${c.reason}; write an IPv4 network such as ${DEFAULT_SLIRP_NETWORK}`;
  if (c.value.prefix > 29) {
    return `network ${text} is too small for SLIRP's gateway, DNS and DHCP addresses; use a /29 or larger`;
  }
  return c.value;
}

/** Settings of a slirp link. */
export const slirpLinkSchema = z
  .strictObject({
    name: linkBaseShape.name,
    kind: z.literal('slirp'),
    endpoints: z
      .tuple([endpointSchema], {
        error: (issue: z.core.$ZodRawIssue) =>
          Array.isArray(issue.input)
            ? `a slirp link has one endpoint, the qemu NIC (e.g. endpoints: [g1:eth0]), but this list has ${issue.input.length}`
            : `expected a list with one endpoint, the qemu NIC, e.g. endpoints: [g1:eth0]`,
      })
      .meta({ description: 'The one end: the qemu node\'s NIC as "node:port".' }),
    network: z
      .string({ error: expected(`an IPv4 network such as ${DEFAULT_SLIRP_NETWORK}`) })
      .superRefine((s, ctx) => {
        const r = checkNetwork(s);
        if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
      })
      .default(DEFAULT_SLIRP_NETWORK)
      .meta({ description: 'The user network; the gateway is its .2, DNS its .3.' }),
    dhcpStart: z
      .string({ error: expected(`an IPv4 address such as ${DEFAULT_SLIRP_DHCP_START}`) })
      .optional()
      .meta({ description: 'First DHCP lease; default .15 of the network.' }),
    forwards: forwardsSchema.optional(),
    up: linkBaseShape.up,
  })
  .superRefine((link, ctx) => {
    if (link.dhcpStart === undefined) return;
    const net = checkNetwork(link.network);
    const ip = parseIp(link.dhcpStart);
    if (!ip.ok || ip.value.family !== 4) {
      ctx.addIssue({
        code: 'custom',
        path: ['dhcpStart'],
        message: `${describeValue(link.dhcpStart)} is not an IPv4 address; write one such as ${DEFAULT_SLIRP_DHCP_START}`,
      });
      return;
    }
    if (typeof net === 'string') return;
    if (slirpHostIndex(net, formatIp(ip.value)) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dhcpStart'],
        message: `DHCP start ${link.dhcpStart} is not a usable address of network ${link.network} (the gateway is .2 and DNS .3); pick one inside it, e.g. .15`,
      });
    }
  })
  .meta({
    title: 'slirp link',
    description: 'QEMU user networking (NAT) on one qemu NIC; ping does not work over it.',
  });

/** A slirp link as validated. */
export type SlirpLinkSpec = z.output<typeof slirpLinkSchema>;

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
function slirpHostIndex(net: Cidr, address: string): number | undefined {
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

/** The slirp link kind. */
export const slirpLinkKind = defineLinkKind({
  kind: 'slirp',
  description: 'QEMU user networking (NAT) on one qemu NIC; ping does not work over it.',
  linkType: 'ethernet',
  schema: slirpLinkSchema,
  endpointKinds: ['qemu'],
});
