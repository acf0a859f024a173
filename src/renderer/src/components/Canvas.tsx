// The canvas (React Flow): nodes and links of the document, node state from the running lab,
// live rates on the links. Edits go through the editor actions; nodeTypes are module-scoped.
import {
  Background,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type EdgeChange,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, type DragEvent, type JSX } from 'react';
import { readGraph } from '../../../shared/editor/index.js';
import { addNodeAction, connectAction, run } from '../actions.js';
import { importZephyrBuild } from '../controller.js';
import { useStore } from '../store/index.js';
import type { DocState, NodeRuntime } from '../store/types.js';
import { LinkEdge, type LinkEdgeData } from './LinkEdge.js';
import { LabNode, type LabNodeData } from './LabNode.js';
import { KIND_MIME } from './Palette.js';

const nodeTypes = { lab: LabNode };
const edgeTypes = { link: LinkEdge };

type FlowNode = Node<LabNodeData, 'lab'>;
type FlowEdge = Edge<LinkEdgeData, 'link'>;

/** The topology canvas. */
export function Canvas(): JSX.Element {
  const text = useStore((s) => s.doc.text);
  const positions = useStore((s) => s.doc.positions);
  const selection = useStore((s) => s.selection);
  const nodeStates = useStore((s) => s.nodeStates);
  const loads = useStore((s) => s.loads);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const measured = useNodesInitialized();
  const dragStart = useRef<DocState | null>(null);

  const fitted = useRef(-1);
  useEffect(() => {
    // A newly opened document is shown whole (once its nodes are measured), never enlarged
    // beyond its natural size.
    if (!measured || fitted.current === loads) return;
    fitted.current = loads;
    void fitView({ padding: 0.2, maxZoom: 1 });
  }, [loads, measured, fitView]);

  const graph = useMemo(() => readGraph(text), [text]);
  const nodes = useMemo<FlowNode[]>(
    () =>
      graph.nodes.map((n) => {
        const rt: NodeRuntime | undefined = nodeStates[n.name];
        return {
          id: n.name,
          type: 'lab',
          position: positions[n.name] ?? { x: 0, y: 0 },
          selected: selection.nodes.includes(n.name),
          data: { name: n.name, kind: n.kind, ...(rt ? { runtime: rt } : {}) },
        };
      }),
    [graph, positions, selection.nodes, nodeStates],
  );
  const edges = useMemo<FlowEdge[]>(
    () =>
      graph.links.map((l) => ({
        id: l.id,
        type: 'link',
        source: l.ends[0].node,
        target: l.ends[1].node,
        selected: selection.links.includes(l.id),
        data: { endpoints: l.endpoints },
      })),
    [graph, selection.links],
  );

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const st = useStore.getState();
    let next = st.doc.positions;
    let moved = false;
    const picked = new Set(st.selection.nodes);
    let selecting = false;
    for (const c of changes) {
      if (c.type === 'position' && c.position) {
        if (!moved) next = { ...next };
        moved = true;
        next[c.id] = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
      } else if (c.type === 'select') {
        selecting = true;
        if (c.selected) picked.add(c.id);
        else picked.delete(c.id);
      }
      // 'remove' changes never come: deleting goes through the delete action (Delete key).
    }
    if (moved) st.commit({ ...st.doc, positions: next }, 'none');
    if (selecting)
      st.setSelection({ nodes: [...picked], links: useStore.getState().selection.links });
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<FlowEdge>[]) => {
    const st = useStore.getState();
    const picked = new Set(st.selection.links);
    let selecting = false;
    for (const c of changes) {
      if (c.type !== 'select') continue;
      selecting = true;
      if (c.selected) picked.add(c.id);
      else picked.delete(c.id);
    }
    if (selecting)
      st.setSelection({ nodes: useStore.getState().selection.nodes, links: [...picked] });
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (c.source && c.target) run(connectAction, { a: c.source, b: c.target });
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(KIND_MIME) || e.dataTransfer.types.includes('Files')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(KIND_MIME);
      if (!kind) {
        // A dropped folder: browsers give its name, not its path, so confirm the path.
        const dropped = e.dataTransfer.files[0];
        if (dropped) {
          e.preventDefault();
          void importZephyrBuild(dropped.name);
        }
        return;
      }
      e.preventDefault();
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      run(addNodeAction, { kind, position: { x: Math.round(p.x - 60), y: Math.round(p.y - 30) } });
    },
    [screenToFlowPosition],
  );

  return (
    <div className="canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeDragStart={() => {
          dragStart.current = useStore.getState().doc;
        }}
        onNodeDragStop={() => {
          const before = dragStart.current;
          dragStart.current = null;
          const st = useStore.getState();
          if (before && before !== st.doc) st.commit(st.doc, 'record', before);
        }}
        zoomOnDoubleClick={false}
        connectionMode={ConnectionMode.Loose}
        connectionRadius={40}
        deleteKeyCode={null}
        multiSelectionKeyCode="Shift"
        selectionKeyCode="Shift"
        defaultViewport={{ x: 0, y: 0, zoom: 1 }}
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <MiniMap pannable zoomable />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
