// What the canvas draws for radio media: the range circle of each member of a medium that
// delivers by distance on the canvas.
import type { Graph } from './graph.js';

/**
 * The range (canvas units) around each node that is a member of a radio-154 medium with
 * delivery: range and whose position comes from the canvas (not from the medium's
 * `positions:`). A node on two such media gets the larger range.
 */
export function radioRanges(graph: Graph): Map<string, number> {
  const out = new Map<string, number>();
  for (const medium of graph.nodes) {
    if (medium.kind !== 'radio-154' || medium.spec['delivery'] !== 'range') continue;
    const range = medium.spec['range'];
    if (typeof range !== 'number' || !(range > 0)) continue;
    const fixed = medium.spec['positions'];
    const pinned =
      typeof fixed === 'object' && fixed !== null ? new Set(Object.keys(fixed)) : new Set();
    for (const link of graph.links) {
      const [a, b] = link.ends;
      const member = a.node === medium.name ? b.node : b.node === medium.name ? a.node : undefined;
      if (member === undefined || member === medium.name || pinned.has(member)) continue;
      out.set(member, Math.max(out.get(member) ?? 0, range));
    }
  }
  return out;
}
