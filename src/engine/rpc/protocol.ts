// Framing of the engine socket: one JSON object per line (the messages are wire.ts's).
/**
 * Splits a byte stream into lines and parses each as JSON. Lines larger than the limit are
 * refused (a runaway peer must not exhaust memory). Each chunk is scanned once: a message that
 * arrives in thousands of chunks costs time linear in its size.
 */
export class LineDecoder {
  private parts: string[] = [];
  private partsLength = 0;
  /**
   * Largest accepted line: an `exec` result (two streams of up to 16 MiB each, base64) plus
   * headroom; console scrollback (1 MiB) is far smaller.
   */
  static readonly MAX_LINE = 64 * 1024 * 1024;

  constructor(private readonly onMessage: (msg: unknown) => void) {}

  /** Feeds a chunk; calls onMessage for every complete line. Throws when a line is too long. */
  push(chunk: string): void {
    let from = 0;
    let nl = chunk.indexOf('\n');
    while (nl >= 0) {
      this.parts.push(chunk.slice(from, nl));
      const line = this.parts.join('');
      this.parts = [];
      this.partsLength = 0;
      this.deliver(line);
      from = nl + 1;
      nl = chunk.indexOf('\n', from);
    }
    if (from < chunk.length) {
      this.parts.push(chunk.slice(from));
      this.partsLength += chunk.length - from;
    }
    if (this.partsLength > LineDecoder.MAX_LINE) {
      this.parts = [];
      this.partsLength = 0;
      throw new Error(
        `a message on the engine socket exceeded ${LineDecoder.MAX_LINE / 1024 / 1024} MiB`,
      );
    }
  }

  private deliver(line: string): void {
    if (!line.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    this.onMessage(msg);
  }
}
