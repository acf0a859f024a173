// The node kinds' definitions, in palette order. A kind lives in its folder,
// src/kinds/nodes/<kind>/ (definition.ts, facts.ts, engine/); add its definition here, its
// facts to kinds/facts.ts and its engine side to src/engine/nodes/registry.ts.
import type { z } from 'zod';
import { kindUnion } from '../fields.js';
import { describeValue, listChoices } from '../text.js';
import { boardKind } from '../../../kinds/nodes/board/definition.js';
import { fvpKind } from '../../../kinds/nodes/fvp/definition.js';
import { hostKind } from '../../../kinds/nodes/host/definition.js';
import { nativeSimKind } from '../../../kinds/nodes/native-sim/definition.js';
import { qemuKind } from '../../../kinds/nodes/qemu/definition.js';
import { radio154Kind } from '../../../kinds/nodes/radio-154/definition.js';
import { switchKind } from '../../../kinds/nodes/switch/definition.js';
import type { NodeKindDefinition, NodeKindSchema } from './types.js';

/** Every node kind, in palette order. */
export const NODE_KINDS = [
  hostKind,
  switchKind,
  nativeSimKind,
  fvpKind,
  qemuKind,
  boardKind,
  radio154Kind,
] as const;

/** A node kind name. */
export type NodeKindName = (typeof NODE_KINDS)[number]['kind'];

/** Every node kind name, in palette order. */
export const NODE_KIND_NAMES: readonly NodeKindName[] = NODE_KINDS.map((k) => k.kind);

/** Settings of one node: a union discriminated by `kind`. */
export const nodeSpecSchema = kindUnion(
  NODE_KINDS,
  (input) =>
    `expected a map with "kind:" (${listChoices(NODE_KIND_NAMES)}) and its settings, got ${describeValue(input)}`,
  (kind) =>
    kind === undefined
      ? `required key is missing; add kind: with one of ${listChoices(NODE_KIND_NAMES)}`
      : `unknown kind ${describeValue(kind)}; valid kinds are ${listChoices(NODE_KIND_NAMES)}`,
).meta({ description: 'A node: "kind" and the settings of that kind.' });

/** Settings of one node as validated. */
export type NodeSpec = z.output<typeof nodeSpecSchema>;

/** A node kind definition with its spec type erased, for generic code. */
export type AnyNodeKind = NodeKindDefinition<string, NodeKindSchema>;

/** Looks up a node kind by name. */
export function findNodeKind(kind: string): AnyNodeKind | undefined {
  return (NODE_KINDS as readonly AnyNodeKind[]).find((k) => k.kind === kind);
}

export type {
  AttachedLink,
  KindIssue,
  NodeKindDefinition,
  NodeKindIcon,
  NodeKindSchema,
  PortAddress,
} from './types.js';
export { defineNodeKind } from './types.js';
export * from '../../../kinds/nodes/host/definition.js';
export * from '../../../kinds/nodes/switch/definition.js';
export * from '../../../kinds/nodes/native-sim/definition.js';
export * from '../../../kinds/nodes/fvp/definition.js';
export * from '../../../kinds/nodes/qemu/definition.js';
export * from '../../../kinds/nodes/board/definition.js';
export * from '../../../kinds/nodes/radio-154/definition.js';
