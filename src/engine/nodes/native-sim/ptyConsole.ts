// A console attached to a pty that another process created: zephyr.exe opens a pty master for
// its UART and prints the slave's path; this adapter opens that slave in raw mode, reads what
// the UART prints and writes what the user types.
import { closeSync, constants, openSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ReadStream, WriteStream } from 'node:tty';
import { EngineError } from '../../../shared/contract.js';
import { Emitter, type Disposable } from '../../../shared/lifecycle.js';

/** Slave ptys live here; anything else printed by a process is not opened. */
const PTY_PATH = /^\/dev\/pts\/[0-9]{1,6}$/;

/** The text zephyr.exe prints when its UART is on a new pty, with the path captured. */
export const UART_PTY_LINE = /UART connected to pseudotty: (\/dev\/pts\/[0-9]{1,6})/;

/** An open UART pty. */
export class PtyConsole implements Disposable {
  private readonly dataEmitter = new Emitter<string>();
  private readonly closeEmitter = new Emitter<void>();
  private readonly decoder = new StringDecoder('utf8');
  private readonly reader: ReadStream;
  private readonly writer: WriteStream;
  private closed = false;

  /** UART output, decoded. */
  readonly onData = this.dataEmitter.event;
  /** The other side closed the pty (the process exited) or reading failed. */
  readonly onDidClose = this.closeEmitter.event;

  /** Opens a slave pty for reading and writing; O_NOCTTY so it never becomes our terminal. */
  static open(path: string): PtyConsole {
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
      const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
      if (text.length > 0) this.dataEmitter.fire(text);
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
