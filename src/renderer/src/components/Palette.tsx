// The palette: every registered node kind, dragged onto the canvas (or clicked) to add one.
import type { DragEvent, JSX } from 'react';
import { NODE_KINDS } from '../../../shared/topology/index.js';
import { KindIcon } from './icons.js';

/** The drag-and-drop data type of a palette item. */
export const KIND_MIME = 'application/x-netweave-kind';

const KINDS = NODE_KINDS.map((k) => ({ kind: k.kind, description: k.description }));

/** The palette of node kinds. */
export function Palette({ onAdd }: { onAdd: (kind: string) => void }): JSX.Element {
  const onDragStart = (e: DragEvent<HTMLDivElement>, kind: string): void => {
    e.dataTransfer.setData(KIND_MIME, kind);
    e.dataTransfer.setData('text/plain', kind);
    e.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <aside className="palette" aria-label="Node kinds">
      <h3>Nodes</h3>
      {KINDS.map((k) => (
        <div
          key={k.kind}
          className="palette-item"
          draggable
          title={`${k.description} Drag onto the canvas, or click to add.`}
          data-testid={`palette-${k.kind}`}
          onDragStart={(e) => onDragStart(e, k.kind)}
          onClick={() => onAdd(k.kind)}
        >
          <KindIcon kind={k.kind} />
          <span>{k.kind}</span>
        </div>
      ))}
    </aside>
  );
}
