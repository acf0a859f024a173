// Segments: the sets of node ports joined by links and switches (one broadcast domain each).
import { formatEndpoint, linkId, parseEndpoint } from './endpoint.js';
import { findNodeKind } from './kinds/index.js';
import type { Topology } from './schema.js';
import { listSome } from './text.js';

/** One broadcast domain: ports and switches connected through links. */
export interface Segment {
  /** The first switch name in sorted order, or the link id when no switch is involved. */
  id: string;
  /** "node:port" of every non-switch port on the segment, in link order. */
  ports: string[];
  /** Switches (bare-attached nodes) on the segment, sorted. */
  switches: string[];
  /** Ids of the links on the segment, in document order. */
  links: string[];
}

/** Union-find over string elements, with path halving. */
export class UnionFind {
  private readonly parent = new Map<string, string>();

  /** Adds an element (no-op when present). */
  add(x: string): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }

  /** The representative of x's set. */
  find(x: string): string {
    this.add(x);
    let cur = x;
    for (;;) {
      const p = this.parent.get(cur) ?? cur;
      if (p === cur) return cur;
      const gp = this.parent.get(p) ?? p;
      this.parent.set(cur, gp);
      cur = gp;
    }
  }

  /** Joins the sets of a and b; returns false when they were already one set. */
  union(a: string, b: string): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    this.parent.set(rb, ra);
    return true;
  }
}

/** The element a link endpoint stands for: "node:port", or the switch name. */
export function endpointElement(text: string): string {
  const parsed = parseEndpoint(text);
  return parsed ? formatEndpoint(parsed) : text;
}

/**
 * Resolves the segments of a validated topology. Every switch is on exactly one segment (alone
 * if unlinked); a port is on a segment only when a link uses it.
 */
export function resolveSegments(topology: Topology): Segment[] {
  const uf = new UnionFind();
  const switches: string[] = [];
  for (const [name, spec] of Object.entries(topology.nodes)) {
    if (findNodeKind(spec.kind)?.attach === 'bare') {
      switches.push(name);
      uf.add(name);
    }
  }
  const isSwitch = new Set(switches);
  // Each endpoint text is parsed once: a switch's name is an endpoint of all its links.
  const elements = new Map<string, string>();
  const elementOf = (text: string): string => {
    let element = elements.get(text);
    if (element === undefined) {
      element = endpointElement(text);
      elements.set(text, element);
    }
    return element;
  };
  for (const link of topology.links) {
    if (link.endpoints.length === 2)
      uf.union(elementOf(link.endpoints[0]), elementOf(link.endpoints[1]));
    else uf.add(elementOf(link.endpoints[0]));
  }

  const byRoot = new Map<string, Segment>();
  // The ports already on each segment, beside its list (which keeps link order).
  const portsOf = new Map<Segment, Set<string>>();
  const segmentOf = (element: string): Segment => {
    const root = uf.find(element);
    let seg = byRoot.get(root);
    if (!seg) {
      seg = { id: '', ports: [], switches: [], links: [] };
      byRoot.set(root, seg);
    }
    return seg;
  };
  for (const link of topology.links) {
    const seg = segmentOf(elementOf(link.endpoints[0]));
    seg.links.push(linkId(link));
    let ports = portsOf.get(seg);
    if (!ports) {
      ports = new Set();
      portsOf.set(seg, ports);
    }
    for (const end of link.endpoints) {
      const element = elementOf(end);
      if (isSwitch.has(element) || ports.has(element)) continue;
      ports.add(element);
      seg.ports.push(element);
    }
  }
  for (const name of switches) segmentOf(name).switches.push(name);
  const segments = [...byRoot.values()];
  for (const seg of segments) {
    seg.switches.sort();
    seg.id = seg.switches[0] ?? seg.links[0] ?? '';
  }
  return segments;
}

/** Describes a segment for messages, e.g. "switch sw" or "link h1:eth0--h2:eth0". */
export function describeSegment(segment: Segment): string {
  if (segment.switches.length === 1) return `switch ${segment.switches[0] ?? ''}`;
  if (segment.switches.length > 1) return `switches ${listSome(segment.switches)}`;
  return `link ${segment.id}`;
}
