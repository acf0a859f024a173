// A small QMP (QEMU Machine Protocol) client over a unix socket: greeting, capabilities
// negotiation, commands matched to replies by id, events ignored. Used for quit, reset and
// set_link of a QEMU node.
import { connect, type Socket } from 'node:net';
import type { Disposable } from '../../../../../shared/lifecycle.js';

/**
 * How long connecting, the greeting and negotiation may take: QEMU answers in milliseconds
 * once its socket exists; 5 s covers a loaded 2-core machine.
 */
export const QMP_CONNECT_TIMEOUT_MS = 5_000;

/** How long one command may take: `quit` and `set_link` answer at once even under TCG load. */
export const QMP_COMMAND_TIMEOUT_MS = 5_000;

/** Pause between connection attempts while QEMU has not created its socket yet. */
const QMP_RETRY_MS = 50;

/** Longest line accepted from QEMU: replies here are small; this bounds a misbehaving peer. */
const QMP_MAX_LINE = 1024 * 1024;

/** A QMP error reply, as an Error whose message is QEMU's description. */
export class QmpError extends Error {
  constructor(
    readonly errorClass: string,
    message: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type QmpMessage = {
  QMP?: unknown;
  return?: unknown;
  error?: { class?: string; desc?: string };
  event?: string;
  id?: unknown;
};

/** One negotiated QMP connection. */
export class QmpClient implements Disposable {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closedError: Error | undefined;
  private greeting: ((ok: Error | undefined) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onData(text));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the QMP connection closed')));
  }

  /**
   * Connects to a QMP socket, retrying while it does not exist yet, reads the greeting and
   * negotiates capabilities. Rejects with one sentence when QEMU does not answer in time.
   */
  static async connect(path: string, timeoutMs = QMP_CONNECT_TIMEOUT_MS): Promise<QmpClient> {
    const until = Date.now() + timeoutMs;
    let last: Error | undefined;
    while (Date.now() < until) {
      try {
        const socket = await openSocket(path, Math.max(1, until - Date.now()));
        const client = new QmpClient(socket);
        try {
          await client.handshake(Math.max(1, until - Date.now()));
          return client;
        } catch (err) {
          client.dispose();
          throw err;
        }
      } catch (err) {
        last = err as Error;
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') break;
        await new Promise((r) => setTimeout(r, QMP_RETRY_MS));
      }
    }
    throw new Error(`QEMU's QMP socket ${path} did not answer (${last?.message ?? 'timeout'})`);
  }

  private handshake(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.greeting = undefined;
        reject(new Error('no QMP greeting'));
      }, timeoutMs);
      this.greeting = (err) => {
        clearTimeout(timer);
        this.greeting = undefined;
        if (err) reject(err);
        else resolve();
      };
    }).then(() => this.execute('qmp_capabilities').then(() => undefined));
  }

  private onData(text: string): void {
    this.buffer += text;
    if (this.buffer.length > QMP_MAX_LINE && !this.buffer.includes('\n')) {
      this.socket.destroy(new Error('QMP line too long'));
      return;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: QmpMessage;
    try {
      msg = JSON.parse(line) as QmpMessage;
    } catch {
      return;
    }
    if (msg.QMP !== undefined) {
      this.greeting?.(undefined);
      return;
    }
    if (msg.event !== undefined) return;
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const entry = id !== undefined ? this.pending.get(id) : undefined;
    if (!entry || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (msg.error) {
      entry.reject(new QmpError(msg.error.class ?? 'GenericError', msg.error.desc ?? 'QMP error'));
    } else entry.resolve(msg.return);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    this.greeting?.(err);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Runs a QMP command and resolves with its "return" value. */
  execute(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = QMP_COMMAND_TIMEOUT_MS,
  ): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = `nw-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP command ${command} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(
        `${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`,
      );
    });
  }

  /** Asks QEMU to exit (the polite step of the stop escalation). */
  async quit(): Promise<void> {
    // QEMU may close the socket right after (or instead of) answering.
    await this.execute('quit').catch((err: unknown) => {
      if (!this.closed) throw err;
    });
  }

  /** Resets the machine, as the reset button would. */
  async systemReset(): Promise<void> {
    await this.execute('system_reset');
  }

  /**
   * What a reboot request does: "shutdown" is -no-reboot (QEMU exits, as Zephyr wants for
   * sys_reboot), "reset" reboots the machine.
   */
  async setRebootAction(action: 'reset' | 'shutdown'): Promise<void> {
    await this.execute('set-action', { reboot: action });
  }

  /** Sets a NIC's link (carrier) up or down; `name` is the netdev id or the NIC device id. */
  async setLink(name: string, up: boolean): Promise<void> {
    await this.execute('set_link', { name, up });
  }

  /** Closes the connection; pending commands fail. */
  dispose(): void {
    this.fail(new Error('the QMP connection was closed'));
    this.socket.destroy();
  }
}

function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}
