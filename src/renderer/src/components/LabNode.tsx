// One node on the canvas: icon, name, kind, and its runtime state from the engine.
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, type JSX } from 'react';
import { openConsole } from '../controller.js';
import type { NodeRuntime } from '../store/types.js';
import { KindIcon } from './icons.js';

/** Data of a node on the canvas. */
export interface LabNodeData extends Record<string, unknown> {
  name: string;
  kind: string;
  runtime?: NodeRuntime;
  /** The range of the radio medium this node is a member of (delivery: range), in canvas units. */
  radioRange?: number;
}

function LabNodeView({ data, selected }: NodeProps<Node<LabNodeData, 'lab'>>): JSX.Element {
  const state = data.runtime?.state;
  const reason = data.runtime?.reason;
  return (
    <div
      className={`lab-node kind-${data.kind || 'unknown'} ${state ? `state-${state}` : ''} ${selected ? 'selected' : ''}`}
      data-testid={`node-${data.name}`}
      data-state={state ?? 'none'}
      title={reason ? `${data.name}: ${state ?? ''} - ${reason}` : `${data.name} (${data.kind})`}
      onDoubleClick={() => openConsole(data.name)}
    >
      {data.radioRange !== undefined ? (
        <div
          className="radio-range"
          data-testid={`radio-range-${data.name}`}
          style={{ width: data.radioRange * 2, height: data.radioRange * 2 }}
        />
      ) : null}
      <Handle
        type="source"
        position={Position.Right}
        id="link"
        className="link-handle"
        data-testid={`handle-${data.name}`}
      />
      <KindIcon kind={data.kind} />
      <div className="lab-node-text">
        <div className="lab-node-name">{data.name}</div>
        <div className="lab-node-kind">{data.kind || 'no kind'}</div>
      </div>
      {state ? (
        <div className={`state-badge ${state}`} data-testid={`state-${data.name}`}>
          {state}
        </div>
      ) : null}
      {state === 'failed' && reason ? <div className="state-reason">{reason}</div> : null}
    </div>
  );
}

/** The node component (memoised: a node re-renders only when its own data changes). */
export const LabNode = memo(LabNodeView);
