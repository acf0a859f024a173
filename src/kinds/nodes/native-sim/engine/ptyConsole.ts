// A console attached to a pty that another process created: zephyr.exe opens a pty master for
// its UART and prints the slave's path; this adapter opens that slave in raw mode, reads what
// the UART prints and writes what the user types.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { EngineError } from '../../../../shared/contract.js';
import { Emitter, type Disposable } from '../../../../shared/lifecycle.js';

/** Allowed difference between the engine's clock reading and a pty's ctime (coarse timestamps). */
const PTY_CLOCK_SLACK_MS = 1_000;

/** Slave ptys live here; anything else printed by a process is not opened. */
const PTY_PATH = /^\/dev\/pts\/[0-9]{1,6}$/;

/**
 * The line zephyr.exe prints on stdout for each UART it puts on a new pty, e.g. "uart connected
 * to pseudotty: /dev/pts/3" (3.5 and 4.3 print the UART's name in lower case, older releases
 * "UART_0"); captures the UART's name and the path. Global: a run announces one per UART.
 */
export const UART_PTY_LINE = /(\S+) connected to pseudotty: (\/dev\/pts\/[0-9]{1,6})/g;

/** An open UART pty. */
export class PtyConsole implements Disposable {
  private readonly dataEmitter = new Emitter<Buffer>();
  private readonly closeEmitter = new Emitter<void>();
  private readonly reader: ReadStream;
  private readonly writer: WriteStream;
  private closed = false;

  /** UART output, as the bytes the firmware wrote. */
  readonly onData = this.dataEmitter.event;
  /** The other side closed the pty (the process exited) or reading failed. */
  readonly onDidClose = this.closeEmitter.event;

  /**
   * Opens a slave pty for reading and writing; O_NOCTTY so it never becomes our terminal. With
   * `createdAfter` (ms since the epoch) a pty older than that is refused: the path comes from a
   * process's output, and must not make the engine read someone's terminal.
   */
  static open(path: string, createdAfter?: number): PtyConsole {
    if (!PTY_PATH.test(path)) {
      throw new EngineError(
        'bad-request',
        `${JSON.stringify(path)} is not a pty path (/dev/pts/N)`,
      );
    }
    const flags = constants.O_RDWR | constants.O_NOCTTY;
    const readFd = openSync(path, flags);
    let writeFd: number;
    try {
      // devpts gives a pty's inode the time the pty was allocated.
      const born = fstatSync(readFd).ctimeMs;
      if (createdAfter !== undefined && born < createdAfter - PTY_CLOCK_SLACK_MS) {
        throw new EngineError('bad-request', `${path} existed before the process started`);
      }
      writeFd = openSync(path, flags);
    } catch (err) {
      closeSync(readFd);
      throw err;
    }
    return new PtyConsole(path, readFd, writeFd);
  }

  private constructor(
    readonly path: string,
    readFd: number,
    writeFd: number,
  ) {
    this.reader = new ReadStream(readFd);
    this.writer = new WriteStream(writeFd);
    // Raw: no line buffering, no echo back into the UART, bytes as the firmware sent them.
    this.reader.setRawMode(true);
    this.reader.on('data', (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (bytes.length > 0) this.dataEmitter.fire(bytes);
    });
    // EIO once the master side is closed: the firmware is gone.
    this.reader.on('error', () => this.dispose());
    this.reader.on('end', () => this.dispose());
    this.writer.on('error', () => this.dispose());
  }

  /** Types into the UART. */
  write(data: string): void {
    if (!this.closed) this.writer.write(data);
  }

  /** Closes both descriptors; idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.destroy();
    this.writer.destroy();
    this.closeEmitter.fire();
    this.dataEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
