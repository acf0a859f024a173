// Inline SVG icons per node kind (no remote or file assets: the CSP allows none).
import type { JSX, ReactNode } from 'react';
import { findNodeKind, type NodeKindIcon } from '../../../shared/topology/kinds/index.js';

/** A 32x32 line drawing in the current text colour, shown at 28 px. */
function Glyph({ children }: { children: ReactNode }): JSX.Element {
  return (
    <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
      <g fill="none" stroke="currentColor" strokeWidth="2">
        {children}
      </g>
    </svg>
  );
}

function HostIcon(): JSX.Element {
  return (
    <Glyph>
      <rect x="4" y="5" width="24" height="16" rx="2" />
      <path d="M12 26h8M16 21v5" />
    </Glyph>
  );
}

function SwitchIcon(): JSX.Element {
  return (
    <Glyph>
      <rect x="3" y="10" width="26" height="12" rx="2" />
      <path d="M8 14h3M13 14h3M18 14h3M23 14h2M8 18h17" />
    </Glyph>
  );
}

function BoardIcon(): JSX.Element {
  return (
    <Glyph>
      <rect x="8" y="8" width="16" height="16" rx="1" />
      <path d="M12 4v4M16 4v4M20 4v4M12 24v4M16 24v4M20 24v4M4 12h4M4 16h4M4 20h4M24 12h4M24 16h4M24 20h4" />
    </Glyph>
  );
}

function SimIcon(): JSX.Element {
  return (
    <Glyph>
      <rect x="4" y="6" width="24" height="20" rx="2" />
      <path d="M9 13l4 3-4 3M15 20h7" />
    </Glyph>
  );
}

function RadioIcon(): JSX.Element {
  return (
    <Glyph>
      <circle cx="16" cy="16" r="3" fill="currentColor" stroke="none" />
      <path d="M10 10a8.5 8.5 0 0 0 0 12M22 10a8.5 8.5 0 0 1 0 12M6 6a14 14 0 0 0 0 20M26 6a14 14 0 0 1 0 20" />
    </Glyph>
  );
}

/** Every icon a node kind can name (the kinds' definitions pick theirs). */
const ICONS: { readonly [I in NodeKindIcon]: () => JSX.Element } = {
  host: HostIcon,
  switch: SwitchIcon,
  radio: RadioIcon,
  sim: SimIcon,
  board: BoardIcon,
};

/** The icon of a node kind, as its definition names it; a board for a kind not (yet) known. */
export function KindIcon({ kind }: { kind: string }): JSX.Element {
  const Icon = ICONS[findNodeKind(kind)?.icon ?? 'board'];
  return <Icon />;
}
