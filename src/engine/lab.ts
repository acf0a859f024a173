// Deploy / destroy orchestration of one lab and its event stream. A Lab implements the
// contract's EngineClient in-process; the daemon serves it on a socket.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DEPLOY_STAGES,
  EngineError,
  type CommandName,
  type CommandParams,
  type CommandResult,
  type DeployStage,
  type EngineClient,
  type EngineEvents,
  type EngineHandlers,
  type EventName,
  type ExitInfo,
  type LabState,
  type LabStatus,
  type LinkStatus,
  type NodeState,
} from '../shared/contract.js';
import { DisposableStore, Emitter, type Disposable } from '../shared/lifecycle.js';
import type { NetworkMode } from '../shared/kinds.js';
import type { FaultSpec, LinkDirection, LinkSpec, Topology } from '../shared/topology/index.js';
import { parseEndpoint } from '../shared/topology/endpoint.js';
import { faultPair } from '../shared/topology/faults.facts.js';
import { impairTexts, LINK_DIRECTIONS } from '../shared/topology/links/common.facts.js';
import { parseImpairment } from '../shared/impairment.js';
import { DEFAULT_COUNTER_INTERVAL_MS, Fabric, type Capture, type Port } from './fabric/index.js';
import { FaultTimeline } from './faults.js';
import { Journal } from './host/journal.js';
import { NetnsManager } from './host/netns.js';
import { LAB_DIR_ENV, LAB_FILES, LAB_TAG_ENV } from './paths.js';
import { nodeKind } from './nodes/registry.js';
import type { LabContext, NodeInstance } from './nodes/types.js';
import { linkKind } from './links/registry.js';
import { impairLink, linkImpairments } from './links/impairments.js';
import type { LinkInstance } from './links/types.js';
import { MAX_EVENT_BACKLOG } from './rpc/server.js';

/** How often counter snapshots are pushed: 4 Hz is smooth in the UI and costs nothing. */
export const COUNTER_PUBLISH_MS = DEFAULT_COUNTER_INTERVAL_MS;
/** Longest a command run through `exec` may take unless the caller says otherwise. */
const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

/** Options of a lab. */
export interface LabOptions {
  topology: Topology;
  file?: string;
  network: NetworkMode;
  labId: string;
  labDir: string;
  logDir: string;
  /** Host-visible pid of the engine, for status. */
  enginePid: number;
  /** Test seam: the deploy fails once this stage is done (as if its last step had failed). */
  injectFailure?: DeployStage;
}

/** One lab: its nodes, links, fabric and host objects. */
export class Lab implements EngineClient {
  private readonly store = new DisposableStore();
  private readonly emitters: {
    [E in Exclude<EventName, 'counters'>]: Emitter<EngineEvents[E]>;
  } = {
    labState: new Emitter(),
    deployProgress: new Emitter(),
    nodeState: new Emitter(),
    consoleData: new Emitter(),
    captureData: new Emitter(),
    faultFired: new Emitter(),
  };
  /** Every event: the lab's own, and the fabric's counters (its publisher is the one timer). */
  private readonly events: {
    [E in EventName]: (listener: (payload: EngineEvents[E]) => void) => Disposable;
  };
  private readonly nodes = new Map<string, NodeInstance>();
  /** Bytes the engine's slowest capture reader has left unread (see setEventBacklog). */
  private eventBacklog: () => number = () => 0;
  private readonly links: LinkInstance[] = [];
  /** Each link's settings from the file (its endpoints name the directions of impairments). */
  private readonly linkSpecs = new Map<LinkInstance, LinkSpec>();
  /** The file's fault timeline, once the lab is ready. */
  private faults: FaultTimeline | undefined;
  private readonly captures = new Map<string, Capture>();
  private nextCapture = 1;
  private state: LabState = 'deploying';
  private reason: string | undefined;
  /** Why the deploy was stopped from outside (`down` while deploying), once it was. */
  private abortReason: string | undefined;
  private rejectAborted: ((err: Error) => void) | undefined;
  /** Rejects when the deploy is stopped from outside; every deploy step races it. */
  private readonly aborted = new Promise<never>((_, reject) => {
    this.rejectAborted = reject;
  });
  private readonly startedAt = new Date().toISOString();
  readonly fabric: Fabric;
  readonly journal: Journal;
  private readonly ctx: LabContext;

  constructor(private readonly opts: LabOptions) {
    this.journal = new Journal(join(opts.labDir, LAB_FILES.journal));
    this.fabric = this.store.add(new Fabric());
    this.events = {
      labState: this.emitters.labState.event,
      deployProgress: this.emitters.deployProgress.event,
      nodeState: this.emitters.nodeState.event,
      consoleData: this.emitters.consoleData.event,
      captureData: this.emitters.captureData.event,
      faultFired: this.emitters.faultFired.event,
      counters: this.fabric.onCounters,
    };
    const netns = new NetnsManager(opts.network, opts.labId, opts.labDir, this.journal);
    this.ctx = {
      labName: opts.topology.name,
      labId: opts.labId,
      mode: opts.network,
      labDir: opts.labDir,
      logDir: opts.logDir,
      journal: this.journal,
      netns,
      fabric: this.fabric,
      env: { [LAB_TAG_ENV]: opts.labId, [LAB_DIR_ENV]: opts.labDir },
      topologyDir: opts.file !== undefined ? dirname(opts.file) : process.cwd(),
      ...(opts.file !== undefined ? { topologyFile: opts.file } : {}),
      topology: opts.topology,
      nodeState: (node, state, reason, exit) => this.fireNodeState(node, state, reason, exit),
      consoleData: (node, data) => this.emitters.consoleData.fire({ node, data }),
    };
    for (const e of Object.values(this.emitters)) this.store.add(e);
  }

  private fireNodeState(node: string, state: NodeState, reason?: string, exit?: ExitInfo): void {
    this.emitters.nodeState.fire({
      node,
      state,
      ...(reason !== undefined ? { reason } : {}),
      ...(exit ? { exit } : {}),
    });
  }

  private setState(state: LabState, reason?: string): void {
    this.state = state;
    this.reason = reason;
    this.emitters.labState.fire({ state, ...(reason !== undefined ? { reason } : {}) });
  }

  private progress(stage: DeployStage, message: string, node?: string): void {
    this.emitters.deployProgress.fire({
      stage,
      step: DEPLOY_STAGES.indexOf(stage) + 1,
      steps: DEPLOY_STAGES.length,
      message,
      ...(node !== undefined ? { node } : {}),
    });
  }

  private failIfInjected(stage: DeployStage): void {
    if (this.opts.injectFailure === stage) {
      throw new EngineError('internal', `deploy failed at stage "${stage}" (injected for testing)`);
    }
  }

  /**
   * Tells the lab how far behind its slowest capture reader is, in bytes (the daemon's socket
   * server): a capture stops recording before the socket drops its chunks, and counts what it
   * left out.
   */
  setEventBacklog(probe: () => number): void {
    this.eventBacklog = probe;
  }

  /**
   * Stops a deploy in progress: the step under way is abandoned (its objects are the lab's and
   * go with destroy), the deploy fails with `reason`. Returns false when no deploy is running.
   */
  abort(reason: string): boolean {
    if (this.state !== 'deploying' || this.abortReason !== undefined) return false;
    this.abortReason = reason;
    this.rejectAborted?.(new EngineError('busy', reason));
    return true;
  }

  /** A deploy step, unless the deploy has been stopped. */
  private async step<T>(work: Promise<T> | undefined): Promise<T | undefined> {
    if (this.abortReason !== undefined) throw new EngineError('busy', this.abortReason);
    return Promise.race([work, this.aborted]);
  }

  /** Runs the stages create, wire, start, ready; on any failure destroys what exists and throws. */
  async deploy(): Promise<void> {
    const { topology } = this.opts;
    this.aborted.catch(() => undefined);
    try {
      // Before anything exists: every node's binaries, files and host ports.
      for (const [name, spec] of Object.entries(topology.nodes)) {
        await this.step(nodeKind(spec.kind).preflight?.(name, spec, this.ctx));
      }
      for (const spec of topology.links) {
        await this.step(linkKind(spec.kind ?? 'ethernet').preflight?.(spec, this.ctx));
      }
      mkdirSync(join(this.opts.labDir, LAB_FILES.sockets), { recursive: true, mode: 0o700 });
      // create
      this.progress('create', `creating ${Object.keys(topology.nodes).length} nodes`);
      for (const [name, spec] of Object.entries(topology.nodes)) {
        const node = nodeKind(spec.kind).instantiate(name, spec, this.ctx);
        this.nodes.set(name, node);
        this.store.add(node);
        this.progress('create', `creating ${spec.kind} ${name}`, name);
        await this.step(node.create());
      }
      this.failIfInjected('create');
      // wire
      this.progress('wire', `wiring ${topology.links.length} links`);
      for (const spec of topology.links) {
        const link = linkKind(spec.kind ?? 'ethernet').instantiate(spec, {
          ctx: this.ctx,
          node: (name) => this.mustNode(name),
        });
        this.links.push(link);
        this.linkSpecs.set(link, spec);
        this.store.add(link);
        this.progress('wire', `wiring ${link.id}`);
        await this.step(link.wire());
        // The file's impairments are in force before any node sends a frame.
        const texts = impairTexts('impair' in spec ? spec.impair : undefined);
        for (const dir of LINK_DIRECTIONS) {
          const text = texts[dir];
          if (text !== undefined) impairLink(link, spec.endpoints, dir, text);
        }
      }
      for (const node of this.nodes.values()) await this.step(node.wire());
      this.failIfInjected('wire');
      // start
      for (const node of this.nodes.values()) {
        this.progress('start', `starting ${node.name}`, node.name);
        await this.step(node.start());
      }
      this.failIfInjected('start');
      // ready
      await this.step(
        Promise.all(
          [...this.nodes.values()].map(async (node) => {
            await node.ready();
            this.progress('ready', `${node.name} is ready`, node.name);
          }),
        ),
      );
      this.failIfInjected('ready');
      // The fabric's publisher is the one counter timer: it snapshots only while someone listens.
      this.store.add(this.fabric.startCounters(COUNTER_PUBLISH_MS));
      this.setState('running');
      const faults = topology.faults ?? [];
      if (faults.length > 0) {
        this.faults = this.store.add(
          new FaultTimeline(
            faults,
            (f, action) => this.runFault(f, action),
            (line, firing) => {
              process.stderr.write(`netweave engine: ${line}\n`);
              this.emitters.faultFired.fire(firing);
            },
          ),
        );
        this.faults.start();
      }
    } catch (err) {
      const message = this.abortReason ?? (err instanceof Error ? err.message : String(err));
      this.setState('failed', message);
      await this.destroy().catch(() => undefined);
      this.setState('failed', message);
      throw err instanceof EngineError && this.abortReason === undefined
        ? err
        : new EngineError(this.abortReason !== undefined ? 'busy' : 'internal', message);
    }
  }

  /**
   * Disposes everything the lab created, in reverse order of creation. Answers how many host
   * objects went: the node processes that were running and what the journal recorded as removed
   * (namespaces, interfaces, sockets, helpers).
   */
  async destroy(): Promise<number> {
    if (this.state !== 'failed') this.setState('destroying');
    for (const c of this.captures.values()) c.dispose();
    this.captures.clear();
    const running = [...this.nodes.values()].filter((n) => {
      const s = n.status();
      return s.pid !== undefined && s.state !== 'failed' && s.state !== 'stopped';
    }).length;
    const before = this.journal.removedCount;
    await this.store.dispose();
    if (this.state !== 'failed') this.state = 'stopped';
    return running + this.journal.removedCount - before;
  }

  private mustNode(name: string): NodeInstance {
    const node = this.nodes.get(name);
    if (!node) {
      const names = [...this.nodes.keys()].join(', ');
      throw new EngineError('no-such-node', `no node "${name}" in this lab; nodes are ${names}`);
    }
    return node;
  }

  /** The fabric ports a capture target names: a link id or "node:port". */
  private targetPorts(target: string): Port[] {
    const link = this.links.find((l) => l.id === target);
    if (link) return link.ports();
    const ep = parseEndpoint(target);
    if (ep?.port !== undefined && this.nodes.has(ep.node)) {
      const port = this.fabric.port(`${ep.node}:${ep.port}`);
      if (port) return [port];
    }
    // A node that hears everything on it (a radio medium) has a listen-only monitor port: its
    // bare name captures the whole medium once.
    const monitor = ep?.port === undefined ? this.fabric.port(`${target}:monitor`) : undefined;
    if (monitor && this.nodes.has(target)) return [monitor];
    const choices = [...this.links.map((l) => l.id), ...this.fabric.portIds()].join(', ');
    throw new EngineError(
      'no-such-target',
      `nothing to capture named "${target}"; links and ports are ${choices}`,
    );
  }

  /** Status of the lab and every node and link. */
  status(): LabStatus {
    const links: LinkStatus[] = this.links.map((l) => this.linkStatus(l));
    return {
      name: this.opts.topology.name,
      id: this.opts.labId,
      network: this.opts.network,
      state: this.state,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.opts.file !== undefined ? { file: this.opts.file } : {}),
      runtimeDir: this.opts.labDir,
      logDir: this.opts.logDir,
      enginePid: this.opts.enginePid,
      startedAt: this.startedAt,
      nodes: [...this.nodes.values()].map((n) => n.status()),
      links,
      ...(this.faults ? { faults: this.faults.status() } : {}),
    };
  }

  /** Runs one action of a scheduled fault (or its undo). */
  private async runFault(f: FaultSpec, action: FaultSpec['action']): Promise<void> {
    if (f.link !== undefined) {
      const link = this.links.find((l) => l.id === f.link);
      if (!link) throw new EngineError('no-such-target', `no link "${f.link}" in this lab`);
      if (action === 'impair' || action === 'clear') {
        const endpoints = this.linkSpecs.get(link)?.endpoints ?? [];
        const dirs: readonly LinkDirection[] = f.dir === undefined ? LINK_DIRECTIONS : [f.dir];
        for (const d of dirs)
          impairLink(link, endpoints, d, action === 'impair' ? f.impair : undefined);
        return;
      }
      // As `netweave link` does per port: a QEMU NIC's carrier too, else the fabric port.
      const up = action === 'up';
      const endpoints = this.linkSpecs.get(link)?.endpoints ?? [];
      let viaNode = false;
      for (const ep of endpoints) {
        const e = parseEndpoint(ep);
        const node = e?.port !== undefined ? this.nodes.get(e.node) : undefined;
        if (node?.setLink && e?.port !== undefined) {
          await node.setLink(e.port, up);
          viaNode = true;
        }
      }
      if (!viaNode) for (const port of link.ports()) port.setUp(up);
      return;
    }
    const node = this.mustNode(f.node ?? '');
    if (action === 'impair' || action === 'clear') {
      const medium = node.abilities.impairableMedium;
      const parsed = f.impair !== undefined ? parseImpairment(f.impair) : undefined;
      const impairment = parsed?.ok === true ? parsed.value : undefined;
      if (!medium || (action === 'impair' && impairment === undefined)) {
        throw new EngineError(
          'bad-request',
          `node "${node.name}" takes no ${action}; impair and clear act on links and on a radio-154 medium's pairs`,
        );
      }
      medium.setImpairment(faultPair(f), action === 'impair' ? impairment : undefined);
      return;
    }
    switch (action) {
      case 'stop':
        await node.stop();
        return;
      case 'start':
        await node.start();
        await node.ready();
        return;
      case 'reset':
        if (!node.reset) throw new EngineError('bad-request', `node "${node.name}" has no reset`);
        await node.reset();
        return;
      case 'kill': {
        const pid = node.status().pid;
        if (pid === undefined)
          throw new EngineError('not-running', `node "${node.name}" has no process`);
        process.kill(pid, 'SIGKILL');
        return;
      }
      default:
        throw new EngineError('bad-request', `"${action}" is not a node action`);
    }
  }

  /** A link's status with the impairments in force on it. */
  private linkStatus(link: LinkInstance): LinkStatus {
    const impair = linkImpairments(link, this.linkSpecs.get(link)?.endpoints ?? []);
    return {
      id: link.id,
      kind: link.kind,
      linkType: link.linkType,
      endpoints: link.endpoints,
      ports: link.ports().map((p) => p.id),
      ...(Object.keys(impair).length > 0 ? { impair } : {}),
    };
  }

  /**
   * Every contract command, typed: params arrive checked (the engine socket checks them against
   * commandParams.ts; in-process callers are typed), and each handler answers its result type.
   */
  private readonly handlers: EngineHandlers = {
    status: () => Promise.resolve(this.status()),
    down: () => {
      // The daemon acts on `down` (it destroys the lab and exits); see daemon.ts.
      throw new EngineError('bad-request', 'down is handled by the engine process');
    },
    exec: ({ node: name, argv, stdin, timeoutMs }) => {
      const node = this.mustNode(name);
      if (!node.exec) {
        throw new EngineError(
          'bad-request',
          `node "${node.name}" (${node.kind}) cannot run commands`,
        );
      }
      return node.exec(argv, {
        timeoutMs: timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
        ...(stdin !== undefined ? { stdin } : {}),
      });
    },
    consoleWrite: ({ node, data }) => {
      this.mustConsole(node).write(data);
      return Promise.resolve({});
    },
    consoleResize: ({ node, cols, rows }) => {
      this.mustConsole(node).resize(cols, rows);
      return Promise.resolve({});
    },
    consoleScrollback: ({ node }) => Promise.resolve({ data: this.mustConsole(node).scrollback() }),
    nodeStop: async ({ node: name }) => {
      const node = this.mustNode(name);
      await node.stop();
      return node.status();
    },
    nodeStart: async ({ node: name }) => {
      const node = this.mustNode(name);
      await node.start();
      await node.ready();
      return node.status();
    },
    nodeReset: async ({ node: name }) => {
      const node = this.mustNode(name);
      if (!node.reset) {
        throw new EngineError(
          'bad-request',
          `node "${node.name}" (${node.kind}) has no reset; stop and start it instead`,
        );
      }
      await node.reset();
      return node.status();
    },
    stats: () => Promise.resolve(this.fabric.snapshot()),
    captureStart: ({ target, wireFrames }) => {
      const ports = this.targetPorts(target);
      const first = ports[0];
      if (!first) throw new EngineError('no-such-target', `"${target}" has no ports to capture`);
      const captureId = `c${this.nextCapture++}`;
      const cap = this.fabric.capture(
        ports,
        (chunk) => this.emitters.captureData.fire({ captureId, data: chunk.toString('base64') }),
        {
          wireFrames: wireFrames === true,
          // Chunks go out as events: stop recording before the socket drops them unseen.
          maxBufferedBytes: MAX_EVENT_BACKLOG / 2,
          backlog: () => this.eventBacklog(),
        },
      );
      this.captures.set(captureId, cap);
      return Promise.resolve({
        captureId,
        linkType: first.linkType,
        ports: ports.map((x) => x.id),
      });
    },
    captureStop: async ({ captureId }) => {
      const cap = this.captures.get(captureId);
      if (!cap) throw new EngineError('no-such-target', `no capture "${captureId}" is running`);
      this.captures.delete(captureId);
      // Its last chunks go out before the answer, so a client can close its file on it.
      await cap.close();
      return { frames: cap.frames(), dropped: cap.dropped() };
    },
    linkImpair: ({ link: id, dir, spec, clear }) => {
      const link = this.links.find((l) => l.id === id);
      if (!link) {
        throw new EngineError(
          'no-such-target',
          `no link "${id}" in this lab; links are ${this.links.map((l) => l.id).join(', ')}`,
        );
      }
      if ((clear === true) === (spec !== undefined)) {
        throw new EngineError(
          'bad-request',
          'linkImpair needs either spec (e.g. "delay=20ms loss=1%") or clear: true',
        );
      }
      const endpoints = this.linkSpecs.get(link)?.endpoints ?? [];
      const dirs: readonly LinkDirection[] = dir === undefined ? LINK_DIRECTIONS : [dir];
      // Every direction's text is checked before anything changes.
      for (const d of dirs) impairLink(link, endpoints, d, clear === true ? undefined : spec);
      return Promise.resolve(this.linkStatus(link));
    },
    linkSet: ({ port: id, up }) => {
      const ep = parseEndpoint(id);
      const node = ep?.port !== undefined ? this.nodes.get(ep.node) : undefined;
      if (node?.setLink && ep?.port !== undefined) return node.setLink(ep.port, up);
      const port = this.fabric.port(id);
      if (!port) {
        throw new EngineError(
          'no-such-target',
          `no port "${id}" in this lab; ports are ${this.fabric.portIds().join(', ')}`,
        );
      }
      port.setUp(up);
      return Promise.resolve(port.status());
    },
  };

  /** Handles one contract command. */
  async call<K extends CommandName>(cmd: K, params: CommandParams<K>): Promise<CommandResult<K>> {
    const handler = this.handlers[cmd] as
      ((p: CommandParams<K>) => Promise<CommandResult<K>>) | undefined;
    if (handler === undefined) throw new EngineError('bad-request', `unknown command "${cmd}"`);
    return handler(params);
  }

  private mustConsole(name: string): {
    write(d: string): void;
    resize(c: number, r: number): void;
    scrollback(): string;
  } {
    const node = this.mustNode(name);
    const c = node.console?.();
    if (!c) throw new EngineError('bad-request', `node "${name}" has no running console`);
    return c;
  }

  /** Subscribes to one of the lab's events. */
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): Disposable {
    return this.events[event](listener);
  }

  /** The lab's current state. */
  get labState(): LabState {
    return this.state;
  }
}
