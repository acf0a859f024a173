// The three kinds of state the renderer holds (STYLE.md habit 8): the topology document (saved),
// runtime state mirrored from the engine, and UI state (never saved).
import type {
  DeployProgress,
  ExampleFile,
  FaultFiring,
  LabState,
  LabSummary,
  LinkStatus,
  NodeState,
  TopologyProblem,
} from '../../../shared/contract.js';

/** A position on the canvas. */
export interface Point {
  x: number;
  y: number;
}

/** The saved document: topology text and node positions (the layout sidecar). */
export interface DocState {
  text: string;
  positions: Record<string, Point>;
}

/** What is selected on the canvas. */
export interface Selection {
  nodes: string[];
  /** Link ids. */
  links: string[];
}

/** The document slice: the document, its file, undo history. */
export interface DocSlice {
  doc: DocState;
  /** Absolute path of the file, or null for a new document. */
  file: string | null;
  /** The text and positions as last saved or opened, to tell whether the document is dirty. */
  saved: DocState;
  past: DocState[];
  future: DocState[];
  /** Counts loadDoc calls, so the canvas fits the view to each newly loaded document. */
  loads: number;
  /** Replaces the document (a new or opened file): clears history. */
  loadDoc: (doc: DocState, file: string | null) => void;
  /** Applies a document change; `history` says whether it enters undo history. */
  commit: (doc: DocState, history: 'record' | 'none', before?: DocState) => void;
  markSaved: (file: string, doc: DocState) => void;
  undo: () => void;
  redo: () => void;
}

/** Runtime state of one node, mirrored from the engine. */
export interface NodeRuntime {
  state: NodeState;
  reason?: string;
}

/** The runtime slice: the lab launched from this document. */
export interface LabSlice {
  lab: string | null;
  labState: LabState | 'launching' | 'idle';
  labReason?: string;
  progress: DeployProgress | null;
  nodeStates: Record<string, NodeRuntime>;
  links: LinkStatus[];
  /** The fault timeline's firings in this run, oldest first (the latest FAULT_FIRINGS_KEPT). */
  faultFirings: FaultFiring[];
  addFaultFiring: (firing: FaultFiring) => void;
  setLab: (
    patch: Partial<Pick<LabSlice, 'lab' | 'labState' | 'labReason' | 'progress' | 'links'>>,
  ) => void;
  setNodeState: (node: string, rt: NodeRuntime) => void;
  resetRuntime: () => void;
}

/** A console tab. */
export interface ConsoleTab {
  lab: string;
  node: string;
}

/** A modal prompt for a file path (web mode has no native dialogs). */
export interface PathPrompt {
  mode: 'open' | 'save' | 'directory';
  initial: string;
}

/** The UI slice: selection, consoles, dialogs, messages. Nothing here is saved. */
export interface UiSlice {
  selection: Selection;
  tabs: ConsoleTab[];
  activeTab: number;
  /** Problems of the last file that failed to open, formatted like the CLI. */
  openProblems: { file: string; lines: string[] } | null;
  /** A one-sentence message (refused link, failed command). */
  notice: { text: string; kind: 'error' | 'info' } | null;
  prompt: PathPrompt | null;
  confirm: { text: string; resolve: (ok: boolean) => void } | null;
  startScreen: boolean;
  examples: ExampleFile[];
  recent: string[];
  /** Labs the service knows (running ones can be attached to). */
  labs: LabSummary[];
  serviceState: 'running' | 'crashed' | 'disconnected';
  serviceReason?: string;
  selectedDetails: boolean;
  setSelection: (sel: Selection) => void;
  openTab: (tab: ConsoleTab) => void;
  closeTab: (index: number) => void;
  setActiveTab: (index: number) => void;
  setNotice: (text: string | null, kind?: 'error' | 'info') => void;
  setUi: (
    patch: Partial<
      Omit<
        UiSlice,
        'setSelection' | 'openTab' | 'closeTab' | 'setActiveTab' | 'setNotice' | 'setUi'
      >
    >,
  ) => void;
}

/** The whole store. */
export type AppState = DocSlice & LabSlice & UiSlice;

/** Problems of the current document, kept with it. */
export type Problems = TopologyProblem[];
