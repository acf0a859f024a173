// zephyr.exe under supervision, with every byte it prints on the node's console. zephyr.exe
// writes to two kinds of stream: its stdout (the logging backend, the boot banner of newer
// releases, the "<uart> connected to pseudotty: /dev/pts/N" announcements) and one pty per UART
// (the shell, and on older releases everything). The console, its scrollback, the run log and
// the ready pattern see all of them merged in arrival order; what the user types goes to the
// first UART. Each pty is opened as soon as it is announced, and where the build allows it the
// firmware waits for that (uartHandshake.ts, or -wait_uart).
import { join } from 'node:path';
import type { NodeState } from '../../../../shared/contract.js';
import type { Disposable } from '../../../../shared/lifecycle.js';
import {
  SupervisedProcess,
  type RestartPolicy,
} from '../../../../engine/process/supervisedProcess.js';
import type { LabContext, NodeConsole } from '../../../../engine/nodes/types.js';
import { PtyConsole, UART_PTY_LINE } from './ptyConsole.js';
import type { UartHandshake } from './uartHandshake.js';

/** Stdout kept to find a pty line split across reads: the line is under 80 bytes. */
const PTY_LINE_WINDOW_CHARS = 256;

/** What a ZephyrProcess runs. */
export interface ZephyrProcessOptions {
  name: string;
  /** zephyr.exe and its options. */
  argv: string[];
  /** The network namespace it runs in (none: the engine's own). */
  netns?: string;
  cwd: string;
  readyPattern: string;
  readyTimeoutMs: number;
  restart: RestartPolicy;
  /** The FIFO the -attach_uart_cmd command waits on, when the launch uses one. */
  handshake?: UartHandshake;
  /** Called when a run begins (start, or a restart by the restart policy). */
  onNewRun?: () => void;
}

/** The full environment of a lab process: the engine's, plus the lab's ownership tag. */
export function labProcessEnv(ctx: LabContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, ...ctx.env };
}

/** One open UART pty of the current run. */
interface Uart {
  name: string;
  console: PtyConsole;
}

/** One zephyr.exe and its console. */
export class ZephyrProcess implements Disposable {
  private readonly proc: SupervisedProcess;
  /** UARTs of the current run, in the order they were announced (the first takes input). */
  private uarts: Uart[] = [];
  private window = '';
  /** When the current run was spawned: an announced pty must be younger (see PtyConsole.open). */
  private runStarted = 0;

  constructor(
    private readonly options: ZephyrProcessOptions,
    ctx: LabContext,
    onState: (state: NodeState, reason?: string) => void,
  ) {
    this.proc = new SupervisedProcess({
      name: options.name,
      argv: options.argv,
      netns: options.netns,
      cwd: options.cwd,
      env: labProcessEnv(ctx),
      logFile: join(ctx.logDir, `${options.name}.log`),
      ready: { pattern: new RegExp(options.readyPattern), timeoutMs: options.readyTimeoutMs },
      restart: { policy: options.restart },
    });
    this.proc.onData((text) => {
      ctx.consoleData(options.name, text);
    });
    // Only zephyr.exe's own stdout announces ptys: a UART printing such a line opens nothing.
    this.proc.onOwnData((text) => this.scanAnnouncements(text));
    this.proc.onDidRestart(() => this.newRun());
    this.proc.onExit(() => this.closeUarts());
    this.proc.onState((e) => onState(e.state, e.reason));
  }

  private newRun(): void {
    this.runStarted = Date.now();
    this.closeUarts();
    this.window = '';
    this.options.handshake?.drain();
    this.options.onNewRun?.();
  }

  /** Opens every pty announced on stdout (the announcements themselves are console output too). */
  private scanAnnouncements(text: string): void {
    this.window = (this.window + text).slice(-PTY_LINE_WINDOW_CHARS);
    let consumed = 0;
    for (const m of this.window.matchAll(UART_PTY_LINE)) {
      const [line, name, path] = m;
      consumed = (m.index ?? 0) + line.length;
      if (name !== undefined && path !== undefined) this.attachUart(name, path);
    }
    if (consumed > 0) this.window = this.window.slice(consumed);
  }

  private attachUart(name: string, path: string): void {
    if (this.uarts.some((u) => u.console.path === path)) return;
    try {
      const console = PtyConsole.open(path, this.runStarted);
      const output = this.proc.addOutput();
      console.onData(output);
      console.onDidClose(() => {
        this.uarts = this.uarts.filter((u) => u.console !== console);
      });
      this.uarts.push({ name, console });
    } catch (err) {
      this.note(`cannot open the UART pty ${path}: ${(err as Error).message}`);
    }
    // Opened (or given up on): zephyr.exe's attach command may return.
    this.options.handshake?.release();
  }

  private closeUarts(): void {
    const open = this.uarts;
    this.uarts = [];
    for (const u of open) u.console.dispose();
  }

  /** Adds a line of netweave's own to the console, its scrollback and the run log. */
  note(text: string): void {
    this.proc.addOutput()(Buffer.from(`\r\n[netweave] ${text}\r\n`));
  }

  /** The UARTs the console is attached to, by name and pty path. */
  get uartPaths(): { name: string; path: string }[] {
    return this.uarts.map((u) => ({ name: u.name, path: u.console.path }));
  }

  /** Pid of the running process. */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The process's state. */
  get state(): NodeState {
    return this.proc.state;
  }

  /** Starts the process; resolves once its ready line appeared (on stdout or a UART). */
  start(): Promise<void> {
    this.newRun();
    return this.proc.start();
  }

  /** Stops the process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await this.proc.stop();
    this.closeUarts();
  }

  /** The node's console: input to the first UART (stdin before one exists), output merged. */
  console(): NodeConsole {
    return {
      write: (d) => {
        const first = this.uarts[0];
        if (first) first.console.write(d);
        else this.proc.write(d);
      },
      resize: (c, r) => this.proc.resize(c, r),
      scrollback: () => this.proc.scrollback(),
    };
  }

  /** How the last run ended. */
  get lastExit(): SupervisedProcess['lastExit'] {
    return this.proc.lastExit;
  }

  async dispose(): Promise<void> {
    await this.proc.dispose();
    this.closeUarts();
  }
}
