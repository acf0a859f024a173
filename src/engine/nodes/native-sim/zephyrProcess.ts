// zephyr.exe under supervision, with its UART pty as the node's console. The process's own
// stdout (boot banner, logging backend) goes to the node's log and decides readiness; once the
// process announces "UART connected to pseudotty: /dev/pts/N", the node's console is that pty.
import { join } from 'node:path';
import type { NodeState } from '../../../shared/contract.js';
import type { Disposable } from '../../../shared/lifecycle.js';
import { RingBuffer } from '../../process/ringBuffer.js';
import { SupervisedProcess, type RestartPolicy } from '../../process/supervisedProcess.js';
import type { LabContext, NodeConsole } from '../types.js';
import { PtyConsole, UART_PTY_LINE } from './ptyConsole.js';

/** Stdout kept to find the pty line when it is split across reads: the line is under 60 bytes. */
const PTY_LINE_WINDOW_CHARS = 256;

/** What a ZephyrProcess runs. */
export interface ZephyrProcessOptions {
  name: string;
  /** Full argv (already wrapped in nsenter when the node has a namespace). */
  argv: string[];
  cwd: string;
  readyPattern: string;
  readyTimeoutMs: number;
  restart: RestartPolicy;
}

/** The full environment of a lab process: the engine's, plus the lab's ownership tag. */
export function labProcessEnv(ctx: LabContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, ...ctx.env };
}

/** One zephyr.exe (or any Zephyr process whose UART may be a pty) and its console. */
export class ZephyrProcess implements Disposable {
  private readonly proc: SupervisedProcess;
  private uart: PtyConsole | undefined;
  private readonly scrollbackBuffer = new RingBuffer();
  private window = '';

  constructor(
    private readonly options: ZephyrProcessOptions,
    private readonly ctx: LabContext,
    private readonly onState: (state: NodeState, reason?: string) => void,
  ) {
    this.proc = new SupervisedProcess({
      name: options.name,
      argv: options.argv,
      cwd: options.cwd,
      env: labProcessEnv(ctx),
      logFile: join(ctx.logDir, `${options.name}.log`),
      ready: { pattern: new RegExp(options.readyPattern), timeoutMs: options.readyTimeoutMs },
      restart: { policy: options.restart },
    });
    this.proc.onData((text) => this.stdout(text));
    this.proc.onExit(() => this.detachUart());
    this.proc.onState((e) => this.onState(e.state, e.reason));
  }

  private stdout(text: string): void {
    // Until the UART has its own pty, the process's output is the console.
    if (!this.uart) this.show(text);
    this.window = (this.window + text).slice(-PTY_LINE_WINDOW_CHARS);
    const m = UART_PTY_LINE.exec(this.window);
    const path = m?.[1];
    if (path === undefined) return;
    this.window = '';
    this.attachUart(path);
  }

  private show(text: string): void {
    this.scrollbackBuffer.append(text);
    this.ctx.consoleData(this.options.name, text);
  }

  private attachUart(path: string): void {
    this.detachUart();
    try {
      const uart = PtyConsole.open(path);
      uart.onData((d) => this.show(d));
      uart.onDidClose(() => {
        if (this.uart === uart) this.uart = undefined;
      });
      this.uart = uart;
    } catch (err) {
      this.show(`\r\n[netweave] cannot open the UART pty ${path}: ${(err as Error).message}\r\n`);
    }
  }

  private detachUart(): void {
    const uart = this.uart;
    this.uart = undefined;
    uart?.dispose();
  }

  /** Path of the UART pty the console is attached to, if any. */
  get uartPath(): string | undefined {
    return this.uart?.path;
  }

  /** Pid of the running process. */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The process's state. */
  get state(): NodeState {
    return this.proc.state;
  }

  /** Starts the process; resolves once its ready line appeared. */
  start(): Promise<void> {
    this.window = '';
    return this.proc.start();
  }

  /** Stops the process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await this.proc.stop();
    this.detachUart();
  }

  /** The node's console: the UART pty once announced, the process's terminal before. */
  console(): NodeConsole {
    return {
      write: (d) => (this.uart ? this.uart.write(d) : this.proc.write(d)),
      resize: (c, r) => this.proc.resize(c, r),
      scrollback: () => this.scrollbackBuffer.read(),
    };
  }

  /** How the last run ended. */
  get lastExit(): SupervisedProcess['lastExit'] {
    return this.proc.lastExit;
  }

  async dispose(): Promise<void> {
    await this.proc.dispose();
    this.detachUart();
  }
}
