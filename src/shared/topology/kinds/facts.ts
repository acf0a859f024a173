// The facts of every node kind (NodeKindFacts), in palette order: what the lab engine knows of
// the kinds without their schemas. kinds/index.ts lists the full definitions in the same order
// (a unit test holds the two lists together).
import { boardFacts } from '../../../kinds/nodes/board/facts.js';
import { fvpFacts } from '../../../kinds/nodes/fvp/facts.js';
import { hostFacts } from '../../../kinds/nodes/host/facts.js';
import { nativeSimFacts } from '../../../kinds/nodes/native-sim/facts.js';
import { qemuFacts } from '../../../kinds/nodes/qemu/facts.js';
import { radio154Facts } from '../../../kinds/nodes/radio-154/facts.js';
import { switchFacts } from '../../../kinds/nodes/switch/facts.js';
import type { NodeKindFacts } from './types.js';

/** Every node kind's facts, in palette order. */
export const NODE_KIND_FACTS = [
  hostFacts,
  switchFacts,
  nativeSimFacts,
  fvpFacts,
  qemuFacts,
  boardFacts,
  radio154Facts,
] as const;

/** A node kind's facts with its spec type erased, for generic code. */
export type AnyNodeKindFacts = NodeKindFacts;

/** Looks up a node kind's facts by name. */
export function findNodeKindFacts(kind: string): AnyNodeKindFacts | undefined {
  return (NODE_KIND_FACTS as readonly AnyNodeKindFacts[]).find((k) => k.kind === kind);
}
