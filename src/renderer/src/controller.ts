// What the UI does with the app contract: files, labs, consoles, captures. Components call
// these; they talk to the AppClient and update the store.
import type { AppClient, LinkStatus, OpenedFile } from '../../shared/contract.js';
import { EngineError } from '../../shared/contract.js';
import { DisposableStore } from '../../shared/lifecycle.js';
import { newDocumentText, readGraph } from '../../shared/editor/index.js';
import { formatProblem } from '../../shared/topology/index.js';
import { completePositions } from './layout.js';
import { isDirty, useStore } from './store/index.js';
import { applySnapshot, resetCounters } from './store/counters.js';
import type { DocState } from './store/types.js';

let client: AppClient | undefined;

/** The app client; set once at start-up. */
export function appClient(): AppClient {
  if (!client) throw new Error('the app client is not connected yet');
  return client;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a command and shows its failure as a notice instead of throwing. */
export async function attempt<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    useStore.getState().setNotice(message(err), 'error');
    return undefined;
  }
}

/** Asks the user to confirm (in-page dialog). */
export function confirmDialog(text: string): Promise<boolean> {
  return new Promise((resolve) => {
    useStore.getState().setUi({
      confirm: {
        text,
        resolve: (ok) => {
          useStore.getState().setUi({ confirm: null });
          resolve(ok);
        },
      },
    });
  });
}

async function discardOk(): Promise<boolean> {
  const s = useStore.getState();
  if (!isDirty(s)) return true;
  return confirmDialog('The lab has unsaved changes. Discard them?');
}

async function refreshLists(): Promise<void> {
  const c = appClient();
  const [examples, recent, labs] = await Promise.all([
    c.call('listExamples', {}).catch(() => ({ examples: [] })),
    c.call('recentFiles', {}).catch(() => ({ files: [] })),
    c.call('labList', {}).catch(() => ({ labs: [] })),
  ]);
  useStore.getState().setUi({ examples: examples.examples, recent: recent.files, labs: labs.labs });
  // After a reconnect, pick up where the lab is now.
  const mine = labs.labs.find((l) => l.name === useStore.getState().lab);
  if (mine?.state === 'running') void refreshStatus();
}

/** Connects the store to the client's events; dispose to disconnect. */
export function connectClient(c: AppClient): DisposableStore {
  client = c;
  const store = new DisposableStore();
  const s = (): ReturnType<typeof useStore.getState> => useStore.getState();
  const mine = (lab: string): boolean => s().lab === lab;
  store.add(
    c.on('labLabState', (e) => {
      if (!mine(e.lab)) return;
      s().setLab({ labState: e.state, labReason: e.reason });
      if (e.state === 'running') void refreshStatus();
      if (e.state === 'stopped') resetCounters();
    }),
  );
  store.add(
    c.on('labDeployProgress', (e) => {
      if (mine(e.lab)) s().setLab({ progress: e });
    }),
  );
  store.add(
    c.on('labNodeState', (e) => {
      if (mine(e.lab))
        s().setNodeState(e.node, { state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
    }),
  );
  store.add(
    c.on('labFaultFired', (e) => {
      if (mine(e.lab)) s().addFaultFiring(e);
    }),
  );
  store.add(
    c.on('labCounters', (e) => {
      if (mine(e.lab)) applySnapshot(e, s().links);
    }),
  );
  store.add(
    c.on('labs', (e) => {
      s().setUi({ labs: e.labs });
      const lab = s().lab;
      const me = e.labs.find((l) => l.name === lab);
      if (!me) return;
      if (me.state === 'launching') return;
      s().setLab({ labState: me.state, labReason: me.reason });
      if (me.state === 'stopped') labStopped(me.name);
    }),
  );
  store.add(
    c.on('serviceState', (e) => {
      s().setUi({ serviceState: e.state, serviceReason: e.reason });
      if (e.state === 'running') void refreshLists();
    }),
  );
  void refreshLists();
  return store;
}

async function refreshStatus(): Promise<void> {
  const lab = useStore.getState().lab;
  if (!lab) return;
  const status = await attempt(() => appClient().call('labStatus', { lab }));
  if (!status) return;
  const st = useStore.getState();
  st.setLab({ links: status.links });
  for (const n of status.nodes)
    st.setNodeState(n.name, { state: n.state, ...(n.reason ? { reason: n.reason } : {}) });
}

function docFrom(opened: OpenedFile): DocState {
  const positions = completePositions(readGraph(opened.text), opened.layout?.nodes ?? {});
  return { text: opened.text, positions };
}

/** Starts a new, empty lab (after the unsaved-changes prompt). */
export async function newFile(): Promise<void> {
  if (!(await discardOk())) return;
  const text = newDocumentText('untitled');
  useStore.getState().loadDoc({ text, positions: {} }, null);
  useStore
    .getState()
    .setUi({ startScreen: false, openProblems: null, selection: { nodes: [], links: [] } });
}

/**
 * Opens a file. A file with problems does not replace the canvas: its problems are shown as
 * the CLI prints them, and "open anyway" loads it for fixing.
 */
export async function openFile(file: string, force = false): Promise<void> {
  const st = useStore.getState();
  let opened: OpenedFile;
  try {
    opened = await appClient().call('openFile', { file });
  } catch (err) {
    const problems = err instanceof EngineError ? err.problems : undefined;
    st.setUi({
      openProblems: { file, lines: problems ? problems.map(formatProblem) : [message(err)] },
    });
    return;
  }
  if (opened.problems.length > 0 && !force) {
    st.setUi({ openProblems: { file: opened.file, lines: opened.problems.map(formatProblem) } });
    return;
  }
  if (!force && !(await discardOk())) return;
  st.loadDoc(docFrom(opened), opened.file);
  // The positions computed for a file without a sidecar are not a change to save.
  if (!opened.layout)
    useStore.setState({
      saved: { text: opened.text, positions: useStore.getState().doc.positions },
    });
  st.setUi({ startScreen: false, openProblems: null, selection: { nodes: [], links: [] } });
  void refreshLists();
}

/** Chooses a file path: a native dialog in Electron, an in-page prompt in a browser. */
export async function choosePath(
  mode: 'open' | 'save' | 'directory',
  hint?: string,
): Promise<string | null> {
  const info = await attempt(() => appClient().call('appInfo', {}));
  const st = useStore.getState();
  if (info?.nativeDialogs) {
    const r = await attempt(() =>
      appClient().call('chooseFile', { mode, ...(st.file ? { defaultPath: st.file } : {}) }),
    );
    return r?.file ?? null;
  }
  const name = readGraph(st.doc.text).name || 'untitled';
  const home = info?.homeDir ?? '';
  const initial =
    mode === 'directory'
      ? `${home}/${hint ?? 'zephyrproject/zephyr/build'}`
      : (st.file ?? `${home}/${name}.yaml`);
  return new Promise((resolve) => {
    st.setUi({ prompt: { mode, initial } });
    const unsub = useStore.subscribe((state, prev) => {
      if (prev.prompt && !state.prompt) {
        unsub();
        resolve(promptAnswer);
        promptAnswer = null;
      }
    });
  });
}

let promptAnswer: string | null = null;

/** Closes the path prompt with an answer (null: cancelled). */
export function answerPrompt(path: string | null): void {
  promptAnswer = path;
  useStore.getState().setUi({ prompt: null });
}

/** Asks for a file and opens it. */
export async function openDialog(): Promise<void> {
  const path = await choosePath('open');
  if (path) await openFile(path);
}

/** Saves to the current file, or asks for one. Returns false when not saved. */
export async function save(as = false): Promise<boolean> {
  const st = useStore.getState();
  let file = st.file;
  if (as || !file) file = await choosePath('save');
  if (!file) return false;
  const doc = useStore.getState().doc;
  const r = await attempt(() =>
    appClient().call('saveFile', {
      file: file,
      text: doc.text,
      layout: { version: 1, nodes: doc.positions },
    }),
  );
  if (!r) return false;
  useStore.getState().markSaved(r.file, doc);
  useStore.getState().setNotice(`saved ${r.file}`, 'info');
  void refreshLists();
  return true;
}

/** Saves if needed, then launches the lab of the file. */
export async function launch(): Promise<void> {
  let st = useStore.getState();
  if (isDirty(st) || !st.file) {
    if (!(await save())) return;
    st = useStore.getState();
  }
  const file = st.file;
  if (!file) return;
  resetCounters();
  st.setLab({
    lab: readGraph(st.doc.text).name,
    labState: 'launching',
    labReason: undefined,
    progress: null,
    links: [],
  });
  useStore.setState({ nodeStates: {}, faultFirings: [] });
  const r = await attempt(() => appClient().call('labLaunch', { file }));
  if (!r) {
    useStore.getState().setLab({ labState: 'failed' });
    return;
  }
  useStore.getState().setLab({ lab: r.lab });
}

/** Takes the lab down. */
export async function stop(): Promise<void> {
  const lab = useStore.getState().lab;
  if (!lab) return;
  useStore.getState().setLab({ labState: 'destroying' });
  await attempt(() => appClient().call('labStop', { lab }));
  labStopped(lab);
}

/** Clears what belonged to a lab that stopped: counters, node states, its console tabs. */
function labStopped(lab: string): void {
  resetCounters();
  useStore.getState().setLab({ labState: 'stopped', progress: null, links: [] });
  const tabs = useStore.getState().tabs.filter((t) => t.lab !== lab);
  useStore.setState({ nodeStates: {}, tabs, activeTab: 0 });
}

/** Starts or stops one node of the running lab. */
export async function nodeCommand(node: string, action: 'start' | 'stop'): Promise<void> {
  const lab = useStore.getState().lab;
  if (!lab) return;
  const st = await attempt(() =>
    appClient().call(action === 'start' ? 'labNodeStart' : 'labNodeStop', { lab, node }),
  );
  if (st)
    useStore
      .getState()
      .setNodeState(node, { state: st.state, ...(st.reason ? { reason: st.reason } : {}) });
}

/**
 * Sets (spec) or clears (null) one direction's impairment of a link on the running lab. The
 * answer (what is now in force) replaces the link's status, so the canvas marks it at once;
 * the lab's status is read again after.
 */
export async function impairLink(
  link: string,
  dir: 'a->b' | 'b->a',
  spec: string | null,
): Promise<LinkStatus | undefined> {
  const lab = useStore.getState().lab;
  if (!lab) return undefined;
  const st = await attempt(() =>
    appClient().call(
      'labLinkImpair',
      spec === null ? { lab, link, dir, clear: true } : { lab, link, dir, spec },
    ),
  );
  if (st && useStore.getState().lab === lab) {
    const links = useStore.getState().links;
    const known = links.some((l) => l.id === st.id);
    useStore
      .getState()
      .setLab({ links: known ? links.map((l) => (l.id === st.id ? st : l)) : [...links, st] });
    void refreshStatus();
  }
  return st;
}

/** Opens a console tab for a node of the running lab. */
export function openConsole(node: string): void {
  const lab = useStore.getState().lab;
  if (!lab) {
    useStore.getState().setNotice('launch the lab to open consoles', 'info');
    return;
  }
  useStore.getState().openTab({ lab, node });
}

/** Starts a capture on a link or port: Wireshark when possible, else a pcapng download/file. */
export async function capture(target: string): Promise<void> {
  const lab = useStore.getState().lab;
  if (!lab) return;
  const c = appClient();
  // In a browser the capture is downloaded (Wireshark would open on the server's machine).
  const info = await c.call('appInfo', {}).catch(() => undefined);
  const live =
    info?.transport === 'electron'
      ? await c.call('captureOpen', { lab, target, sink: 'wireshark' }).catch(() => undefined)
      : undefined;
  if (live) {
    useStore.getState().setNotice(`capturing ${target} into Wireshark; stop it there`, 'info');
    return;
  }
  // No Wireshark: collect the pcapng stream for 10 s and download it.
  const chunks: Uint8Array[] = [];
  let id = '';
  const sub = c.on('labCaptureData', (e) => {
    if (e.lab === lab && (id === '' || e.captureId === id)) {
      const bin = atob(e.data);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      chunks.push(bytes);
    }
  });
  const started = await attempt(() => c.call('captureOpen', { lab, target, sink: 'stream' }));
  if (!started) {
    void sub.dispose();
    return;
  }
  id = started.captureId;
  useStore
    .getState()
    .setNotice(`capturing ${target} for 10 s; the pcapng file downloads then`, 'info');
  setTimeout(() => {
    void c.call('captureClose', { lab, captureId: id }).finally(() => {
      void sub.dispose();
      const url = URL.createObjectURL(
        new Blob(chunks as BlobPart[], { type: 'application/vnd.tcpdump.pcap' }),
      );
      const a = document.createElement('a');
      a.href = url;
      a.download = `${lab}-${target.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
  }, 10_000);
}

/** Imports Zephyr build directories into the document (an undoable edit). */
export async function importZephyrBuild(hint?: string): Promise<void> {
  const dir = await choosePath('directory', hint);
  if (!dir) return;
  const st = useStore.getState();
  const r = await attempt(() =>
    appClient().call('importZephyr', { buildDirs: [dir], text: st.doc.text }),
  );
  if (!r) return;
  const doc = useStore.getState().doc;
  const positions = completePositions(readGraph(r.text), doc.positions);
  useStore.getState().commit({ text: r.text, positions }, 'record');
  useStore.getState().setUi({ startScreen: false, selection: { nodes: r.nodes, links: [] } });
  useStore
    .getState()
    .setNotice(
      `imported ${r.nodes.join(', ')}${r.notes.length > 0 ? `; ${r.notes.join('; ')}` : ''}`,
      'info',
    );
}

/** Attaches to a lab that is already running (e.g. started with `netweave up`) and opens its file. */
export async function attachLab(name: string): Promise<void> {
  const summary = await attempt(() => appClient().call('labAttach', { lab: name }));
  if (!summary) return;
  if (summary.file) await openFile(summary.file);
  resetCounters();
  useStore
    .getState()
    .setLab({ lab: name, labState: summary.state === 'launching' ? 'deploying' : summary.state });
  await refreshStatus();
}
