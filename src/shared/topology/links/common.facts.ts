// What every link kind shares, without zod: its directions and their impairment texts.
import type { ImpairSpec } from './types.js';

/** The two directions of a link: from its first endpoint to its second, and back. */
export const LINK_DIRECTIONS = ['a->b', 'b->a'] as const;

/** One direction of a link. */
export type LinkDirection = (typeof LINK_DIRECTIONS)[number];

/** The impairment text of each direction of a link as written (absent: none). */
export function impairTexts(spec: ImpairSpec | undefined): Partial<Record<LinkDirection, string>> {
  if (spec === undefined) return {};
  if (typeof spec === 'string') return { 'a->b': spec, 'b->a': spec };
  return {
    ...(spec['a->b'] !== undefined ? { 'a->b': spec['a->b'] } : {}),
    ...(spec['b->a'] !== undefined ? { 'b->a': spec['b->a'] } : {}),
  };
}
