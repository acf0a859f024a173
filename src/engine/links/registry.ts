// The one registration point of link kinds. Each kind lives in its own folder.
import { EngineError } from '../../shared/contract.js';
import { ethernetKind } from './ethernet/index.js';
import { pppKind } from './ppp/index.js';
import { slirpKind } from './slirp/index.js';
import { slipKind } from './slip/index.js';
import { uartPipe154Kind } from './uart-pipe-154/index.js';
import type { LinkKind } from './types.js';

const kinds = new Map<string, LinkKind>();

/** Registers a link kind; a second registration of the same kind is a programming error. */
export function registerLinkKind(kind: LinkKind): void {
  if (kinds.has(kind.kind)) throw new Error(`link kind "${kind.kind}" is registered twice`);
  kinds.set(kind.kind, kind);
}

registerLinkKind(ethernetKind);
registerLinkKind(slirpKind);
registerLinkKind(pppKind);
registerLinkKind(slipKind);
registerLinkKind(uartPipe154Kind);

/** The implementation of a link kind; unknown kinds are refused with the valid ones. */
export function linkKind(kind: string): LinkKind {
  const k = kinds.get(kind);
  if (!k) {
    throw new EngineError(
      'bad-request',
      `unknown link kind "${kind}"; valid kinds are ${[...kinds.keys()].join(', ')}`,
    );
  }
  return k;
}
