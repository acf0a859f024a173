// The one registration point of node kinds. Each kind lives in its own folder.
import { EngineError } from '../../shared/contract.js';
import { boardKind } from './board/index.js';
import { fvpKind } from './fvp/index.js';
import { hostKind } from './host/index.js';
import { nativeSimKind } from './native-sim/index.js';
import { qemuKind } from './qemu/index.js';
import { radio154Kind } from './radio-154/index.js';
import { switchKind } from './switch/index.js';
import type { NodeKind } from './types.js';

const kinds = new Map<string, NodeKind<never>>();

/** Registers a node kind; a second registration of the same kind is a programming error. */
export function registerNodeKind<S>(kind: NodeKind<S>): void {
  if (kinds.has(kind.kind)) throw new Error(`node kind "${kind.kind}" is registered twice`);
  kinds.set(kind.kind, kind);
}

registerNodeKind(hostKind);
registerNodeKind(switchKind);
registerNodeKind(nativeSimKind);
registerNodeKind(fvpKind);
registerNodeKind(qemuKind);
registerNodeKind(boardKind);
registerNodeKind(radio154Kind);

/** The implementation of a kind; unknown kinds are refused with the list of valid ones. */
export function nodeKind(kind: string): NodeKind<unknown> {
  const k = kinds.get(kind);
  if (!k) {
    throw new EngineError(
      'bad-request',
      `unknown node kind "${kind}"; valid kinds are ${[...kinds.keys()].join(', ')}`,
    );
  }
  return k;
}

/** Every registered node kind. */
export function nodeKinds(): string[] {
  return [...kinds.keys()];
}
