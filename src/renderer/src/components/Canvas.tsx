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
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type JSX } from 'react';
import { radioRanges, readGraph } from '../../../shared/editor/index.js';
import { addNodeAction, connectAction, run } from '../actions.js';
import { importZephyrBuild } from '../controller.js';
import { useStore } from '../store/index.js';
import type { DocState, NodeRuntime } from '../store/types.js';
import { LinkEdge, type LinkEdgeData } from './LinkEdge.js';
import { LabNode, type LabNodeData } from './LabNode.js';
import { KIND_MIME } from './Palette.js';

const nodeTypes = { lab: LabNode };

/** A node's measured size. */
type Size = { width: number; height: number };

function measuredOf(sizes: Map<string, Size>, id: string): { measured?: Size } {
  const m = sizes.get(id);
  return m ? { measured: m } : {};
}
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
  // Node data objects keep their identity while their node is unchanged, so a selection or a
  // move re-renders only the nodes it touches (LabNode is memoised on its props).
  const nodeData = useMemo(() => {
    const out = new Map<string, LabNodeData>();
    const ranges = radioRanges(graph);
    for (const n of graph.nodes) {
      const rt: NodeRuntime | undefined = nodeStates[n.name];
      const range = ranges.get(n.name);
      out.set(n.name, {
        name: n.name,
        kind: n.kind,
        ...(rt ? { runtime: rt } : {}),
        ...(range !== undefined ? { radioRange: range } : {}),
      });
    }
    return out;
  }, [graph, nodeStates]);
  // Unchanged nodes keep their object too, so React Flow does not rebuild their internals (and
  // redraw their links) when something else on the canvas changes.
  const nodeCache = useRef(new Map<string, FlowNode>());
  // Measured sizes are kept on the nodes we hand back, or React Flow hides a replaced node
  // until it is measured again (a double-click would then land on the pane).
  const [sizes, setSizes] = useState(() => new Map<string, Size>());
  const nodes = useMemo<FlowNode[]>(() => {
    const cache = nodeCache.current;
    const next = new Map<string, FlowNode>();
    const list = graph.nodes.map((n) => {
      const position = positions[n.name] ?? { x: 0, y: 0 };
      const selected = selection.nodes.includes(n.name);
      const data = nodeData.get(n.name) ?? { name: n.name, kind: n.kind };
      const old = cache.get(n.name);
      const node: FlowNode =
        old &&
        old.data === data &&
        old.selected === selected &&
        old.position.x === position.x &&
        old.position.y === position.y &&
        old.measured === sizes.get(n.name)
          ? old
          : {
              id: n.name,
              type: 'lab',
              position,
              selected,
              data,
              ...measuredOf(sizes, n.name),
            };
      next.set(n.name, node);
      return node;
    });
    nodeCache.current = next;
    return list;
  }, [graph, positions, selection.nodes, nodeData, sizes]);
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
    const measured: [string, Size][] = [];
    for (const c of changes) {
      if (c.type === 'position' && c.position) {
        if (!moved) next = { ...next };
        moved = true;
        next[c.id] = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
      } else if (c.type === 'dimensions' && c.dimensions) {
        measured.push([c.id, c.dimensions]);
      } else if (c.type === 'select') {
        selecting = true;
        if (c.selected) picked.add(c.id);
        else picked.delete(c.id);
      }
      // 'remove' changes never come: deleting goes through the delete action (Delete key).
    }
    if (moved) st.commit({ ...st.doc, positions: next }, 'none');
    if (measured.length > 0) {
      setSizes((prev) => {
        const changed = measured.filter(
          ([id, d]) => prev.get(id)?.width !== d.width || prev.get(id)?.height !== d.height,
        );
        return changed.length === 0 ? prev : new Map([...prev, ...changed]);
      });
    }
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
