// Automatic layout (dagre) for documents without a layout sidecar, and for the L shortcut.
import dagre from '@dagrejs/dagre';
import type { Graph } from '../../shared/editor/index.js';
import type { Point } from './store/types.js';

/** Size the layout reserves per node: the node card plus room for edge labels. */
const NODE_W = 140;
const NODE_H = 80;

/** Positions for every node of the graph, top to bottom, switches in the middle ranks. */
export function autoLayout(graph: Graph): Record<string, Point> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 60, ranksep: 90, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.name, { width: NODE_W, height: NODE_H });
  for (const l of graph.links) {
    const [a, b] = l.ends;
    if (g.hasNode(a.node) && g.hasNode(b.node)) g.setEdge(a.node, b.node);
  }
  dagre.layout(g);
  const out: Record<string, Point> = {};
  for (const n of graph.nodes) {
    const p = g.node(n.name) as { x: number; y: number } | undefined;
    if (p) out[n.name] = { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) };
  }
  return out;
}

/** Fills in positions for nodes that have none, keeping the ones that exist. */
export function completePositions(
  graph: Graph,
  positions: Record<string, Point>,
): Record<string, Point> {
  const missing = graph.nodes.filter((n) => !positions[n.name]);
  if (missing.length === 0) return positions;
  if (Object.keys(positions).length === 0) return autoLayout(graph);
  const maxY = Math.max(0, ...Object.values(positions).map((p) => p.y));
  const out = { ...positions };
  missing.forEach((n, i) => {
    out[n.name] = { x: 40 + i * (NODE_W + 20), y: maxY + NODE_H + 60 };
  });
  return out;
}
