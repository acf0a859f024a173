// Delivery models of a radio-154 medium: who hears whom, with what probability, and the seeded
// random numbers that decide each frame. Pure functions, so the medium is testable without a lab.
import type { Layout } from '../../../../shared/topology/index.js';
import type { Radio154NodeSpec } from '../../../../shared/topology/kinds/index.js';

/** A member's position on the canvas, [x, y] in canvas units. */
export type Position = readonly [number, number];

/** Probability (0..1) that `to` hears a frame `from` sent. */
export type DeliveryProbability = (from: string, to: string) => number;

/**
 * A seeded 32-bit PRNG (mulberry32): uniform numbers in [0, 1). Small, fast and good enough to
 * draw delivery decisions; the same seed gives the same sequence.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Positions of the members for delivery: range: those written under `positions`, else the
 * member node's position in the lab's layout (the canvas). Returns the map, or the one-sentence
 * problem when a member has neither.
 */
export function resolvePositions(
  medium: string,
  spec: Radio154NodeSpec,
  members: readonly string[],
  layout: Layout | undefined,
): Map<string, Position> | string {
  const out = new Map<string, Position>();
  const missing: string[] = [];
  for (const m of members) {
    const written = spec.positions?.[m];
    const placed = layout?.nodes[m];
    if (written) out.set(m, written);
    else if (placed) out.set(m, [placed.x, placed.y]);
    else missing.push(m);
  }
  if (missing.length > 0) {
    const list = missing.join(', ');
    return `radio-154 "${medium}" uses delivery: range but ${missing.length === 1 ? `member ${list} has` : `members ${list} have`} no position; place ${missing.length === 1 ? 'it' : 'them'} on the canvas or add positions: {${missing[0] ?? ''}: [x, y]} under nodes.${medium}`;
  }
  return out;
}

/** The probability function of a medium's delivery model. */
export function deliveryProbability(
  spec: Radio154NodeSpec,
  positions: ReadonlyMap<string, Position> = new Map(),
): DeliveryProbability {
  switch (spec.delivery) {
    case 'matrix': {
      const matrix = spec.matrix ?? {};
      return (from, to) => (from === to ? 0 : (matrix[from]?.[to] ?? 0));
    }
    case 'range': {
      const range = spec.range ?? 0;
      return (from, to) => {
        const a = positions.get(from);
        const b = positions.get(to);
        if (from === to || !a || !b) return 0;
        return Math.hypot(a[0] - b[0], a[1] - b[1]) <= range ? 1 : 0;
      };
    }
    default:
      return (from, to) => (from === to ? 0 : 1);
  }
}

/** One line per ordered pair of members with its probability, for the medium's log. */
export function describeDelivery(
  members: readonly string[],
  probability: DeliveryProbability,
): string[] {
  const lines: string[] = [];
  for (const from of members) {
    const row = members
      .filter((to) => to !== from)
      .map((to) => `${to} ${probability(from, to)}`)
      .join(', ');
    lines.push(`  ${from} -> ${row || '(nobody)'}`);
  }
  return lines;
}
