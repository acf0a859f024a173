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
import { parseAppParams } from '../shared/commandParams.js';
import { shown } from '../shared/wire.js';
import { DisposableStore, Emitter, type Disposable } from '../shared/lifecycle.js';
import { validateTopologyText } from '../shared/topology/index.js';
import { cleanupLab, engineAlive, listLabDirs, readEngineRecord } from '../engine/host/cleanup.js';
import { connectLab, launchLab, loadOrThrow } from '../engine/launcher.js';
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
}

/** A lab the service launched or attached to. */
interface LabHandle {
  summary: LabSummary;
  client: SocketEngineClient | undefined;
  /** True when the service launched it (and so takes it down when disposed). */
  owned: boolean;
  store: DisposableStore;
  /** Characters of console output seen per node since the service connected. */
  consoleOffsets: Map<string, number>;
  stopping: boolean;
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
      labLaunch: ({ file }) => this.launch(file),
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
    const client = this.client(lab);
    const result: unknown = await client.call<CommandName>(
      engineCmd,
      rest as CommandParams<CommandName>,
    );
    return result as AppResult<K>;
  }

  private client(lab: string): SocketEngineClient {
    const h = this.labs.get(lab);
    if (!h?.client || h.client.isClosed) {
      throw new EngineError('not-running', `lab "${lab}" is not running; launch it first`);
    }
    return h.client;
  }

  private summaries(): LabSummary[] {
    const mine = [...this.labs.values()].map((h) => ({ ...h.summary }));
    // Labs started elsewhere (e.g. `netweave up`) can be attached to.
    for (const name of listLabDirs()) {
      if (this.labs.has(name)) continue;
      const rec = readEngineRecord(name);
      if (!engineAlive(rec)) continue;
      mine.push({ name, state: 'running', ...(rec?.file ? { file: rec.file } : {}) });
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

  private async launch(file: string): Promise<{ lab: string }> {
    const topology = await loadOrThrow(file);
    const name = topology.name;
    const existing = this.labs.get(name);
    if (existing?.client && !existing.client.isClosed) {
      throw new EngineError(
        'busy',
        `lab "${name}" is already running; stop it before launching it again`,
      );
    }
    const h: LabHandle = {
      summary: { name, state: 'launching', file },
      client: undefined,
      owned: true,
      store: new DisposableStore(),
      consoleOffsets: new Map(),
      stopping: false,
    };
    this.labs.set(name, h);
    this.publishLabs();
    try {
      const launched = await launchLab(file);
      this.connect(h, launched.client);
    } catch (err) {
      this.setLabState(h, 'failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
    return { lab: name };
  }

  private async attach(name: string): Promise<LabSummary> {
    const existing = this.labs.get(name);
    if (existing?.client && !existing.client.isClosed) return existing.summary;
    const client = await connectLab(name);
    const rec = readEngineRecord(name);
    const h: LabHandle = {
      summary: { name, state: 'running', ...(rec?.file ? { file: rec.file } : {}) },
      client: undefined,
      owned: false,
      store: new DisposableStore(),
      consoleOffsets: new Map(),
      stopping: false,
    };
    this.labs.set(name, h);
    this.connect(h, client);
    const status = await client.call('status', {});
    this.setLabState(h, status.state, status.reason);
    return h.summary;
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
        // elsewhere (`netweave down`) said "destroying" first; anything else is a crash.
        if (h.stopping) return;
        if (h.summary.state === 'destroying') this.setLabState(h, 'stopped');
        else
          this.setLabState(h, 'failed', 'the lab engine stopped unexpectedly; see its engine.log');
      }),
    );
  }

  private async stop(name: string): Promise<{ removed: number }> {
    const h = this.labs.get(name);
    if (h) {
      h.stopping = true;
      this.setLabState(h, 'destroying');
    }
    for (const [id, c] of this.captures) {
      if (c.lab === name) {
        this.captures.delete(id);
        await c.close();
      }
    }
    const removed = await cleanupLab(name);
    if (h) {
      await h.store.dispose();
      h.client = undefined;
      h.store = new DisposableStore();
      this.setLabState(h, 'stopped');
    } else {
      this.publishLabs();
    }
    return { removed };
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
    const client = this.client(lab);
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
    file: wanted,
  }: AppParams<'captureOpen'>): Promise<AppResult<'captureOpen'>> {
    const client = this.client(lab);
    let write: ((b: Buffer) => void) | undefined;
    let closeSink: () => Promise<void> = () => Promise.resolve();
    let file: string | undefined;
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
      write = (b) => {
        child.stdin?.write(b);
      };
      closeSink = () => {
        child.stdin?.end();
        return Promise.resolve();
      };
    } else if (sink === 'file') {
      if (wanted === undefined || wanted === '') {
        throw new EngineError('bad-request', '"captureOpen" to a file needs "file", its path');
      }
      file = wanted;
      const out: WriteStream = createWriteStream(file);
      out.on('error', () => undefined);
      write = (b) => {
        out.write(b);
      };
      closeSink = () => new Promise<void>((resolve) => out.end(() => resolve()));
    } else if (sink !== 'stream') {
      throw new EngineError('bad-request', 'capture sink must be wireshark, file or stream');
    }
    let captureId = '';
    const early: Buffer[] = [];
    const sub = write
      ? client.on('captureData', (e) => {
          const b = Buffer.from(e.data, 'base64');
          if (!captureId) early.push(b);
          else if (e.captureId === captureId) write?.(b);
        })
      : undefined;
    let started: AppResult<'labCaptureStart'>;
    try {
      started = await client.call('captureStart', { target });
    } catch (err) {
      await sub?.dispose();
      await closeSink();
      throw err;
    }
    captureId = started.captureId;
    for (const b of early) write?.(b);
    this.captures.set(captureId, {
      lab,
      sink,
      ...(write ? { write } : {}),
      close: async (stopped = false) => {
        if (!stopped) await client.call('captureStop', { captureId }).catch(() => undefined);
        await sub?.dispose();
        await closeSink();
      },
    });
    return { captureId, sink, linkType: started.linkType, ...(file ? { file } : {}) };
  }

  private async captureClose(captureId: string): Promise<{ frames: number }> {
    const c = this.captures.get(captureId);
    if (!c) throw new EngineError('no-such-target', `no capture ${shown(captureId)} is open`);
    this.captures.delete(captureId);
    const h = this.labs.get(c.lab);
    const frames = h?.client
      ? await h.client.call('captureStop', { captureId }).then(
          (r) => r.frames,
          () => -1,
        )
      : -1;
    await c.close(true);
    return { frames };
  }

  /** Takes down the labs this service launched, detaches from the others, ends every stream. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const id of [...this.viewers.keys()]) this.detachViewer(id);
    for (const c of this.captures.values()) await c.close().catch(() => undefined);
    this.captures.clear();
    for (const [name, h] of this.labs) {
      if (h.owned && h.client) await this.stop(name).catch(() => undefined);
      await h.store.dispose();
    }
    this.labs.clear();
    for (const e of this.emitters.values()) e.dispose();
  }
}
