// The host end of a ppp link: pppd started with `notty`, which speaks RFC 1662 on its stdin and
// stdout, as a fabric port. The port owns the process: it restarts pppd when it exits (as
// Zephyr's net-tools loop-pppd.sh does, since pppd ends with every link termination) and stops
// it by an escalation of SIGTERM and SIGKILL. The process carries the lab's ownership tag in
// its environment, so cleanup after a crash finds it.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { Emitter } from '../../../../shared/lifecycle.js';
import type { FrameCodec, FrameDecoder } from '../../../../engine/fabric/index.js';
import { Port } from '../../../../engine/fabric/port.js';
import { signalSession } from '../../../../engine/process/processTree.js';
import { settlesWithin } from '../../../../engine/process/supervisedProcess.js';

/**
 * Wait after SIGTERM: pppd then sends an LCP Terminate-Request and waits for the ack, resending
 * after its 3 s restart timer; 5 s covers one resend on a loaded machine.
 */
export const PPPD_TERM_TIMEOUT_MS = 5_000;

/** Wait after SIGKILL: the kernel reaps a killed process in milliseconds. */
export const PPPD_KILL_TIMEOUT_MS = 2_000;

/** First wait before restarting an exited pppd: the 2 s of net-tools' loop-pppd.sh. */
export const PPPD_RESTART_DELAY_MS = 2_000;

/** Longest wait between restarts: a pppd that keeps failing is retried twice a minute. */
export const PPPD_MAX_RESTART_DELAY_MS = 30_000;

/** A run this long resets the restart delay: pppd was working, not failing at start. */
export const PPPD_STABLE_RUN_MS = 30_000;

/**
 * Bytes queued to pppd's stdin above which frames are refused as 'queue-full': a few hundred
 * full frames, far more than a serial line holds in flight.
 */
export const PPPD_HIGH_WATER_BYTES = 256 * 1024;

/** Options of a PppdPort. */
export interface PppdPortOptions {
  /** Fabric port id. */
  id: string;
  /** pppd's path and arguments (never a shell). */
  argv: readonly string[];
  cwd: string;
  /** pppd's whole environment (with the lab's ownership tag). */
  env: Readonly<Record<string, string | undefined>>;
  /** pppd's stderr (its log, with `logfd 2`) is appended here. */
  logFile: string;
  codec: FrameCodec;
  /** Largest frame in the fabric. */
  mtu: number;
}

/** How a pppd run ended. */
export interface PppdExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** pppd's exit statuses that say what went wrong (pppd(8), "EXIT STATUS"). */
const PPPD_EXIT_REASONS: Readonly<Record<number, string>> = {
  1: 'an immediately fatal error',
  2: 'an error in the options',
  3: 'pppd is not setuid-root and the invoking user is not root',
  4: 'the kernel does not support PPP',
  5: 'it was terminated by a signal',
  7: 'the serial port could not be opened',
  10: 'PPP negotiation failed',
  11: 'the peer failed or refused to authenticate',
  12: 'the link was idle too long',
  13: 'the link was up for its maximum connect time',
  15: 'the peer stopped responding to echo requests',
  16: 'the link was terminated by the modem hanging up',
  19: 'authentication to the peer failed',
};

/** Why pppd ended, for messages ("exited with status 4: the kernel does not support PPP"). */
export function describePppdExit(exit: PppdExit): string {
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  const reason = exit.code !== null ? PPPD_EXIT_REASONS[exit.code] : undefined;
  return `exited with status ${exit.code ?? '?'}${reason !== undefined ? ` (${reason})` : ''}`;
}

/**
 * A fabric port whose device is a pppd process on pipes. While pppd is not running the port is
 * down (frames either way are 'port-down' drops); every exit is counted as 'pppd-exit' under
 * the port's `extra` counters, and pppd is started again after a delay.
 */
export class PppdPort extends Port {
  private readonly options: PppdPortOptions;
  private readonly decoder: FrameDecoder;
  private child: ChildProcess | undefined;
  private stdin: Writable | undefined;
  private startedAt = 0;
  private restartDelay = PPPD_RESTART_DELAY_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private wantUp = true;
  private lastExitInfo: PppdExit | undefined;
  private readonly didExit = new Emitter<PppdExit>();
  private readonly didStart = new Emitter<number>();

  /** Fires when a pppd run ended (the port restarts it unless it is stopping). */
  readonly onDidExit = this.didExit.event;
  /** Fires with the pid of every pppd run started. */
  readonly onDidStart = this.didStart.event;

  /** Creates the port and starts pppd. */
  static start(options: PppdPortOptions): PppdPort {
    const port = new PppdPort(options);
    port.spawnPppd();
    return port;
  }

  private constructor(options: PppdPortOptions) {
    super({ id: options.id, linkType: 'ppp', mtu: options.mtu });
    this.options = options;
    this.decoder = options.codec.decoder((event, count) => this.countExtra(event, count));
    super.setUp(false);
  }

  /** The pid of the running pppd, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the last pppd run ended, if one did. */
  get lastExit(): PppdExit | undefined {
    return this.lastExitInfo;
  }

  /** The administrative state asked for (the port is up only while pppd runs too). */
  get wanted(): boolean {
    return this.wantUp;
  }

  override setUp(up: boolean): void {
    this.wantUp = up;
    super.setUp(up && this.child !== undefined);
  }

  private spawnPppd(): void {
    if (this.stopping || this.isDisposed) return;
    const { argv, cwd, env, logFile } = this.options;
    const [file, ...args] = argv;
    if (file === undefined) throw new Error('pppd argv is empty');
    let logFd: number | 'ignore' = 'ignore';
    try {
      appendFileSync(logFile, `--- ${new Date().toISOString()} starting ${argv.join(' ')}\n`, {
        mode: 0o600,
      });
      logFd = openSync(logFile, 'a', 0o600);
    } catch {
      // Without a log file pppd still runs; its messages are lost.
    }
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd,
        env,
        // A session of its own, so stop() reaches pppd's character shunt and scripts too.
        detached: true,
        stdio: ['pipe', 'pipe', logFd],
        shell: false,
      });
    } finally {
      if (typeof logFd === 'number') closeSync(logFd);
    }
    this.child = child;
    this.startedAt = Date.now();
    this.decoder.reset();
    const stdout = child.stdout as Readable;
    const stdin = child.stdin as Writable;
    this.stdin = stdin;
    stdin.on('error', () => {
      // EPIPE after pppd exited: the exit handler takes the port down.
    });
    stdout.on('data', (chunk: Buffer) => {
      if (child !== this.child) return;
      const frames = this.decoder.push(chunk);
      if (frames.length > 0) this.receive(frames);
    });
    let done!: () => void;
    this.exited = new Promise<void>((resolve) => {
      done = resolve;
    });
    let ended = false;
    const end = (exit: PppdExit): void => {
      if (ended) return;
      ended = true;
      const pid = child.pid;
      if (pid !== undefined && pid > 1) {
        // What pppd started (its character shunt) goes with it; the group id stays reserved
        // while members remain, so this reaches no stranger.
        try {
          signalSession(pid, 'SIGKILL', false);
        } catch {
          // Nothing left to signal.
        }
      }
      if (this.child === child) {
        this.child = undefined;
        this.stdin = undefined;
        super.setUp(false);
      }
      this.lastExitInfo = exit;
      this.countExtra('pppd-exit');
      done();
      this.didExit.fire(exit);
      this.scheduleRestart();
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      appendLog(logFile, `--- cannot start ${file}: ${err.message}\n`);
      end({ code: null, signal: null });
    });
    child.on('exit', (code, signal) => {
      appendLog(logFile, `--- pppd ${describePppdExit({ code, signal })}\n`);
      end({ code, signal });
    });
    if (child.pid !== undefined) {
      super.setUp(this.wantUp);
      this.didStart.fire(child.pid);
    }
  }

  private scheduleRestart(): void {
    if (this.stopping || this.isDisposed) return;
    const ran = Date.now() - this.startedAt;
    if (ran >= PPPD_STABLE_RUN_MS) this.restartDelay = PPPD_RESTART_DELAY_MS;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, PPPD_MAX_RESTART_DELAY_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.spawnPppd();
    }, delay);
    this.restartTimer.unref();
  }

  /**
   * Stops pppd for good: SIGTERM (pppd terminates the link politely), SIGKILL after
   * PPPD_TERM_TIMEOUT_MS. Resolves once pppd has exited or the kill wait is over.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const child = this.child;
    const pid = child?.pid;
    if (child === undefined || pid === undefined) return;
    const exited = this.exited;
    signalSession(pid, 'SIGTERM');
    if (await settlesWithin(exited, PPPD_TERM_TIMEOUT_MS)) return;
    if (this.child === child) signalSession(pid, 'SIGKILL');
    await settlesWithin(exited, PPPD_KILL_TIMEOUT_MS);
  }

  protected override transmit(frames: readonly Buffer[]): number {
    const stdin = this.stdin;
    if (stdin === undefined || stdin.destroyed) return 0;
    if (stdin.writableLength > PPPD_HIGH_WATER_BYTES) return 0;
    stdin.write(this.options.codec.encode(frames, frames.length));
    return frames.length;
  }

  protected override disposeDevice(): void {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const pid = this.child?.pid;
    // stop() normally ran first; a pppd still here gets no grace.
    if (pid !== undefined) {
      try {
        signalSession(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.stdin?.destroy();
    this.child?.stdout?.destroy();
    this.didExit.dispose();
    this.didStart.dispose();
  }
}

function appendLog(file: string, text: string): void {
  try {
    appendFileSync(file, text, { mode: 0o600 });
  } catch {
    // The log is a convenience; pppd's state is in the port's counters.
  }
}

/** The line of /proc/devices that says the kernel has PPP (ppp_generic's char major 108). */
const PPP_CHAR_MAJOR_RE = /^\s*108\s+ppp\s*$/m;

/** Why pppd cannot run here: the end of a sentence, and whether it is about permissions. */
export interface PppKernelProblem {
  message: string;
  permission: boolean;
}

/**
 * Whether this kernel can run pppd: opens `device` (/dev/ppp) as pppd will. Returns the
 * problem ("... ; load it with ...") or undefined when the device opens.
 */
export function pppKernelProblem(device: string): PppKernelProblem | undefined {
  try {
    closeSync(openSync(device, 'r+'));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const lacks = `this kernel has no PPP support (${device} ${code === 'ENOENT' ? 'does not exist' : 'has no driver'}); load it with "modprobe -a ppp_generic ppp_async", or use a kernel built with CONFIG_PPP and CONFIG_PPP_ASYNC`;
    if (code === 'ENOENT') {
      let devices = '';
      try {
        devices = readFileSync('/proc/devices', 'utf8');
      } catch {
        // No /proc: say what is certain.
      }
      return {
        permission: false,
        message: PPP_CHAR_MAJOR_RE.test(devices)
          ? `the kernel has PPP but ${device} does not exist; create it with "mknod ${device} c 108 0"`
          : lacks,
      };
    }
    if (code === 'ENXIO' || code === 'ENODEV') return { permission: false, message: lacks };
    if (code === 'EACCES' || code === 'EPERM') {
      return {
        permission: true,
        message: `${device} cannot be opened (permission denied), and pppd needs it with CAP_NET_ADMIN; run netweave as root`,
      };
    }
    return { permission: false, message: `${device} cannot be opened (${code ?? String(err)})` };
  }
}
