// The app service: one level above a lab's engine. It manages topology files and labs for a UI
// and forwards every lab's contract with the lab's name. The CLI's `serve` hosts it in-process
// behind a WebSocket; the desktop app hosts it in a child process behind Electron IPC.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { homedir } from 'node:os';
import {
  APP_EVENT_NAMES,
  ENGINE_COMMAND_NAMES,
  EngineError,
  FORWARDED_EVENT_NAMES,
  labCommandName,
  labEventName,
  type AppClient,
  type AppCommandName,
  type AppEventName,
  type AppEvents,
  type AppInfo,
  type AppOwnCommands,
  type AppParams,
  type AppResult,
  type CaptureSink,
  type CommandName,
  type CommandParams,
  type LabState,
  type LabSummary,
} from '../shared/contract.js';
import type { NetworkMode } from '../shared/kinds.js';
import { parseAppParams } from '../shared/commandParams.js';
import { shown } from '../shared/wire.js';
import { DisposableStore, Emitter, type Disposable } from '../shared/lifecycle.js';
import { validateTopologyText } from '../shared/topology/index.js';
import {
  cleanupAll,
  engineAlive,
  listLabDirs,
  readEngineRecord,
  takeLabDown,
  type EngineRecord,
} from '../engine/host/cleanup.js';
import { connectLab, engineGoneReason, launchLab, loadOrThrow } from '../engine/launcher.js';
import { BatchedStream } from '../engine/process/batchedStream.js';
import { findExecutable } from '../engine/process/executable.js';
import type { SocketEngineClient } from '../engine/rpc/client.js';
import { importZephyr } from '../engine/zephyr/index.js';
import { mergeTopology, readGraph } from '../shared/editor/index.js';
import { scrollbackOverlap } from './consoleJoin.js';
import { EXAMPLES_DIR, listExampleFiles, openTopologyFile, saveTopologyFile } from './files.js';
import { readRecentFiles, touchRecentFile } from './recent.js';

/** How the service is hosted. */
export interface AppServiceOptions {
  transport: AppInfo['transport'];
  examplesDir?: string;
  /**
   * Labs this service launches outlive it: the CLI's (`up --detach` leaves its lab running, a
   * foreground `up` stops it itself). Otherwise dispose() takes them down (the app).
   */
  labsOutlive?: boolean;
}

/** A lab the service launched or attached to. */
interface LabHandle {
  summary: LabSummary;
  client: SocketEngineClient | undefined;
  /** What the engine's state file says (its pid, logs, network), once it is known. */
  record: EngineRecord | undefined;
  /** The stop under way, if any: a second stop waits for it instead of running again. */
  stopping?: Promise<AppResult<'labStop'>>;
  /** True when the service launched it (and so takes it down when disposed). */
  owned: boolean;
  store: DisposableStore;
  /** Characters of console output seen per node since the service connected. */
  consoleOffsets: Map<string, number>;
}

/** One viewer of one node's console: its batches, flow control and offsets. */
interface ConsoleViewer {
  id: string;
  lab: string;
  node: string;
  stream: BatchedStream;
  /** True while flow control holds the viewer's output (it is behind). */
  held: boolean;
  /** Offset of the next character handed to the viewer. */
  next: number;
  /** Live output that arrived while the scrollback was being fetched. */
  early: string[] | undefined;
}

/** Where a capture's pcapng goes. */
/** What a capture records: a link or port of a lab, and whether super-frames go as wire frames. */
export type CaptureWhat = Pick<AppParams<'captureOpen'>, 'lab' | 'target' | 'wireFrames'>;

interface CaptureOut {
  write: (chunk: Buffer) => void;
  /** Ends the output once the capture is stopped. */
  close: () => Promise<void>;
}

/** A capture the service delivers somewhere. */
interface CaptureHandle {
  lab: string;
  sink: CaptureSink;
  write?: (chunk: Buffer) => void;
  /** Ends the sink (and the engine's capture unless `stopped` says it is already stopped). */
  close: (stopped?: boolean) => Promise<void>;
}

/** The service's own command table: one typed handler per command. */
type OwnHandlers = {
  [K in keyof AppOwnCommands]: (
    params: AppOwnCommands[K]['params'],
  ) => Promise<AppOwnCommands[K]['result']>;
};

function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const ENGINE_BY_APP_NAME = new Map<string, CommandName>(
  ENGINE_COMMAND_NAMES.map((c) => [labCommandName(c), c]),
);

/** The app service; implements the app contract in-process. */
export class AppService implements AppClient, Disposable {
  private readonly emitters = new Map<AppEventName, Emitter<unknown>>(
    APP_EVENT_NAMES.map((e) => [e, new Emitter<unknown>()]),
  );
  private readonly labs = new Map<string, LabHandle>();
  private readonly viewers = new Map<string, ConsoleViewer>();
  private readonly captures = new Map<string, CaptureHandle>();
  private readonly attaching = new Map<string, Promise<LabSummary>>();
  private nextViewer = 1;
  private disposed = false;
  private readonly own: OwnHandlers;

  constructor(private readonly options: AppServiceOptions) {
    this.own = {
      appInfo: () =>
        Promise.resolve({
          version: version(),
          transport: this.options.transport,
          nativeDialogs: false,
          popOut: false,
          homeDir: homedir(),
          zephyrImport: true,
        } satisfies AppInfo),
      validateText: ({ text, file }) => {
        const r = validateTopologyText(text, file || 'untitled.yaml');
        return Promise.resolve(
          r.ok ? { ok: true, problems: [] } : { ok: false, problems: r.problems },
        );
      },
      listExamples: async () => ({
        examples: await listExampleFiles(this.options.examplesDir ?? EXAMPLES_DIR),
      }),
      openFile: async ({ file }) => {
        const opened = await openTopologyFile(file);
        await touchRecentFile(opened.file);
        return opened;
      },
      saveFile: async ({ file, text, layout }) => {
        const saved = await saveTopologyFile(file, text, layout);
        await touchRecentFile(saved.file);
        return saved;
      },
      recentFiles: async () => ({ files: await readRecentFiles() }),
      chooseFile: () =>
        Promise.reject(
          new EngineError(
            'bad-request',
            'this window has no native file dialogs; type the path instead',
          ),
        ),
      labList: () => Promise.resolve({ labs: this.summaries() }),
      labLaunch: ({ file, network }) => this.launch(file, network),
      labAttach: ({ lab }) => this.attach(lab),
      labStop: ({ lab }) => this.stop(lab),
      consoleAttach: ({ lab, node }) => this.consoleAttach(lab, node),
      consoleAck: ({ viewer, chars }) => {
        const v = this.viewers.get(viewer);
        if (v && chars > 0) v.stream.ack(chars);
        return Promise.resolve({});
      },
      consoleDetach: ({ viewer }) => {
        this.detachViewer(viewer);
        return Promise.resolve({});
      },
      consolePopOut: () =>
        Promise.reject(
          new EngineError(
            'bad-request',
            'consoles pop out only in the desktop app; open the console in a new tab instead',
          ),
        ),
      captureOpen: (p) => this.captureOpen(p),
      captureClose: ({ captureId }) => this.captureClose(captureId),
      importZephyr: async ({ buildDirs, text }) => {
        const imported = await importZephyr(buildDirs);
        const empty = readGraph(text).nodes.length === 0;
        if (empty) {
          return {
            text: imported.yaml,
            nodes: readGraph(imported.yaml).nodes.map((n) => n.name),
            notes: imported.notes,
          };
        }
        return { ...mergeTopology(text, imported.yaml), notes: imported.notes };
      },
      serviceRestart: () =>
        Promise.reject(
          new EngineError('bad-request', 'restart `netweave serve` to restart the service'),
        ),
    };
  }

  private fire<E extends AppEventName>(event: E, payload: AppEvents[E]): void {
    this.emitters.get(event)?.fire(payload);
  }

  /** Subscribes to an app event. */
  on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): Disposable {
    const emitter = this.emitters.get(event);
    if (!emitter) throw new EngineError('bad-request', `unknown event "${event}"`);
    return emitter.event(listener as (p: unknown) => void);
  }

  /** Runs an app command. */
  async call<K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>> {
    if (this.disposed)
      throw new EngineError('not-running', 'the netweave service is shutting down');
    // The boundary of every transport (WebSocket, the Electron service host): checked params.
    const p = parseAppParams(cmd, params) as Record<string, unknown>;
    if (Object.hasOwn(this.own, cmd)) {
      const own = this.own[cmd as keyof OwnHandlers] as (x: unknown) => Promise<unknown>;
      return (await own(p)) as AppResult<K>;
    }
    const engineCmd = ENGINE_BY_APP_NAME.get(cmd);
    if (!engineCmd) throw new EngineError('bad-request', `unknown command ${shown(String(cmd))}`);
    const lab = String(p['lab']);
    if (engineCmd === 'down') {
      const removed: unknown = await this.stop(lab);
      return removed as AppResult<K>;
    }
    const { lab: _lab, ...rest } = p;
    const client = await this.engine(lab);
    const result: unknown = await client.call<CommandName>(
      engineCmd,
      rest as CommandParams<CommandName>,
    );
    if (engineCmd === 'status') {
      // Inside its pid namespace an isolated engine is pid 1; the host knows its real pid.
      const rec = this.labs.get(lab)?.record ?? readEngineRecord(lab);
      if (rec) (result as AppResult<'labStatus'>).enginePid = rec.enginePid;
    }
    return result as AppResult<K>;
  }

  /** The connection to a lab's engine: the one this service holds, else a new attachment. */
  private async engine(lab: string): Promise<SocketEngineClient> {
    const h = this.labs.get(lab);
    if (h?.client && !h.client.isClosed) return h.client;
    if (h?.summary.state === 'launching') {
      throw new EngineError('not-running', `lab "${lab}" is still launching; wait for it`);
    }
    await this.attach(lab);
    const client = this.labs.get(lab)?.client;
    if (!client || client.isClosed) {
      throw new EngineError('not-running', `the engine of lab "${lab}" closed the connection`);
    }
    return client;
  }

  private summaries(): LabSummary[] {
    const mine = [...this.labs.values()].map((h) => ({ ...h.summary }));
    // Labs started elsewhere (e.g. `netweave up`) can be attached to; a lab whose engine is
    // gone left objects behind that labStop removes.
    for (const name of listLabDirs()) {
      if (this.labs.has(name)) continue;
      const rec = readEngineRecord(name);
      if (engineAlive(rec)) {
        mine.push({ name, state: 'running', ...(rec?.file ? { file: rec.file } : {}) });
      } else {
        const reason = 'its engine is gone and its leftovers remain';
        mine.push({ name, state: 'failed', reason, stale: true });
      }
    }
    return mine;
  }

  private publishLabs(): void {
    this.fire('labs', { labs: this.summaries() });
  }

  private setLabState(h: LabHandle, state: LabState | 'launching', reason?: string): void {
    h.summary = { ...h.summary, state, ...(reason !== undefined ? { reason } : {}) };
    if (reason === undefined) delete h.summary.reason;
    this.publishLabs();
  }

  private async launch(file: string, network?: NetworkMode): Promise<AppResult<'labLaunch'>> {
    const topology = await loadOrThrow(file);
    const name = topology.name;
    const existing = this.labs.get(name);
    if (existing?.client && !existing.client.isClosed) {
      throw new EngineError(
        'busy',
        `lab "${name}" is already running; stop it before launching it again`,
      );
    }
    const h = this.addLab({ name, state: 'launching', file }, true, undefined);
    this.publishLabs();
    try {
      const launched = await launchLab(file, {
        topology,
        ...(network ? { network } : {}),
        notice: (message) => this.fire('labNotice', { lab: name, message }),
      });
      h.record = launched.record;
      this.connect(h, launched.client);
      return { lab: name, network: launched.record.network, logDir: launched.record.logDir };
    } catch (err) {
      this.setLabState(h, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  private attach(name: string): Promise<LabSummary> {
    const existing = this.labs.get(name);
    if (existing?.client && !existing.client.isClosed) return Promise.resolve(existing.summary);
    let attaching = this.attaching.get(name);
    if (!attaching) {
      attaching = this.attachNow(name).finally(() => this.attaching.delete(name));
      this.attaching.set(name, attaching);
    }
    return attaching;
  }

  private async attachNow(name: string): Promise<LabSummary> {
    const client = await connectLab(name);
    const record = readEngineRecord(name);
    await this.labs.get(name)?.store.dispose();
    const file = record?.file;
    const h = this.addLab({ name, state: 'running', ...(file ? { file } : {}) }, false, record);
    this.connect(h, client);
    const status = await client.call('status', {});
    this.setLabState(h, status.state, status.reason);
    return h.summary;
  }

  /** Holds a lab this service launches (`owned`) or attaches to. */
  private addLab(summary: LabSummary, owned: boolean, record: EngineRecord | undefined): LabHandle {
    const h: LabHandle = {
      summary,
      client: undefined,
      record,
      owned,
      store: new DisposableStore(),
      consoleOffsets: new Map(),
    };
    this.labs.set(summary.name, h);
    return h;
  }

  /** Wires a connected engine into the service: forwarded events, console offsets, states. */
  private connect(h: LabHandle, client: SocketEngineClient): void {
    h.client = client;
    const lab = h.summary.name;
    h.store.add(client);
    for (const event of FORWARDED_EVENT_NAMES) {
      const appEvent = labEventName(event);
      h.store.add(
        client.on(event, (payload) => {
          this.emitters.get(appEvent)?.fire({ ...payload, lab });
        }),
      );
    }
    h.store.add(
      client.on('labState', (s) => {
        this.setLabState(h, s.state, s.reason);
        if (s.state === 'failed' && h.owned && !h.stopping) {
          // As `netweave up` does: a lab that failed to deploy is taken down at once.
          void this.stop(lab).catch(() => undefined);
        }
      }),
    );
    h.store.add(
      client.on('consoleData', (e) => {
        const before = h.consoleOffsets.get(e.node) ?? 0;
        h.consoleOffsets.set(e.node, before + e.data.length);
        for (const v of this.viewers.values()) {
          if (v.lab !== lab || v.node !== e.node) continue;
          if (v.early) v.early.push(e.data);
          else this.deliver(v, e.data);
        }
      }),
    );
    h.store.add(
      client.onClose(() => {
        if (h.client !== client) return;
        h.client = undefined;
        for (const v of [...this.viewers.values()]) if (v.lab === lab) this.detachViewer(v.id);
        // When stopping, stop() reports "stopped" once everything is removed; a lab taken down
        // elsewhere (`netweave down`) said "destroying" first; anything else is a crash, and a
        // lab this service launched that crashed while it deployed is taken down at once.
        if (h.stopping) return;
        if (h.summary.state === 'destroying') {
          this.setLabState(h, 'stopped');
          return;
        }
        const deploying = h.summary.state === 'launching' || h.summary.state === 'deploying';
        const record = h.record ?? readEngineRecord(lab);
        void (record ? engineGoneReason(record) : Promise.resolve(undefined)).then((why) => {
          if (h.client !== undefined || h.stopping) return; // attached again, or stopping
          const reason = why ?? 'the lab engine stopped unexpectedly; see its engine.log';
          this.setLabState(h, 'failed', reason);
          if (deploying && h.owned) void this.stop(lab).catch(() => undefined);
        });
      }),
    );
  }

  private stop(name: string): Promise<AppResult<'labStop'>> {
    const h = this.labs.get(name);
    if (h?.stopping) return h.stopping;
    // No such lab: nothing to do. (A sweep by its tag could kill the engine an `up` of that name
    // has started and not yet registered; `down --all` sweeps orphans.)
    if (!h && !listLabDirs().includes(name)) return Promise.resolve({ removed: 0 });
    const stopping = this.stopNow(name, h);
    if (h) {
      h.stopping = stopping;
      void stopping
        .catch(() => undefined)
        .finally(() => {
          if (h.stopping === stopping) delete h.stopping;
        });
    }
    return stopping;
  }

  private async stopNow(name: string, h: LabHandle | undefined): Promise<AppResult<'labStop'>> {
    if (h) this.setLabState(h, 'destroying');
    for (const [id, c] of this.captures) {
      if (c.lab === name) {
        this.captures.delete(id);
        await c.close();
      }
    }
    const { removed, interrupted } = await takeLabDown(name);
    if (h) {
      await h.store.dispose();
      h.client = undefined;
      h.store = new DisposableStore();
      this.setLabState(h, 'stopped');
    } else {
      this.publishLabs();
    }
    return { removed, ...(interrupted ? { interrupted } : {}) };
  }

  private deliver(v: ConsoleViewer, data: string): void {
    if (v.held) {
      // The viewer is behind: skip output (the engine's scrollback keeps it) instead of
      // queueing without bound; the gap in offsets tells the viewer what it missed.
      v.stream.flush();
      v.next += data.length;
      return;
    }
    v.stream.push(data);
  }

  private async consoleAttach(
    lab: string,
    node: string,
  ): Promise<{ viewer: string; data: string; offset: number }> {
    const client = await this.engine(lab);
    const h = this.labs.get(lab);
    const id = `v${this.nextViewer++}`;
    const start = h?.consoleOffsets.get(node) ?? 0;
    const v: ConsoleViewer = {
      id,
      lab,
      node,
      held: false,
      next: 0,
      early: [],
      stream: new BatchedStream({
        source: {
          pause: () => {
            v.held = true;
          },
          resume: () => {
            v.held = false;
          },
        },
      }),
    };
    v.stream.onBatch((data) => {
      const offset = v.next;
      v.next += data.length;
      this.fire('consoleOutput', { viewer: id, lab, node, data, offset });
    });
    this.viewers.set(id, v);
    let data: string;
    try {
      data = (await client.call('consoleScrollback', { node })).data;
    } catch (err) {
      this.detachViewer(id);
      throw err;
    }
    // Output that arrived while the scrollback was fetched may already be at its end.
    const early = (v.early ?? []).join('');
    v.early = undefined;
    const overlap = scrollbackOverlap(data, early);
    const offset = start + overlap;
    v.next = offset;
    const rest = early.slice(overlap);
    if (rest) this.deliver(v, rest);
    return { viewer: id, data, offset };
  }

  private detachViewer(id: string): void {
    const v = this.viewers.get(id);
    if (!v) return;
    this.viewers.delete(id);
    v.stream.dispose();
  }

  /** Detaches viewers (e.g. those of a UI connection that closed). */
  detachViewers(ids: Iterable<string>): void {
    for (const id of ids) this.detachViewer(id);
  }

  private async captureOpen({
    lab,
    target,
    sink,
    file,
    wireFrames,
  }: AppParams<'captureOpen'>): Promise<AppResult<'captureOpen'>> {
    // The lab first: a capture of a lab that is not running starts no Wireshark, makes no file.
    const client = await this.engine(lab);
    let out: CaptureOut | undefined;
    if (sink === 'wireshark') {
      const found = await findExecutable('wireshark', process.cwd(), process.env);
      if (!found.ok) {
        throw new EngineError(
          'missing-binary',
          'Wireshark is not installed; save the capture as a pcapng file instead (apt install wireshark to watch it live)',
        );
      }
      const child: ChildProcess = spawn('wireshark', ['-k', '-i', '-'], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: false,
      });
      child.stdin?.on('error', () => undefined);
      out = streamOut(child.stdin);
    } else if (sink === 'file') {
      if (file === undefined || file === '') {
        throw new EngineError('bad-request', '"captureOpen" to a file needs "file", its path');
      }
      const stream: WriteStream = createWriteStream(file);
      stream.on('error', () => undefined);
      out = streamOut(stream);
    } else if (sink !== 'stream') {
      throw new EngineError('bad-request', 'capture sink must be wireshark, file or stream');
    }
    const started = await this.startCapture(client, { lab, target, wireFrames }, sink, out);
    return { ...started, sink, ...(file !== undefined && sink === 'file' ? { file } : {}) };
  }

  /**
   * Starts a capture whose pcapng goes to `stream` (the CLI's standard output, which no file
   * name can reach when it is a socket); captureClose stops it.
   */
  async captureToStream(
    what: CaptureWhat,
    stream: NodeJS.WritableStream,
  ): Promise<Omit<AppResult<'captureOpen'>, 'sink'>> {
    const client = await this.engine(what.lab);
    return this.startCapture(client, what, 'stream', streamOut(stream, false));
  }

  /**
   * Takes every lab of this user down and removes the orphans netweave's tags identify (`down
   * --all`). In process only: no transport offers a UI to sweep the machine.
   */
  async stopAll(): Promise<{ labs: string[]; orphans: number }> {
    const own = [...this.labs.keys()];
    for (const lab of own) await this.stop(lab);
    const swept = await cleanupAll();
    return { labs: [...new Set([...own, ...swept.labs])], orphans: swept.orphans };
  }

  /** Starts the engine's capture and delivers its chunks (early ones included) to `out`. */
  private async startCapture(
    client: SocketEngineClient,
    { lab, target, wireFrames }: CaptureWhat,
    sink: CaptureSink,
    out: CaptureOut | undefined,
  ): Promise<Omit<AppResult<'captureOpen'>, 'sink'>> {
    let captureId = '';
    const early: { id: string; data: string }[] = [];
    const sub = out
      ? client.on('captureData', (e) => {
          if (!captureId) early.push({ id: e.captureId, data: e.data });
          else if (e.captureId === captureId) out.write(Buffer.from(e.data, 'base64'));
        })
      : undefined;
    let started: AppResult<'labCaptureStart'>;
    try {
      started = await client.call('captureStart', {
        target,
        ...(wireFrames === true ? { wireFrames } : {}),
      });
    } catch (err) {
      await sub?.dispose();
      await out?.close();
      throw err;
    }
    captureId = started.captureId;
    // The engine sends a capture's first chunk (its pcapng header) before its reply.
    for (const e of early) if (e.id === captureId) out?.write(Buffer.from(e.data, 'base64'));
    this.captures.set(captureId, {
      lab,
      sink,
      ...(out ? { write: out.write } : {}),
      close: async (stopped = false) => {
        if (!stopped) await client.call('captureStop', { captureId }).catch(() => undefined);
        await sub?.dispose();
        await out?.close();
      },
    });
    return { captureId, linkType: started.linkType, ports: started.ports };
  }

  private async captureClose(captureId: string): Promise<AppResult<'captureClose'>> {
    const c = this.captures.get(captureId);
    if (!c) throw new EngineError('no-such-target', `no capture ${shown(captureId)} is open`);
    this.captures.delete(captureId);
    const h = this.labs.get(c.lab);
    const gone = { frames: -1, dropped: 0 };
    const stopped = h?.client
      ? await h.client.call('captureStop', { captureId }).catch(() => gone)
      : gone;
    await c.close(true);
    return stopped;
  }

  /**
   * Takes down the labs this service launched (unless they outlive it), detaches from the
   * others, ends every stream.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const id of [...this.viewers.keys()]) this.detachViewer(id);
    for (const c of this.captures.values()) await c.close().catch(() => undefined);
    this.captures.clear();
    for (const [name, h] of this.labs) {
      if (h.owned && h.client && this.options.labsOutlive !== true)
        await this.stop(name).catch(() => undefined);
      await h.store.dispose();
    }
    this.labs.clear();
    for (const e of this.emitters.values()) e.dispose();
  }
}

/** A capture's output on a writable stream; `end` false leaves the stream open (stdout). */
function streamOut(stream: NodeJS.WritableStream | null | undefined, end = true): CaptureOut {
  return {
    write: (b) => {
      stream?.write(b);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!stream) resolve();
        else if (end) stream.end(() => resolve());
        else stream.write('', () => resolve());
      }),
  };
}
