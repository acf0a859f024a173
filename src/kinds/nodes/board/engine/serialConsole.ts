// A board's serial console: a tty (/dev/ttyACM0, /dev/ttyUSB0) opened raw at the board's baud
// rate through the serialport package. Output is decoded, kept in a scrollback ring and handed
// on; what the user types is written to the board. A tty that vanishes (the board was unplugged
// or reset its USB) is reported once.
import { StringDecoder } from 'node:string_decoder';
import type * as serialport from 'serialport';
import { EngineError } from '../../../../shared/contract.js';
import { Emitter, type Disposable } from '../../../../shared/lifecycle.js';
import { RingBuffer } from '../../../../engine/process/ringBuffer.js';

type SerialPortModule = typeof serialport;

let loaded: Promise<SerialPortModule> | undefined;

/**
 * Loads the serialport package and its native binding once; rejects with one sentence when the
 * binding cannot load on this machine.
 */
export function loadSerialPort(): Promise<SerialPortModule> {
  loaded ??= import('serialport').catch((err: unknown) => {
    loaded = undefined;
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new EngineError(
      'missing-binary',
      `the serialport package that opens board consoles cannot load (${detail}); reinstall netweave's dependencies with \`npm ci\``,
    );
  });
  return loaded;
}

/** An open serial console. */
export class SerialConsole implements Disposable {
  private readonly dataEmitter = new Emitter<string>();
  private readonly goneEmitter = new Emitter<string>();
  private readonly decoder = new StringDecoder('utf8');
  private readonly ring = new RingBuffer();
  private closed = false;

  /** Console output, decoded. */
  readonly onData = this.dataEmitter.event;
  /** The tty went away while open; carries the reason in a few words. */
  readonly onDidDisappear = this.goneEmitter.event;

  /** Opens `path` at `baud`, 8N1, no flow control, raw. */
  static async open(path: string, baud: number): Promise<SerialConsole> {
    const { SerialPort: Port } = await loadSerialPort();
    const port = new Port({ path, baudRate: baud, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(err) : resolve()));
    });
    return new SerialConsole(path, port);
  }

  private constructor(
    readonly path: string,
    private readonly port: serialport.SerialPort,
  ) {
    port.on('data', (chunk: Buffer) => {
      this.ring.append(chunk);
      const text = this.decoder.write(chunk);
      if (text.length > 0) this.dataEmitter.fire(text);
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.closed) return;
      this.goneEmitter.fire(err?.message ?? 'closed');
      this.dispose();
    });
    // A failed write or read after an unplug: the close event that follows reports it.
    port.on('error', () => undefined);
  }

  /** Everything the board printed, up to the scrollback size. */
  scrollback(): string {
    return this.ring.read();
  }

  /** Types into the board. */
  write(data: string): void {
    if (!this.closed) this.port.write(data);
  }

  /** Closes the tty; idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.port.isOpen) this.port.close(() => undefined);
    this.dataEmitter.dispose();
    this.goneEmitter.dispose();
  }
}
