// Edits of topology text as pure functions: text in, text out, through the yaml package's
// Document API so comments and formatting elsewhere in the file survive. Text that is never
// edited is never re-serialised, so opening and saving a file leaves it byte-identical.
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { findLinkKind, findNodeKind } from '../topology/index.js';
import { readGraph, type Graph } from './graph.js';

/** Serialisation options: no line folding, so long values are kept as written. */
const TO_STRING = { lineWidth: 0, minContentWidth: 0 } as const;

type Path = (string | number)[];

function parse(text: string): Document {
  return parseDocument(text, { uniqueKeys: false });
}

function isPlain(v: unknown): boolean {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/** Creates a YAML node for a value: lists of scalars and small maps are written inline. */
function toNode(doc: Document, value: unknown): Node {
  const node = doc.createNode(value) as Node;
  const style = (n: unknown): void => {
    if (isSeq(n)) {
      if (n.items.every((i) => isScalar(i))) n.flow = true;
      else n.items.forEach(style);
    } else if (isMap(n)) {
      if (n.items.length === 0) n.flow = true;
      for (const p of n.items) style(p.value);
    }
  };
  style(node);
  return node;
}

/** Makes sure the collection at `key` of the top level is a block map or block list. */
function ensureCollection(doc: Document, key: string, kind: 'map' | 'seq'): void {
  const current = doc.get(key, true);
  const ok = kind === 'map' ? isMap(current) : isSeq(current);
  if (!ok) {
    const node = doc.createNode(kind === 'map' ? {} : []);
    doc.set(key, node);
    return;
  }
  const coll = current as { flow?: boolean; items: unknown[] };
  if (coll.items.length === 0) coll.flow = false;
}

function done(doc: Document): string {
  return doc.toString(TO_STRING);
}

/** The text of a new, empty lab. */
export function newDocumentText(name: string): string {
  return `name: ${name}\nnodes: {}\nlinks: []\n`;
}

/** Adds a node with the given settings (at least its kind). */
export function addNode(text: string, name: string, spec: Record<string, unknown>): string {
  const doc = parse(text);
  ensureCollection(doc, 'nodes', 'map');
  doc.setIn(['nodes', name], toNode(doc, spec));
  return done(doc);
}

/** Removes nodes and every link that touches one of them. */
export function removeNodes(text: string, names: readonly string[]): string {
  if (names.length === 0) return text;
  const graph = readGraph(text);
  const doc = parse(text);
  const dropLinks = graph.links
    .filter((l) => l.ends.some((e) => names.includes(e.node)))
    .map((l) => l.index);
  removeLinkIndexes(doc, dropLinks);
  for (const n of names) doc.deleteIn(['nodes', n]);
  return done(doc);
}

function removeLinkIndexes(doc: Document, indexes: readonly number[]): void {
  for (const i of [...new Set(indexes)].sort((a, b) => b - a)) doc.deleteIn(['links', i]);
}

/** Removes the links at the given indexes of the `links` list. */
export function removeLinks(text: string, indexes: readonly number[]): string {
  if (indexes.length === 0) return text;
  const doc = parse(text);
  removeLinkIndexes(doc, indexes);
  return done(doc);
}

/** Appends a link between two endpoints, of `kind` when given (else the default kind). */
export function addLink(text: string, a: string, b: string, kind?: string): string {
  const doc = parse(text);
  ensureCollection(doc, 'links', 'seq');
  const links = doc.get('links', true);
  if (isSeq(links))
    links.add(
      toNode(doc, kind !== undefined ? { kind, endpoints: [a, b] } : { endpoints: [a, b] }),
    );
  return done(doc);
}

/** Sets the value at a path (creating maps on the way); undefined deletes it. */
export function setValue(text: string, path: Path, value: unknown): string {
  const doc = parse(text);
  if (value === undefined) {
    doc.deleteIn(path);
  } else {
    for (let i = 1; i < path.length; i++) {
      const at = doc.getIn(path.slice(0, i), true);
      if (at === undefined || (isScalar(at) && at.value === null)) {
        doc.setIn(path.slice(0, i), doc.createNode({}));
      } else if (isMap(at) && at.flow && at.items.length === 0) {
        at.flow = false;
      }
    }
    doc.setIn(path, isPlain(value) ? value : toNode(doc, value));
  }
  return done(doc);
}

/** The value at a path as plain data. */
export function getValue(text: string, path: Path): unknown {
  return parse(text).getIn(path, false);
}

/** Renames a node and every endpoint that names it. */
export function renameNode(text: string, from: string, to: string): string {
  if (from === to) return text;
  const graph = readGraph(text);
  const doc = parse(text);
  const nodes = doc.get('nodes', true);
  if (!isMap(nodes)) return text;
  const pair = nodes.items.find((p) => isScalar(p.key) && p.key.value === from);
  if (!pair || !isScalar(pair.key)) return text;
  pair.key.value = to;
  for (const link of graph.links) {
    link.endpoints.forEach((ep, i) => {
      const end = link.ends[i];
      if (end?.node !== from) return;
      doc.setIn(
        ['links', link.index, 'endpoints', i],
        end.port === undefined ? to : `${to}:${end.port}`,
      );
      void ep;
    });
  }
  return done(doc);
}

/** Where a new link attaches on one node, or why it cannot. */
export type LinkEnd =
  | { ok: true; endpoint: string; createPort?: { key: string; port: string } }
  | { ok: false; reason: string };

/**
 * Chooses the endpoint of a new link on a node: the bare name of a switch-like node, else a
 * declared port no link uses yet, else the next free ethN (declared on the way). For a link
 * carried by a serial port (`serial`), the node's first serial port no link uses.
 */
export function chooseLinkEnd(graph: Graph, node: string, serial = false): LinkEnd {
  const gn = graph.nodes.find((n) => n.name === node);
  if (!gn) return { ok: false, reason: `node "${node}" is not in the document` };
  const kind = findNodeKind(gn.kind);
  if (!kind)
    return {
      ok: false,
      reason: `node "${node}" has an unknown kind "${gn.kind}"; fix its kind first`,
    };
  if (kind.attach === 'bare') return { ok: true, endpoint: node };
  const used = new Set(
    graph.links.flatMap((l) => l.ends.filter((e) => e.node === node).map((e) => e.port ?? '')),
  );
  if (serial) {
    const serialPorts = kind.serialPorts ?? [];
    const port = serialPorts.find((p) => !used.has(p));
    if (port !== undefined) return { ok: true, endpoint: `${node}:${port}` };
    return {
      ok: false,
      reason:
        serialPorts.length === 0
          ? `a ${gn.kind} node has no serial port; connect a qemu node instead`
          : `every serial port of "${node}" is in use (${serialPorts.join(', ')})`,
    };
  }
  const key = kind.portsKey;
  const declaredMap = key !== undefined ? gn.spec[key] : undefined;
  const declared =
    typeof declaredMap === 'object' && declaredMap !== null ? Object.keys(declaredMap) : [];
  const free = declared.find((p) => !used.has(p));
  if (free !== undefined) return { ok: true, endpoint: `${node}:${free}` };
  for (let i = 0; ; i++) {
    const port = `eth${i}`;
    if (used.has(port) || declared.includes(port)) continue;
    return {
      ok: true,
      endpoint: `${node}:${port}`,
      ...(key !== undefined ? { createPort: { key, port } } : {}),
    };
  }
}

/** Adds a link between two nodes, choosing (and declaring) a port on each end. */
export function connectNodes(
  text: string,
  a: string,
  b: string,
): { ok: true; text: string; endpoints: [string, string] } | { ok: false; reason: string } {
  if (a === b) return { ok: false, reason: 'a link needs two different nodes' };
  const graph = readGraph(text);
  // A node that fixes the link kind (a radio medium) makes the other end use a serial port.
  const fixedKind = [a, b]
    .map((n) => findNodeKind(graph.nodes.find((g) => g.name === n)?.kind ?? '')?.linkKind)
    .find((k) => k !== undefined);
  const serial = fixedKind !== undefined && findLinkKind(fixedKind)?.serial === true;
  const ea = chooseLinkEnd(graph, a, serial);
  if (!ea.ok) return ea;
  const eb = chooseLinkEnd(graph, b, serial);
  if (!eb.ok) return eb;
  let next = text;
  for (const [node, end] of [
    [a, ea],
    [b, eb],
  ] as const) {
    if (end.createPort)
      next = setValue(next, ['nodes', node, end.createPort.key, end.createPort.port], {});
  }
  next = addLink(next, ea.endpoint, eb.endpoint, fixedKind);
  return { ok: true, text: next, endpoints: [ea.endpoint, eb.endpoint] };
}

/** A free node name with the given prefix: prefix1, prefix2, ... */
export function freeNodeName(graph: Graph, prefix: string): string {
  const names = new Set(graph.nodes.map((n) => n.name));
  for (let i = 1; ; i++) {
    const name = `${prefix}${i}`;
    if (!names.has(name)) return name;
  }
}

/**
 * Merges another topology's nodes and links into `text` (e.g. an imported Zephyr lab): nodes
 * whose name is taken get a fresh one, and links follow the renames. Returns the added names.
 */
export function mergeTopology(text: string, other: string): { text: string; nodes: string[] } {
  const incoming = readGraph(other);
  let next = text;
  const names = new Map<string, string>();
  for (const n of incoming.nodes) {
    const graph = readGraph(next);
    const taken = graph.nodes.some((g) => g.name === n.name);
    const name = taken ? freeNodeName(graph, n.name.replace(/[0-9]+$/, '') || 'n') : n.name;
    names.set(n.name, name);
    next = addNode(next, name, n.spec);
  }
  for (const l of incoming.links) {
    const [a, b] = l.ends.map((e) => {
      const node = names.get(e.node) ?? e.node;
      return e.port === undefined ? node : `${node}:${e.port}`;
    });
    if (a !== undefined && b !== undefined) next = addLink(next, a, b);
  }
  return { text: next, nodes: [...names.values()] };
}
