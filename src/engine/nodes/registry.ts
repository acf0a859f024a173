// The engine side of every node kind, in one table typed by the kind names of the topology
// schema (src/shared/topology/kinds): a kind the schema accepts without an engine side here does
// not compile. Each kind lives in its own folder, src/kinds/nodes/<kind>/.
import { EngineError } from '../../shared/contract.js';
import type { NodeKindName, NodeSpec } from '../../shared/topology/index.js';
import { boardKind } from '../../kinds/nodes/board/engine/index.js';
import { fvpKind } from '../../kinds/nodes/fvp/engine/index.js';
import { hostKind } from '../../kinds/nodes/host/engine/index.js';
import { nativeSimKind } from '../../kinds/nodes/native-sim/engine/index.js';
import { qemuKind } from '../../kinds/nodes/qemu/engine/index.js';
import { radio154Kind } from '../../kinds/nodes/radio-154/engine/index.js';
import { switchKind } from '../../kinds/nodes/switch/engine/index.js';
import type { NodeKind } from './types.js';

const KINDS: { readonly [K in NodeKindName]: NodeKind<Extract<NodeSpec, { kind: K }>> } = {
  host: hostKind,
  switch: switchKind,
  'native-sim': nativeSimKind,
  fvp: fvpKind,
  qemu: qemuKind,
  board: boardKind,
  'radio-154': radio154Kind,
};

/** The implementation of a kind; unknown kinds are refused with the list of valid ones. */
export function nodeKind(kind: string): NodeKind<unknown> {
  if (!Object.hasOwn(KINDS, kind)) {
    throw new EngineError(
      'bad-request',
      `unknown node kind "${kind}"; valid kinds are ${nodeKinds().join(', ')}`,
    );
  }
  return KINDS[kind as NodeKindName];
}

/** Every node kind with an engine side. */
export function nodeKinds(): string[] {
  return Object.keys(KINDS);
}
