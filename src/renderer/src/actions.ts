// Editor actions (excalidraw's pattern): each is a pure perform(doc, arg) that returns the new
// document or a one-sentence refusal, and declares whether it enters undo history.
import {
  addNode,
  connectNodes,
  freeNodeName,
  readGraph,
  removeLinks,
  removeNodes,
  renameNode,
  setValue,
  addLink,
} from '../../shared/editor/index.js';
import { checkName, parseEndpoint, validateTopologyText } from '../../shared/topology/index.js';
import { autoLayout } from './layout.js';
import { useStore } from './store/index.js';
import type { DocState, Point, Selection } from './store/types.js';

/** What an action produced. */
export type ActionResult =
  { ok: true; doc: DocState; selection?: Selection } | { ok: false; reason: string };

/** An editor action. */
export interface EditorAction<A> {
  name: string;
  /** "record": the change can be undone; "none": it does not enter history. */
  history: 'record' | 'none';
  perform(doc: DocState, arg: A): ActionResult;
}

function problemsOf(text: string): string[] {
  const r = validateTopologyText(text, 'topology.yaml');
  return r.ok ? [] : r.problems.map((p) => p.message);
}

/** The name prefix of new nodes of a kind: h1, sw1, qemu1... */
export function namePrefix(kind: string): string {
  if (kind === 'host') return 'h';
  if (kind === 'switch') return 'sw';
  return kind.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'n';
}

/** Adds a node of a kind at a position. */
export const addNodeAction: EditorAction<{ kind: string; position: Point }> = {
  name: 'addNode',
  history: 'record',
  perform(doc, { kind, position }) {
    const name = freeNodeName(readGraph(doc.text), namePrefix(kind));
    return {
      ok: true,
      doc: {
        text: addNode(doc.text, name, { kind }),
        positions: { ...doc.positions, [name]: position },
      },
      selection: { nodes: [name], links: [] },
    };
  },
};

/** Links two nodes, choosing ports; refused when it adds a problem to the document. */
export const connectAction: EditorAction<{ a: string; b: string }> = {
  name: 'connect',
  history: 'record',
  perform(doc, { a, b }) {
    const r = connectNodes(doc.text, a, b);
    if (!r.ok) return { ok: false, reason: `cannot link ${a} and ${b}: ${r.reason}` };
    const before = new Set(problemsOf(doc.text));
    const added = problemsOf(r.text).filter((m) => !before.has(m));
    if (added.length > 0)
      return { ok: false, reason: `cannot link ${a} and ${b}: ${added[0] ?? ''}` };
    const id = `${r.endpoints[0]}--${r.endpoints[1]}`;
    return { ok: true, doc: { ...doc, text: r.text }, selection: { nodes: [], links: [id] } };
  },
};

/** Deletes the selected nodes (with their links) and links. */
export const deleteAction: EditorAction<Selection> = {
  name: 'delete',
  history: 'record',
  perform(doc, sel) {
    const graph = readGraph(doc.text);
    const indexes = graph.links.filter((l) => sel.links.includes(l.id)).map((l) => l.index);
    let text = removeLinks(doc.text, indexes);
    text = removeNodes(text, sel.nodes);
    const positions = { ...doc.positions };
    for (const n of sel.nodes) delete positions[n];
    return { ok: true, doc: { text, positions }, selection: { nodes: [], links: [] } };
  },
};

/** Sets (or with undefined, removes) one setting of a node or link. */
export const setFieldAction: EditorAction<{ path: (string | number)[]; value: unknown }> = {
  name: 'setField',
  history: 'record',
  perform(doc, { path, value }) {
    return { ok: true, doc: { ...doc, text: setValue(doc.text, path, value) } };
  },
};

/** Renames a node; refused when the name is invalid or taken. */
export const renameAction: EditorAction<{ from: string; to: string }> = {
  name: 'rename',
  history: 'record',
  perform(doc, { from, to }) {
    const problem = checkName(to, 'node name');
    if (problem) return { ok: false, reason: problem };
    if (readGraph(doc.text).nodes.some((n) => n.name === to)) {
      return { ok: false, reason: `a node named "${to}" already exists; choose another name` };
    }
    const positions = { ...doc.positions };
    const p = positions[from];
    delete positions[from];
    if (p) positions[to] = p;
    return {
      ok: true,
      doc: { text: renameNode(doc.text, from, to), positions },
      selection: { nodes: [to], links: [] },
    };
  },
};

/** Lays every node out automatically. */
export const layoutAction: EditorAction<null> = {
  name: 'autoLayout',
  history: 'record',
  perform(doc) {
    return { ok: true, doc: { ...doc, positions: autoLayout(readGraph(doc.text)) } };
  },
};

/** What copy puts on the clipboard: nodes with settings and positions, links between them. */
export interface Clipboard {
  nodes: { name: string; spec: Record<string, unknown>; position: Point }[];
  links: [string, string][];
}

/** Copies the selected nodes and the links among them. */
export function copySelection(doc: DocState, sel: Selection): Clipboard | null {
  const graph = readGraph(doc.text);
  const nodes = graph.nodes
    .filter((n) => sel.nodes.includes(n.name))
    .map((n) => ({
      name: n.name,
      spec: structuredClone(n.spec),
      position: doc.positions[n.name] ?? { x: 0, y: 0 },
    }));
  if (nodes.length === 0) return null;
  const links = graph.links
    .filter((l) => l.ends.every((e) => sel.nodes.includes(e.node)))
    .map((l) => l.endpoints);
  return { nodes, links };
}

/** Pastes a clipboard with fresh node names, offset from the originals. */
export const pasteAction: EditorAction<Clipboard> = {
  name: 'paste',
  history: 'record',
  perform(doc, clip) {
    let text = doc.text;
    const positions = { ...doc.positions };
    const names = new Map<string, string>();
    for (const n of clip.nodes) {
      const kind = typeof n.spec['kind'] === 'string' ? n.spec['kind'] : 'host';
      const name = freeNodeName(readGraph(text), namePrefix(kind));
      names.set(n.name, name);
      text = addNode(text, name, n.spec);
      positions[name] = { x: n.position.x + 40, y: n.position.y + 40 };
    }
    for (const [a, b] of clip.links) {
      const rename = (ep: string): string => {
        const e = parseEndpoint(ep);
        if (!e) return ep;
        const node = names.get(e.node) ?? e.node;
        return e.port === undefined ? node : `${node}:${e.port}`;
      };
      text = addLink(text, rename(a), rename(b));
    }
    return {
      ok: true,
      doc: { text, positions },
      selection: { nodes: [...names.values()], links: [] },
    };
  },
};

/** Runs an action on the store's document: commits it or shows its refusal. */
export function run<A>(action: EditorAction<A>, arg: A): boolean {
  const s = useStore.getState();
  const r = action.perform(s.doc, arg);
  if (!r.ok) {
    s.setNotice(r.reason, 'error');
    return false;
  }
  s.commit(r.doc, action.history);
  if (r.selection) s.setSelection(r.selection);
  s.setNotice(null);
  return true;
}
