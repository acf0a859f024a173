// The engine side of every link kind, in one table typed by the kind names of the topology
// schema (src/shared/topology/links): a link kind the schema accepts without an engine side here
// does not compile. Each kind lives in its own folder, src/kinds/links/<kind>/.
import { EngineError } from '../../shared/contract.js';
import type { LinkKindName, LinkSpec } from '../../shared/topology/index.js';
import { ethernetKind } from '../../kinds/links/ethernet/engine/index.js';
import { pppKind } from '../../kinds/links/ppp/engine/index.js';
import { slirpKind } from '../../kinds/links/slirp/engine/index.js';
import { slipKind } from '../../kinds/links/slip/engine/index.js';
import { uartPipe154Kind } from '../../kinds/links/uart-pipe-154/engine/index.js';
import type { LinkKind } from './types.js';

const KINDS: { readonly [K in LinkKindName]: LinkKind<Extract<LinkSpec, { kind?: K }>> } = {
  ethernet: ethernetKind,
  slirp: slirpKind,
  ppp: pppKind,
  slip: slipKind,
  'uart-pipe-154': uartPipe154Kind,
};

/** The implementation of a link kind; unknown kinds are refused with the valid ones. */
export function linkKind(kind: string): LinkKind {
  if (!Object.hasOwn(KINDS, kind)) {
    throw new EngineError(
      'bad-request',
      `unknown link kind "${kind}"; valid kinds are ${Object.keys(KINDS).join(', ')}`,
    );
  }
  return KINDS[kind as LinkKindName];
}

/** Every link kind with an engine side. */
export function linkKinds(): string[] {
  return Object.keys(KINDS);
}
