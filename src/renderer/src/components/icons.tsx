// Inline SVG icons per node kind (no remote or file assets: the CSP allows none).
import type { JSX } from 'react';
import { findNodeKind, type NodeKindIcon } from '../../../shared/topology/kinds/index.js';

/** One 32x32 line drawing: a rounded box [x, y, width, height, radius] or a dot, and lines. */
interface Drawing {
  box?: [number, number, number, number, number];
  dot?: true;
  lines: string;
}

/** Every icon a node kind can name (the kinds' definitions pick theirs). */
const ICONS: { readonly [I in NodeKindIcon]: Drawing } = {
  host: { box: [4, 5, 24, 16, 2], lines: 'M12 26h8M16 21v5' },
  switch: { box: [3, 10, 26, 12, 2], lines: 'M8 14h3M13 14h3M18 14h3M23 14h2M8 18h17' },
  board: {
    box: [8, 8, 16, 16, 1],
    lines:
      'M12 4v4M16 4v4M20 4v4M12 24v4M16 24v4M20 24v4M4 12h4M4 16h4M4 20h4M24 12h4M24 16h4M24 20h4',
  },
  sim: { box: [4, 6, 24, 20, 2], lines: 'M9 13l4 3-4 3M15 20h7' },
  radio: {
    dot: true,
    lines:
      'M10 10a8.5 8.5 0 0 0 0 12M22 10a8.5 8.5 0 0 1 0 12M6 6a14 14 0 0 0 0 20M26 6a14 14 0 0 1 0 20',
  },
};

/**
 * The icon of a node kind, as its definition names it (a board for a kind not yet known), in
 * the current text colour, shown at 28 px.
 */
export function KindIcon({ kind }: { kind: string }): JSX.Element {
  const { box, dot, lines } = ICONS[findNodeKind(kind)?.icon ?? 'board'];
  return (
    <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
      <g fill="none" stroke="currentColor" strokeWidth="2">
        {box && <rect x={box[0]} y={box[1]} width={box[2]} height={box[3]} rx={box[4]} />}
        {dot && <circle cx="16" cy="16" r="3" fill="currentColor" stroke="none" />}
        <path d={lines} />
      </g>
    </svg>
  );
}
