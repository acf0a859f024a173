// The "slirp" link kind: QEMU user networking on one NIC of a qemu node (ZEPHYR-NETWORKING.md
// section 3). It has one endpoint: the far end is QEMU's own NAT, gateway and DHCP server, and
// host forwards bind in the engine's network namespace. ICMP does not cross SLIRP: ping fails.
import { z } from 'zod';
import { formatIp, parseCidr, parseIp, type Cidr } from '../../../shared/topology/address.js';
import { expected } from '../../../shared/topology/fields.js';
import { describeValue } from '../../../shared/topology/text.js';
import {
  DEFAULT_SLIRP_DHCP_START,
  DEFAULT_SLIRP_NETWORK,
  FORWARD_EXAMPLE,
  parseSlirpForward,
  slirpHostIndex,
} from './facts.js';
import {
  defineLinkKind,
  linkBaseShape,
  singleEndpointSchema,
} from '../../../shared/topology/links/types.js';

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

/** What a slirp link is, in the schema and the kind list alike. */
const SLIRP_DESCRIPTION = 'QEMU user networking (NAT) on one qemu NIC; ping does not work over it.';

/** Settings of a slirp link. */
export const slirpLinkSchema = z
  .strictObject({
    name: linkBaseShape.name,
    kind: z.literal('slirp'),
    endpoints: singleEndpointSchema(
      'slirp',
      'the qemu NIC',
      'g1:eth0',
      'The one end: the qemu node\'s NIC as "node:port".',
    ),
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
  .meta({ title: 'slirp link', description: SLIRP_DESCRIPTION });

/** A slirp link as validated. */
export type SlirpLinkSpec = z.output<typeof slirpLinkSchema>;

/** The slirp link kind. */
export const slirpLinkKind = defineLinkKind({
  kind: 'slirp',
  description: SLIRP_DESCRIPTION,
  linkType: 'ethernet',
  schema: slirpLinkSchema,
  endpointKinds: ['qemu'],
});
