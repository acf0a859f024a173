// What a link kind declares, and the fields every link kind shares.
import { z } from 'zod';
import type { LinkType } from '../../kinds.js';
import type { NodeSpec } from '../kinds/index.js';
import type { KindIssue } from '../kinds/types.js';
import { parseImpairment } from '../../impairment.js';
import { describeValue, listChoices } from '../text.js';
import { endpointSchema, expected, linkNameSchema } from '../fields.js';

/** The two endpoints of a link. */
export const endpointsSchema = z
  .tuple([endpointSchema, endpointSchema], {
    error: (issue: z.core.$ZodRawIssue) => {
      const example = 'e.g. endpoints: [h1:eth0, sw]';
      if (issue.input === undefined) return `required key is missing; add the two ends, ${example}`;
      if (!Array.isArray(issue.input))
        return `expected a list of two endpoints (${example}), got ${describeValue(issue.input)}`;
      const n = issue.input.length;
      return `a link has exactly two endpoints but this list has ${n}; ${n < 2 ? 'add the other end as "node:port" or a switch name' : 'connect more than two ports through a switch'}`;
    },
  })
  .meta({ description: 'The two ends: "node:port", or the bare name of a switch.' });

/** An impairment in netem's words, e.g. "delay=20ms jitter=5ms loss=1%" (impairment.ts). */
const impairmentText = z
  .string({ error: expected('netem-style settings such as "delay=20ms loss=1%"') })
  .superRefine((text, ctx) => {
    const parsed = parseImpairment(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
  });

/**
 * A link's impairments: one text for both directions, or one per direction ("a->b" is from the
 * first endpoint to the second).
 */
export const impairSchema = z
  .union([
    impairmentText,
    z.strictObject({
      'a->b': impairmentText.optional(),
      'b->a': impairmentText.optional(),
    }),
  ])
  .meta({
    description:
      'Impairments in netem\'s words (delay, jitter, distribution, loss, rate, queue, duplicate, corrupt, reorder, limit, seed), e.g. "delay=20ms loss=1%" for both directions, or {a->b: "...", b->a: "..."} for each.',
    examples: ['delay=20ms jitter=5ms loss=1%', { 'a->b': 'rate=10mbit queue=64kb' }],
  });

/** A link's impairments as written in the file. */
export type ImpairSpec = z.output<typeof impairSchema>;

/** Fields every link kind has. */
export const linkBaseShape = {
  name: linkNameSchema.optional(),
  endpoints: endpointsSchema,
  up: z
    .boolean({ error: expected('true or false') })
    .default(true)
    .meta({ description: 'Whether the link carries frames when the lab starts.' }),
};

/** The one endpoint of a link kind whose far end is not a node (e.g. slirp: QEMU's own NAT). */
export type SingleEndpointSchema = z.ZodTuple<[typeof endpointSchema], null>;

/**
 * The endpoints of a `kind` link with one end, `what` (e.g. "the qemu NIC", shown with
 * `example`); `note` follows the example in the count's message.
 */
export function singleEndpointSchema(
  kind: string,
  what: string,
  example: string,
  description: string,
  note = '',
): SingleEndpointSchema {
  return z
    .tuple([endpointSchema], {
      error: (issue: z.core.$ZodRawIssue) =>
        Array.isArray(issue.input)
          ? `a ${kind} link has one endpoint, ${what} (e.g. endpoints: [${example}])${note}, but this list has ${issue.input.length}`
          : `expected a list with one endpoint, ${what}, e.g. endpoints: [${example}]`,
    })
    .meta({ description });
}

/**
 * The settings schema of a link kind: a strict object whose `kind` is the kind's literal, with
 * two endpoints, or one for kinds whose far end is not a node.
 */
export type LinkKindSchema = z.ZodObject<
  { kind: z.ZodLiteral<string> | z.ZodDefault<z.ZodLiteral<string>> } & Omit<
    typeof linkBaseShape,
    'endpoints'
  > & { endpoints: typeof endpointsSchema | SingleEndpointSchema } & z.core.$ZodShape,
  z.core.$strict
>;

/** One end of a link as the cross-checks resolved it, for a link kind's own check. */
export interface LinkEnd {
  /** As written, e.g. "z1:serial1" or "sw". */
  text: string;
  node: string;
  /** The node's settings. */
  spec: NodeSpec;
  /** The port; absent for a switch (bare-attached). */
  port?: string;
  /** True when `port` is one of the node's serial ports. */
  serial: boolean;
}

/** One link kind. Register it in links/index.ts. */
export interface LinkKindDefinition<
  K extends string = string,
  S extends LinkKindSchema = LinkKindSchema,
> {
  readonly kind: K;
  readonly description: string;
  /** The frames the link carries (and the capture link type). */
  readonly linkType: LinkType;
  readonly schema: S;
  /** Node kinds whose ports this link may attach to; any kind when absent. */
  readonly endpointKinds?: readonly string[];
  /**
   * True for kinds carried by a serial port (slip, ppp, uart-pipe-154): the first endpoint must
   * be a serial port of a node (NodeKindDefinition.serialPorts, e.g. "z1:serial1").
   */
  readonly serial?: boolean;
  /**
   * Kind-specific checks of a link whose endpoints resolved (both ends exist, ports declared);
   * `ends` are in endpoint order, issue paths are relative to the link.
   */
  check?(link: z.output<S>, ends: readonly LinkEnd[]): KindIssue[];
}

/** Declares a link kind (identity function that keeps the literal types). */
export function defineLinkKind<const K extends string, S extends LinkKindSchema>(
  definition: LinkKindDefinition<K, S>,
): LinkKindDefinition<K, S> {
  return definition;
}

/** Message for an unknown or missing link kind. */
export function unknownLinkKindMessage(kind: unknown, kinds: readonly string[]): string {
  return `unknown link kind ${describeValue(kind)}; valid link kinds are ${listChoices(kinds)}`;
}
