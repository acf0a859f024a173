// The link kinds' definitions. A kind lives in its folder, src/kinds/links/<kind>/
// (definition.ts, facts.ts, engine/); add its definition to LINK_KINDS and its engine side to
// src/engine/links/registry.ts.
import type { z } from 'zod';
import { kindUnion } from '../fields.js';
import { describeValue } from '../text.js';
import { ethernetLinkKind } from '../../../kinds/links/ethernet/definition.js';
import { slirpLinkKind } from '../../../kinds/links/slirp/definition.js';
import { pppLinkKind } from '../../../kinds/links/ppp/definition.js';
import { slipLinkKind } from '../../../kinds/links/slip/definition.js';
import { uartPipe154LinkKind } from '../../../kinds/links/uart-pipe-154/definition.js';
import { unknownLinkKindMessage, type LinkKindDefinition } from './types.js';

/** Every link kind; the first is the default when `kind` is omitted. */
export const LINK_KINDS = [
  ethernetLinkKind,
  slirpLinkKind,
  slipLinkKind,
  uartPipe154LinkKind,
  pppLinkKind,
] as const;

/** A link kind name. */
export type LinkKindName = (typeof LINK_KINDS)[number]['kind'];

/** Every link kind name. */
export const LINK_KIND_NAMES: readonly LinkKindName[] = LINK_KINDS.map((k) => k.kind);

/** The kind of a link written without `kind`. */
export const DEFAULT_LINK_KIND: LinkKindName = 'ethernet';

/** One link: a union discriminated by `kind`. */
export const linkSpecSchema = kindUnion(
  LINK_KINDS,
  (input) => `expected a link map such as {endpoints: [h1:eth0, sw]}, got ${describeValue(input)}`,
  (kind) => unknownLinkKindMessage(kind, LINK_KIND_NAMES),
).meta({ description: 'A link between two endpoints.' });

/** One link as validated. */
export type LinkSpec = z.output<typeof linkSpecSchema>;

/** Looks up a link kind by name. */
export function findLinkKind(kind: string): LinkKindDefinition | undefined {
  return (LINK_KINDS as readonly LinkKindDefinition[]).find((k) => k.kind === kind);
}

export {
  defineLinkKind,
  impairSchema,
  linkBaseShape,
  type ImpairSpec,
  type LinkEnd,
  type LinkKindDefinition,
  type LinkKindSchema,
} from './types.js';
export { impairTexts, LINK_DIRECTIONS, type LinkDirection } from './common.facts.js';
export * from '../../../kinds/links/ethernet/definition.js';
export * from '../../../kinds/links/slirp/definition.js';
export * from '../../../kinds/links/slip/definition.js';
export * from '../../../kinds/links/ppp/definition.js';
export * from '../../../kinds/links/uart-pipe-154/definition.js';
export * from '../../../kinds/links/slirp/facts.js';
export * from '../../../kinds/links/slip/facts.js';
export * from '../../../kinds/links/ppp/facts.js';
