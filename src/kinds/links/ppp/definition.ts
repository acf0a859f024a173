// The "ppp" link kind: PPP (RFC 1661, RFC 1662 framing) between a qemu node's serial port and
// a pppd the engine runs in the lab's namespace, the host side Zephyr's net-tools set up with
// `pppd ... 192.0.2.2:192.0.2.1` (ZEPHYR-NETWORKING.md, "Extras"). It has one endpoint, the
// serial port: the far end is the engine's pppd, and every frame crosses the fabric.
import { z } from 'zod';
import { parseIp } from '../../../shared/topology/address.js';
import { expected } from '../../../shared/topology/fields.js';
import { describeValue } from '../../../shared/topology/text.js';
import { DEFAULT_PPP_LOCAL, DEFAULT_PPP_PEER, OPTIONS_EXAMPLE, parsePppdOption } from './facts.js';
import {
  defineLinkKind,
  impairSchema,
  linkBaseShape,
  singleEndpointSchema,
} from '../../../shared/topology/links/types.js';

const ipv4Schema = (what: string, example: string): z.ZodType<string> =>
  z.string({ error: expected(`an IPv4 address such as ${example}`) }).superRefine((s, ctx) => {
    const p = parseIp(s, 4);
    if (!p.ok) {
      ctx.addIssue({
        code: 'custom',
        message: `${describeValue(s)} ${p.reason}; write ${what} as an IPv4 address such as ${example}`,
      });
    }
  });

/** Settings of a ppp link. */
export const pppLinkSchema = z
  .strictObject({
    name: linkBaseShape.name,
    kind: z.literal('ppp'),
    endpoints: singleEndpointSchema(
      'ppp',
      'a serial port',
      'z1:serial1',
      'The one end: a serial port as "node:serialN"; pppd is the other.',
      "; the far end is the engine's pppd",
    ),
    local: ipv4Schema("pppd's address", DEFAULT_PPP_LOCAL)
      .default(DEFAULT_PPP_LOCAL)
      .meta({ description: "pppd's own (host side) IPv4 address; default 192.0.2.2." }),
    peer: ipv4Schema("the node's address", DEFAULT_PPP_PEER)
      .default(DEFAULT_PPP_PEER)
      .meta({ description: 'IPv4 address pppd gives the node; default 192.0.2.1.' }),
    options: z
      .array(z.string({ error: expected(`a pppd option such as debug`) }), {
        error: expected(`a list of pppd options, e.g. ${OPTIONS_EXAMPLE}`),
      })
      .superRefine((list, ctx) => {
        list.forEach((text, i) => {
          const r = parsePppdOption(text);
          if (typeof r === 'string') ctx.addIssue({ code: 'custom', path: [i], message: r });
        });
      })
      .optional()
      .meta({
        description:
          'Extra pppd options, one per item ("debug", "mru 1280"), from an allow-list; never a shell.',
      }),
    binary: z
      .string({ error: expected('a pppd binary, e.g. pppd') })
      .min(1, { error: 'the binary is empty; name a pppd binary, e.g. pppd' })
      .optional()
      .meta({
        description: 'pppd binary (name on PATH or path relative to the file); default pppd.',
      }),
    up: linkBaseShape.up,
    impair: impairSchema.optional(),
  })
  .superRefine((link, ctx) => {
    if (link.local === link.peer) {
      ctx.addIssue({
        code: 'custom',
        path: ['peer'],
        message: `peer ${link.peer} is also pppd's local address; give the two ends different addresses, e.g. local: ${DEFAULT_PPP_LOCAL} and peer: ${DEFAULT_PPP_PEER}`,
      });
    }
  })
  .meta({
    title: 'ppp link',
    description:
      'PPP on a serial port to a pppd run by the engine (host 192.0.2.2, node 192.0.2.1).',
  });

/** A ppp link as validated. */
export type PppLinkSpec = z.output<typeof pppLinkSchema>;

/** The ppp link kind. */
export const pppLinkKind = defineLinkKind({
  kind: 'ppp',
  description: 'PPP (RFC 1662 framing) on a serial port to a pppd the engine runs.',
  linkType: 'ppp',
  schema: pppLinkSchema,
  serial: true,
});
