// A node's process with a real console: spawned on a pty from an argv array (never a shell),
// watched for a ready line, stopped by a documented escalation, restarted by policy, and
// tracked so that a test can prove nothing outlived it.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { spawn as spawnPty } from 'node-pty';
import type { IDisposable, IPty } from 'node-pty';
import type { ExitInfo, NodeState } from '../../shared/contract.js';
import { EngineError } from '../../shared/contract.js';
import type { Disposable } from '../../shared/lifecycle.js';
import { Emitter } from '../../shared/lifecycle.js';
import type { FlowControlSource } from './batchedStream.js';
import { lastLines, quoteLines, seconds } from './consoleText.js';
import { checkDirectory, findExecutable } from './executable.js';
import { spawnInNetns } from './inNetns.js';
import { signalSession, signalName } from './processTree.js';
import { drainBeforeDestroy } from './ptyDrain.js';
import { DEFAULT_SCROLLBACK_BYTES, RingBuffer } from './ringBuffer.js';

/**
 * The ready pattern is matched against a sliding window of the newest console text of the
 * current run, so a line split across pty reads still matches. 64 KiB is far longer than any
 * ready line yet bounds the cost of re-testing the pattern on every chunk. Nothing is stripped
 * (ANSI escapes included): write the pattern against the raw text.
 */
export const READY_WINDOW_CHARS = 64 * 1024;

/** Console bytes of the current run kept for ExitInfo.lastLines: 20 lines of even a chatty log. */
const RUN_TAIL_BYTES = 64 * 1024;

/** Bytes of console output the run log may hold unwritten before the console is paused. */
const LOG_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Default wait after the gracefulStop hook (e.g. QMP "quit"): QEMU flushes its block devices
 * before exiting, which takes a few seconds on a loaded machine.
 */
export const DEFAULT_GRACEFUL_TIMEOUT_MS = 10_000;

/**
 * Default wait after SIGTERM: QEMU, native_sim and FVP exit within a second; 5 s covers a
 * loaded 2-core CI machine without making `down` feel hung (vscode waits similar orders).
 */
export const DEFAULT_TERM_TIMEOUT_MS = 5_000;

/** Default wait after SIGKILL: the kernel reaps a killed process in milliseconds unless it is stuck in D state. */
export const DEFAULT_KILL_TIMEOUT_MS = 2_000;

/** Default restart limit: enough to ride out a transient failure, few enough to surface a crash loop. */
export const DEFAULT_MAX_RESTARTS = 3;

/** Default first restart delay; it doubles per restart so a crash loop does not eat the CPU. */
export const DEFAULT_BACKOFF_MS = 500;

/** Default cap on the restart delay: a node that keeps crashing is retried at least every 10 s. */
export const DEFAULT_MAX_BACKOFF_MS = 10_000;

/**
 * A run that stayed ready this long was a good one: the restart count starts over after it, so
 * a node that crashes once a day is restarted every day, not failed after its third crash.
 */
export const DEFAULT_STABLE_RUN_MS = 60_000;

/**
 * node-pty emits exit after the pty's socket closed, and ptyDrain.ts reads what the kernel still
 * held before that close; this short settle lets callbacks already queued in the event loop
 * land before the exit is reported.
 */
const EXIT_SETTLE_MS = 20;

/** Console size when none is given: the VT100 size that serial consoles assume. */
const DEFAULT_COLS = 80;
const DEFAULT_ROWS = 24;

/** $TERM when the environment has none: consoles are rendered by xterm.js. */
const DEFAULT_TERM = 'xterm-256color';

/** Ready detection for a node. */
export interface ReadyOptions {
  /** Ready when this matches the console text (raw, escapes included; see READY_WINDOW_CHARS). */
  pattern: RegExp;
  /** Fail the node if the pattern has not matched this long after each spawn. */
  timeoutMs: number;
}

/** How stop() ends the process: gracefulStop hook, then termSignal, then SIGKILL. */
export interface StopOptions {
  /** A polite request to exit (e.g. QMP "quit"); its errors fall through to the signals. */
  gracefulStop?: () => Promise<void>;
  /** How long to wait for an exit after gracefulStop (default DEFAULT_GRACEFUL_TIMEOUT_MS). */
  gracefulTimeoutMs?: number;
  /** The polite signal (default SIGTERM; SIGHUP suits an interactive shell, which ignores SIGTERM). */
  termSignal?: NodeJS.Signals;
  /** How long to wait after termSignal (default DEFAULT_TERM_TIMEOUT_MS). */
  termTimeoutMs?: number;
  /** How long to wait after SIGKILL (default DEFAULT_KILL_TIMEOUT_MS). */
  killTimeoutMs?: number;
}

/** When an unexpected exit is followed by a new spawn. */
export type RestartPolicy = 'never' | 'on-failure';

/** Restart policy and its limits. */
export interface RestartOptions {
  policy: RestartPolicy;
  /** Restarts allowed per start() (default DEFAULT_MAX_RESTARTS). */
  maxRestarts?: number;
  /** First delay before a restart, doubled each time (default DEFAULT_BACKOFF_MS). */
  backoffMs?: number;
  /** Cap on the delay (default DEFAULT_MAX_BACKOFF_MS). */
  maxBackoffMs?: number;
  /**
   * A run ready at least this long resets the count of restarts and the backoff (default
   * DEFAULT_STABLE_RUN_MS).
   */
  stableRunMs?: number;
}

/** Everything needed to run one node's process. */
export interface SupervisedProcessOptions {
  /** Node name, used in every message. */
  name: string;
  /** Program and arguments; argv[0] is looked up on the child's PATH like execvp(3) does. */
  argv: readonly string[];
  cwd?: string;
  /** The child's whole environment (replaces, does not extend, process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The network namespace (a file such as /run/netns/NAME) the process runs in. */
  netns?: string;
  cols?: number;
  rows?: number;
  /** Scrollback kept across runs (default DEFAULT_SCROLLBACK_BYTES). */
  scrollbackBytes?: number;
  /** Every console byte is appended to this file; opened on the first output of a run. */
  logFile?: string;
  ready?: ReadyOptions;
  stop?: StopOptions;
  restart?: RestartOptions;
}

/** A state change with its reason (set for 'failed' and 'restarting'). */
export interface ProcessStateEvent {
  state: NodeState;
  reason?: string;
}

/** A new process was spawned after an unexpected exit (it is not yet ready). */
export interface ProcessRestartEvent {
  /** 1 for the first restart after start(). */
  attempt: number;
  pid: number;
  /** How the previous process ended. */
  previousExit: ExitInfo;
}

/** One entry of the live-process registry. */
export interface LiveProcessInfo {
  name: string;
  pid: number | undefined;
  state: NodeState;
}

const live = new Set<SupervisedProcess>();

/** Number of SupervisedProcess instances that have a process or a pending start/restart. */
export function liveProcessCount(): number {
  return live.size;
}

/** The live SupervisedProcess instances, for leak reports and emergency cleanup. */
export function liveProcesses(): SupervisedProcess[] {
  return [...live];
}

/** Describes the live processes in one line each, for a leak report. */
export function describeLiveProcesses(): LiveProcessInfo[] {
  return [...live].map((p) => ({ name: p.name, pid: p.pid, state: p.state }));
}

const NOT_STARTED: ExitInfo = Object.freeze({ code: null, signal: null, lastLines: [] });

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True if `promise` settles within `ms`; the timer is always cleared. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The environment without unset keys (node-pty would pass them as "KEY=undefined"). */
function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/** "exited with code 3" or "was killed by SIGSEGV". */
export function describeExit(exit: ExitInfo): string {
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * One node's supervised process on a pty. Emits console output, state changes, exits (only
 * after the console output is flushed) and restarts; keeps scrollback and an optional log.
 */
export class SupervisedProcess implements Disposable, FlowControlSource {
  private readonly dataEmitter = new Emitter<string>();
  private readonly ownDataEmitter = new Emitter<string>();
  private readonly stateEmitter = new Emitter<ProcessStateEvent>();
  private readonly exitEmitter = new Emitter<ExitInfo>();
  private readonly restartEmitter = new Emitter<ProcessRestartEvent>();

  /** Console output as text, chunk by chunk (UTF-8 decoded across chunk boundaries). */
  readonly onData = this.dataEmitter.event;
  /** Only what the process printed on its own pty (not the streams of addOutput()). */
  readonly onOwnData = this.ownDataEmitter.event;
  /** Every state change. */
  readonly onState = this.stateEmitter.event;
  /** A process ended; fired after its last console output was delivered and logged. */
  readonly onExit = this.exitEmitter.event;
  /** A process was respawned by the restart policy (re-join ports here). */
  readonly onDidRestart = this.restartEmitter.event;

  private readonly argv: readonly string[];
  private readonly readyPattern: RegExp | undefined;
  private readonly scrollbackBuffer: RingBuffer;
  private readonly runTail = new RingBuffer(RUN_TAIL_BYTES);
  private cols: number;
  private rows: number;

  private currentState: NodeState = 'stopped';
  private currentReason: string | undefined;
  private pty: IPty | undefined;
  private ptyExited = false;
  private ptyListeners: IDisposable[] = [];
  private decoder = new StringDecoder('utf8');
  private readyWindow = '';
  private runReady = false;
  private readyTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  /** When the current run became ready (performance.now()), for the stable-run reset. */
  private readyAt: number | undefined;
  private startWaiter: Deferred<void> | undefined;
  private runExit: Deferred<ExitInfo> | undefined;
  private launching: Promise<void> | undefined;
  private stopping: Promise<ExitInfo> | undefined;
  private terminating: Promise<ExitInfo> | undefined;
  private stopRequested = false;
  private pendingFailure: string | undefined;
  private log: WriteStream | undefined;
  private logFailed = false;
  private exitInfo: ExitInfo | undefined;
  private flowPaused = false;
  /** True while the run log is too far behind: the pty is not read until it drains. */
  private logPaused = false;
  /** True from a spawn until its exit is logged: output of other streams is taken meanwhile. */
  private outputOpen = false;
  private disposing: Promise<void> | undefined;

  constructor(private readonly options: SupervisedProcessOptions) {
    if (options.argv.length === 0) {
      throw new EngineError('bad-request', `node "${options.name}" has an empty command line`);
    }
    this.argv = [...options.argv];
    const pattern = options.ready?.pattern;
    // A global or sticky RegExp keeps lastIndex between test() calls; match statelessly.
    this.readyPattern = pattern && new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    this.scrollbackBuffer = new RingBuffer(options.scrollbackBytes ?? DEFAULT_SCROLLBACK_BYTES);
    this.cols = options.cols ?? DEFAULT_COLS;
    this.rows = options.rows ?? DEFAULT_ROWS;
  }

  /** The node name. */
  get name(): string {
    return this.options.name;
  }

  /** Current state. */
  get state(): NodeState {
    return this.currentState;
  }

  /** Why the node is failed or restarting, in one sentence. */
  get reason(): string | undefined {
    return this.currentReason;
  }

  /** Pid of the running process (the pty's session leader), if any. */
  get pid(): number | undefined {
    return this.ptyExited ? undefined : this.pty?.pid;
  }

  /** How the most recent process ended. */
  get lastExit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** Restarts since the last start(). */
  get restartCount(): number {
    return this.restarts;
  }

  /**
   * Spawns the process and resolves once it is ready (across restarts). Rejects with an Error
   * whose message is the one-sentence reason when the node fails or is stopped first.
   */
  start(): Promise<void> {
    if (this.disposing) {
      return Promise.reject(new Error(`node "${this.name}" was disposed and cannot be started`));
    }
    switch (this.currentState) {
      case 'ready':
        return Promise.resolve();
      case 'starting':
      case 'restarting':
        this.startWaiter ??= deferred<void>();
        return this.startWaiter.promise;
      case 'stopping':
        return Promise.reject(
          new EngineError('busy', `node "${this.name}" is stopping; start it once it has stopped`),
        );
      case 'stopped':
      case 'failed':
        break;
    }
    this.restarts = 0;
    this.stopRequested = false;
    this.pendingFailure = undefined;
    const waiter = (this.startWaiter = deferred<void>());
    live.add(this);
    this.launching = this.launchSafely(undefined);
    return waiter.promise;
  }

  /** Writes to the console; dropped when no process is running (as vscode does). */
  write(data: string): void {
    if (this.pty && !this.ptyExited) this.pty.write(data);
  }

  /** Resizes the console; remembered for later spawns. */
  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 1 || rows < 1) {
      throw new EngineError(
        'bad-request',
        `console size must be positive integers, got ${cols}x${rows}`,
      );
    }
    this.cols = cols;
    this.rows = rows;
    if (this.pty && !this.ptyExited) {
      try {
        this.pty.resize(cols, rows);
      } catch {
        // The pty closed between the check and the ioctl: the next spawn uses the new size.
      }
    }
  }

  /** Console history across runs, oldest first. */
  scrollback(): string {
    return this.scrollbackBuffer.read();
  }

  /** Flow control: stop reading the console (the process blocks once the pty buffer fills). */
  pause(): void {
    this.flowPaused = true;
    if (this.pty && !this.ptyExited) this.pty.pause();
  }

  /** Flow control: read the console again (once the run log has caught up, too). */
  resume(): void {
    this.flowPaused = false;
    if (this.pty && !this.ptyExited && !this.logPaused) this.pty.resume();
  }

  /**
   * Stops the node: gracefulStop hook (if any), then termSignal to its whole session, then
   * SIGKILL, each followed by its timeout. Resolves with how the process ended; cancels a
   * pending restart. Rejects only if the process survives SIGKILL.
   */
  stop(): Promise<ExitInfo> {
    this.stopping ??= this.doStop().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /** Stops the process and releases everything; safe to call more than once. */
  dispose(): Promise<void> {
    this.disposing ??= this.doDispose();
    return this.disposing;
  }

  private async doDispose(): Promise<void> {
    try {
      await this.stop();
    } finally {
      this.clearTimers();
      await this.closeLog();
      if (this.pty === undefined) live.delete(this);
      this.dataEmitter.dispose();
      this.ownDataEmitter.dispose();
      this.stateEmitter.dispose();
      this.exitEmitter.dispose();
      this.restartEmitter.dispose();
    }
  }

  private async doStop(): Promise<ExitInfo> {
    this.stopRequested = true;
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      this.finish('stopped');
      return this.exitInfo ?? NOT_STARTED;
    }
    await this.launching;
    if (this.pty === undefined) return this.exitInfo ?? NOT_STARTED;
    return this.terminate();
  }

  private setState(state: NodeState, reason?: string): void {
    this.currentState = state;
    this.currentReason = reason;
    this.stateEmitter.fire(reason === undefined ? { state } : { state, reason });
  }

  /** Enters a final state (stopped or failed): no process, no timers, start() settled. */
  private finish(state: 'stopped' | 'failed', reason?: string, error?: Error): void {
    this.clearTimers();
    this.setState(state, reason);
    live.delete(this);
    const waiter = this.startWaiter;
    this.startWaiter = undefined;
    waiter?.reject(
      error ?? new Error(reason ?? `node "${this.name}" was stopped before it was ready`),
    );
  }

  private clearTimers(): void {
    if (this.readyTimer !== undefined) clearTimeout(this.readyTimer);
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.readyTimer = undefined;
    this.restartTimer = undefined;
  }

  /** launch() with any unexpected error turned into a failed node instead of a rejection. */
  private launchSafely(previousExit: ExitInfo | undefined): Promise<void> {
    return this.launch(previousExit).catch((err: unknown) => {
      this.finish('failed', `cannot start node "${this.name}": ${(err as Error).message}`);
    });
  }

  private async launch(previousExit: ExitInfo | undefined): Promise<void> {
    this.setState('starting');
    const cwd = this.options.cwd ?? process.cwd();
    const env = this.options.env ?? process.env;
    const file = this.argv[0] ?? '';
    let problem = await checkDirectory(cwd);
    let missingBinary = false;
    if (problem === undefined) {
      const found = await findExecutable(file, cwd, env);
      if (!found.ok) {
        problem = `${found.problem}; install it or set its path`;
        missingBinary = true;
      }
    }
    if (this.stopRequested) {
      this.finish('stopped');
      return;
    }
    if (problem !== undefined) {
      const reason = `cannot start node "${this.name}": ${problem}`;
      this.finish(
        'failed',
        reason,
        new EngineError(missingBinary ? 'missing-binary' : 'bad-request', reason),
      );
      return;
    }
    let pty: IPty;
    try {
      pty = spawnInNetns(this.options.netns, () =>
        spawnPty(file, this.argv.slice(1), {
          name: env['TERM'] ?? DEFAULT_TERM,
          cols: this.cols,
          rows: this.rows,
          cwd,
          ...(this.options.env ? { env: definedOnly(this.options.env) } : {}),
          // Raw bytes: the log gets every byte as printed, scrollback is bounded in bytes, and
          // text is decoded here with a StringDecoder that survives split characters.
          encoding: null,
        }),
      );
    } catch (err) {
      const reason = `cannot start node "${this.name}": ${(err as Error).message}`;
      this.finish('failed', reason);
      return;
    }
    this.pty = pty;
    this.ptyExited = false;
    this.outputOpen = true;
    this.runTail.clear();
    this.decoder = new StringDecoder('utf8');
    this.readyWindow = '';
    this.runReady = false;
    this.runExit = deferred<ExitInfo>();
    this.ptyListeners = [
      // With encoding null node-pty delivers Buffers, although its typings say string.
      pty.onData((data: string | Buffer) => this.handleData(data)),
      pty.onExit((e) => void this.handleExit(pty, e.exitCode, e.signal ?? 0)),
    ];
    drainBeforeDestroy(pty, (bytes) => {
      if (pty === this.pty) this.handleData(bytes);
    });
    if (this.flowPaused || this.logPaused) pty.pause();
    if (previousExit !== undefined) {
      this.restartEmitter.fire({ attempt: this.restarts, pid: pty.pid, previousExit });
    }
    const ready = this.options.ready;
    if (this.readyPattern === undefined || ready === undefined) {
      this.markReady();
    } else {
      this.readyTimer = setTimeout(() => this.readyTimedOut(ready), ready.timeoutMs);
    }
  }

  /**
   * Another output stream of the same process (e.g. a UART pty it opened): its bytes join the
   * console exactly as the pty's do (scrollback, run log, last lines, ready pattern, onData), in
   * the order they arrive. Returns the function that takes the stream's bytes; each stream has
   * its own UTF-8 decoder, so a character split across its reads survives.
   */
  addOutput(): (bytes: Buffer) => void {
    const decoder = new StringDecoder('utf8');
    return (bytes) => {
      if (this.outputOpen) this.ingest(bytes, decoder);
    };
  }

  private handleData(data: string | Buffer): void {
    const text = this.ingest(
      typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
      this.decoder,
    );
    if (text.length > 0) this.ownDataEmitter.fire(text);
  }

  /** Takes bytes of any of the process's streams; returns them decoded. */
  private ingest(bytes: Buffer, decoder: StringDecoder): string {
    this.scrollbackBuffer.append(bytes);
    this.runTail.append(bytes);
    this.writeLog(bytes);
    const text = decoder.write(bytes);
    if (text.length === 0) return text;
    this.dataEmitter.fire(text);
    if (!this.runReady && this.readyPattern !== undefined && this.readyTimer !== undefined) {
      this.readyWindow = (this.readyWindow + text).slice(-READY_WINDOW_CHARS);
      if (this.readyPattern.test(this.readyWindow)) this.markReady();
    }
    return text;
  }

  private markReady(): void {
    if (this.readyTimer !== undefined) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.readyWindow = '';
    this.runReady = true;
    this.readyAt = performance.now();
    this.setState('ready');
    const waiter = this.startWaiter;
    this.startWaiter = undefined;
    waiter?.resolve();
  }

  private readyTimedOut(ready: ReadyOptions): void {
    this.readyTimer = undefined;
    const lines = quoteLines(lastLines(this.runTail.read()));
    this.pendingFailure =
      `node "${this.name}" did not print ${String(ready.pattern)} within ` +
      `${seconds(ready.timeoutMs)}; last lines: ${lines}`;
    this.stopRequested = true;
    this.terminate().catch((err: unknown) => {
      this.finish('failed', `${this.pendingFailure}; ${(err as Error).message}`);
    });
  }

  /** Runs the stop escalation once per process, however many callers ask for it. */
  private terminate(): Promise<ExitInfo> {
    this.terminating ??= this.escalate().finally(() => {
      this.terminating = undefined;
    });
    return this.terminating;
  }

  private async escalate(): Promise<ExitInfo> {
    const pty = this.pty;
    const run = this.runExit;
    if (pty === undefined || run === undefined) return this.exitInfo ?? NOT_STARTED;
    if (this.readyTimer !== undefined) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    if (this.currentState !== 'stopping') this.setState('stopping');
    // A paused pty would hold back the last output, and node-pty drops it 200 ms after exit.
    if (!this.ptyExited) pty.resume();
    const stop = this.options.stop ?? {};
    if (stop.gracefulStop) {
      stop.gracefulStop().catch(() => {
        // A failed polite request is not an error: the signals below take over.
      });
      if (await settlesWithin(run.promise, stop.gracefulTimeoutMs ?? DEFAULT_GRACEFUL_TIMEOUT_MS)) {
        return run.promise;
      }
    }
    const steps: [NodeJS.Signals, number][] = [
      [stop.termSignal ?? 'SIGTERM', stop.termTimeoutMs ?? DEFAULT_TERM_TIMEOUT_MS],
      ['SIGKILL', stop.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS],
    ];
    for (const [signal, timeoutMs] of steps) {
      signalSession(pty.pid, signal, !this.ptyExited);
      if (await settlesWithin(run.promise, timeoutMs)) return run.promise;
    }
    throw new Error(
      `node "${this.name}" (pid ${pty.pid}) did not exit within ` +
        `${seconds(stop.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS)} of SIGKILL; ` +
        'it is probably stuck in the kernel (state D)',
    );
  }

  private async handleExit(pty: IPty, exitCode: number, signal: number): Promise<void> {
    if (pty !== this.pty) return;
    this.ptyExited = true;
    if (this.readyTimer !== undefined) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    await delay(EXIT_SETTLE_MS);
    for (const listener of this.ptyListeners) listener.dispose();
    this.ptyListeners = [];
    const rest = this.decoder.end();
    if (rest.length > 0) this.dataEmitter.fire(rest);
    // Nothing the node started outlives it: its process group and session are killed.
    signalSession(pty.pid, 'SIGKILL', false);
    this.outputOpen = false;
    await this.closeLog();
    this.pty = undefined;
    this.ptyExited = false;
    const exit: ExitInfo = {
      code: signal !== 0 ? null : exitCode,
      signal: signal !== 0 ? signalName(signal) : null,
      lastLines: lastLines(this.runTail.read()),
    };
    this.exitInfo = exit;
    const run = this.runExit;
    this.runExit = undefined;
    this.exitEmitter.fire(exit);
    this.afterExit(exit);
    run?.resolve(exit);
  }

  private afterExit(exit: ExitInfo): void {
    if (this.pendingFailure !== undefined) {
      const reason = this.pendingFailure;
      this.pendingFailure = undefined;
      this.finish('failed', reason);
      return;
    }
    if (this.stopRequested) {
      this.finish('stopped');
      return;
    }
    const how = describeExit(exit);
    const lines = quoteLines(exit.lastLines);
    const clean = exit.code === 0 && exit.signal === null;
    if (clean && this.runReady) {
      this.finish('stopped');
      return;
    }
    if (clean) {
      this.finish(
        'failed',
        `node "${this.name}" exited with code 0 before it printed ` +
          `${String(this.options.ready?.pattern)}; last lines: ${lines}`,
      );
      return;
    }
    const restart = this.options.restart;
    const max = restart?.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    const readyFor = this.readyAt !== undefined ? performance.now() - this.readyAt : 0;
    this.readyAt = undefined;
    if (this.runReady && readyFor >= (restart?.stableRunMs ?? DEFAULT_STABLE_RUN_MS)) {
      this.restarts = 0;
    }
    if (restart?.policy === 'on-failure' && this.restarts < max) {
      this.restarts++;
      const initial = restart.backoffMs ?? DEFAULT_BACKOFF_MS;
      const wait = Math.min(
        initial * 2 ** (this.restarts - 1),
        restart.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      );
      this.setState(
        'restarting',
        `node "${this.name}" ${how}; restart ${this.restarts} of ${max} in ${seconds(wait)}`,
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.launching = this.launchSafely(exit);
      }, wait);
      return;
    }
    this.finish(
      'failed',
      restart?.policy === 'on-failure'
        ? `node "${this.name}" failed after ${this.restarts} restarts; last exit: ${how}; last lines: ${lines}`
        : `node "${this.name}" ${how}; last lines: ${lines}`,
    );
  }

  private writeLog(bytes: Buffer): void {
    const file = this.options.logFile;
    if (file === undefined || this.logFailed) return;
    if (this.log === undefined) {
      const log = createWriteStream(file, { flags: 'a' });
      log.on('error', (err) => {
        this.logFailed = true;
        const note = `\r\n[netweave] cannot write console log ${file}: ${err.message}\r\n`;
        this.scrollbackBuffer.append(note);
        this.dataEmitter.fire(note);
      });
      this.log = log;
    }
    this.log.write(bytes);
    // A node that floods its console faster than the disk takes it waits for the log (the pty
    // buffer fills and the process blocks on its writes): every byte reaches the run log and
    // the engine's memory stays bounded.
    if (!this.logPaused && this.log.writableLength > LOG_BACKLOG_BYTES) {
      const log = this.log;
      this.logPaused = true;
      if (this.pty && !this.ptyExited) this.pty.pause();
      log.once('drain', () => {
        this.logPaused = false;
        if (this.pty && !this.ptyExited && !this.flowPaused) this.pty.resume();
      });
    }
  }

  private async closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    // The next run's log starts empty: nothing to wait for.
    this.logPaused = false;
    if (log === undefined || log.closed) return;
    await new Promise<void>((resolve) => {
      log.once('close', () => resolve());
      log.end();
    });
  }
}
