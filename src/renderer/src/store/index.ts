// One zustand store built from typed slices (zustand slices pattern); counters live in a
// separate store read through transient subscriptions (see counters.ts).
import { create, type StateCreator } from 'zustand';
import { readGraph } from '../../../shared/editor/index.js';
import type { AppState, DocSlice, DocState, LabSlice, Selection, UiSlice } from './types.js';

/** Undo keeps this many steps: far more than anyone undoes, small since a step is one text. */
const MAX_HISTORY = 200;

/** The text of the first, empty document. */
export const EMPTY_TEXT = 'name: untitled\nnodes: {}\nlinks: []\n';

const createDocSlice: StateCreator<AppState, [], [], DocSlice> = (set, get) => ({
  doc: { text: EMPTY_TEXT, positions: {} },
  file: null,
  saved: { text: EMPTY_TEXT, positions: {} },
  past: [],
  future: [],
  loads: 0,
  loadDoc: (doc, file) =>
    set({ doc, file, saved: doc, past: [], future: [], loads: get().loads + 1 }),
  commit: (doc, history, before) => {
    if (history === 'none') {
      set({ doc });
      return;
    }
    const prev = before ?? get().doc;
    set({ doc, past: [...get().past, prev].slice(-MAX_HISTORY), future: [] });
  },
  markSaved: (file, doc) => set({ file, saved: doc }),
  undo: () => {
    const { past, doc, future } = get();
    const prev = past[past.length - 1];
    if (!prev) return;
    set({ doc: prev, past: past.slice(0, -1), future: [doc, ...future] });
    set({ selection: existing(prev, get().selection) });
  },
  redo: () => {
    const { past, doc, future } = get();
    const next = future[0];
    if (!next) return;
    set({ doc: next, past: [...past, doc], future: future.slice(1) });
    set({ selection: existing(next, get().selection) });
  },
});

/** The part of a selection that still exists in a document (after undo or redo). */
function existing(doc: DocState, sel: Selection): Selection {
  const graph = readGraph(doc.text);
  return {
    nodes: sel.nodes.filter((n) => graph.nodes.some((g) => g.name === n)),
    links: sel.links.filter((l) => graph.links.some((g) => g.id === l)),
  };
}

/** Fault firings the app keeps per run (a fault every second would otherwise grow forever). */
const FAULT_FIRINGS_KEPT = 50;

const createLabSlice: StateCreator<AppState, [], [], LabSlice> = (set, get) => ({
  lab: null,
  labState: 'idle',
  progress: null,
  nodeStates: {},
  links: [],
  faultFirings: [],
  addFaultFiring: (firing) =>
    set({ faultFirings: [...get().faultFirings, firing].slice(-FAULT_FIRINGS_KEPT) }),
  setLab: (patch) => set(patch),
  setNodeState: (node, rt) => set({ nodeStates: { ...get().nodeStates, [node]: rt } }),
  resetRuntime: () =>
    set({
      lab: null,
      labState: 'idle',
      labReason: undefined,
      progress: null,
      nodeStates: {},
      links: [],
      faultFirings: [],
    }),
});

const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set, get) => ({
  selection: { nodes: [], links: [] },
  tabs: [],
  activeTab: 0,
  openProblems: null,
  notice: null,
  prompt: null,
  confirm: null,
  startScreen: true,
  examples: [],
  recent: [],
  labs: [],
  serviceState: 'running',
  selectedDetails: false,
  setSelection: (selection) => set({ selection }),
  openTab: (tab) => {
    const tabs = get().tabs;
    const at = tabs.findIndex((t) => t.lab === tab.lab && t.node === tab.node);
    if (at >= 0) set({ activeTab: at });
    else set({ tabs: [...tabs, tab], activeTab: tabs.length });
  },
  closeTab: (index) => {
    const tabs = get().tabs.filter((_, i) => i !== index);
    set({ tabs, activeTab: Math.max(0, Math.min(get().activeTab, tabs.length - 1)) });
  },
  setActiveTab: (activeTab) => set({ activeTab }),
  setNotice: (text, kind = 'error') => set({ notice: text === null ? null : { text, kind } }),
  setUi: (patch) => set(patch),
});

/** The renderer's store. */
export const useStore = create<AppState>()((...a) => ({
  ...createDocSlice(...a),
  ...createLabSlice(...a),
  ...createUiSlice(...a),
}));

/** True when the document differs from what was last opened or saved. */
export function isDirty(s: Pick<AppState, 'doc' | 'saved'>): boolean {
  return s.doc.text !== s.saved.text || !samePositions(s.doc, s.saved);
}

function samePositions(a: DocState, b: DocState): boolean {
  const ka = Object.keys(a.positions);
  if (ka.length !== Object.keys(b.positions).length) return false;
  return ka.every((k) => {
    const p = a.positions[k];
    const q = b.positions[k];
    return !!p && !!q && p.x === q.x && p.y === q.y;
  });
}
