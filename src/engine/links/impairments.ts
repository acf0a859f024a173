// Impairments of a link's two directions (issue 10): which fabric port and which of its
// directions carries "a->b" and "b->a", whatever the link kind, and setting them from text.
import { EngineError } from '../../shared/contract.js';
import { parseImpairment, type ImpairmentStatus } from '../../shared/impairment.js';
import type { LinkDirection } from '../../shared/topology/index.js';
import { parseEndpoint } from '../../shared/topology/endpoint.js';
import { LINK_DIRECTIONS } from '../../shared/topology/links/common.facts.js';
import type { Direction, Port } from '../fabric/index.js';
import type { LinkInstance } from './types.js';

/** The port direction that carries one direction of a link. */
interface Carrier {
  port: Port;
  direction: Direction;
}

function nodeOfPort(port: Port): string {
  const colon = port.id.indexOf(':');
  return colon < 0 ? port.id : port.id.slice(0, colon);
}

/**
 * The port and port direction that carry `dir` of a link with these endpoints: a port of the
 * first endpoint's node carries a->b as what its device sends (rx) and b->a as what it receives
 * (tx); failing that, a port of the second endpoint's node the other way round.
 */
export function carrierOf(
  link: LinkInstance,
  endpoints: readonly string[],
  dir: LinkDirection,
): Carrier | undefined {
  const [a, b] = endpoints.map((e) => parseEndpoint(e)?.node ?? e);
  const ports = link.ports();
  const own = ports.find((p) => nodeOfPort(p) === a);
  if (own) return { port: own, direction: dir === 'a->b' ? 'rx' : 'tx' };
  const far = ports.find((p) => nodeOfPort(p) === b);
  if (far) return { port: far, direction: dir === 'a->b' ? 'tx' : 'rx' };
  return undefined;
}

/** Sets (text) or clears (undefined) the impairment of one direction of a link. */
export function impairLink(
  link: LinkInstance,
  endpoints: readonly string[],
  dir: LinkDirection,
  text: string | undefined,
): void {
  const carrier = carrierOf(link, endpoints, dir);
  if (!carrier) {
    throw new EngineError(
      'bad-request',
      `link ${link.id} (${link.kind}) has no fabric port to impair; its frames do not cross netweave's fabric`,
    );
  }
  let spec;
  if (text !== undefined) {
    const parsed = parseImpairment(text);
    if (!parsed.ok) throw new EngineError('bad-request', parsed.error);
    spec = parsed.value;
  }
  carrier.port.setImpairment(carrier.direction, spec);
}

/** The impairment in force on each direction of a link (absent: none). */
export function linkImpairments(
  link: LinkInstance,
  endpoints: readonly string[],
): Partial<Record<LinkDirection, ImpairmentStatus>> {
  const out: Partial<Record<LinkDirection, ImpairmentStatus>> = {};
  for (const dir of LINK_DIRECTIONS) {
    const carrier = carrierOf(link, endpoints, dir);
    const status = carrier?.port.impairmentStatus(carrier.direction);
    if (status) out[dir] = status;
  }
  return out;
}
