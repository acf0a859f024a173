// The engine side of every node kind, in one table typed by the kind names of the topology
// schema (src/shared/topology/kinds): a kind the schema accepts without an engine side here does
// not compile. Each kind lives in its own folder.
import { EngineError } from '../../shared/contract.js';
import type { NodeKindName, NodeSpec } from '../../shared/topology/index.js';
import { boardKind } from './board/index.js';
import { fvpKind } from './fvp/index.js';
import { hostKind } from './host/index.js';
import { nativeSimKind } from './native-sim/index.js';
import { qemuKind } from './qemu/index.js';
import { radio154Kind } from './radio-154/index.js';
import { switchKind } from './switch/index.js';
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
