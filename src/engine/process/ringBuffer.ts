// A byte-bounded scrollback buffer for node consoles: a console opened late replays it.

/**
 * Default scrollback per node: 1 MiB holds roughly 15,000 lines of a boot log, enough for a
 * console opened late to show a whole Zephyr boot plus a test run, while 50 nodes stay under
 * 50 MiB of engine memory.
 */
export const DEFAULT_SCROLLBACK_BYTES = 1_048_576;

/** Dropped chunks are removed from the array in one splice once this many have accumulated. */
const COMPACT_AFTER_CHUNKS = 1024;

const EMPTY = Buffer.alloc(0);

/** True for a UTF-8 continuation byte (0b10xxxxxx), which never starts a character. */
function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/** Length of the UTF-8 sequence that a lead byte announces (1 for ASCII and invalid bytes). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

/** A UTF-8 character is a lead byte and at most 3 continuation bytes. */
const MAX_CONTINUATION_BYTES = 3;

/** Index of the first character boundary at or after `offset` (skips a character's tail). */
function boundaryAtOrAfter(buf: Buffer, offset: number): number {
  let i = offset;
  while (i < buf.length && i - offset < MAX_CONTINUATION_BYTES && isContinuation(buf[i] ?? 0)) i++;
  return i;
}

/** Number of bytes at the end of `buf` that form an incomplete UTF-8 sequence (0 if none). */
export function incompleteUtf8Tail(buf: Buffer): number {
  // A sequence is at most 4 bytes, so its lead byte is within the last 4 bytes.
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const byte = buf[buf.length - back] ?? 0;
    if (isContinuation(byte)) continue;
    return sequenceLength(byte) > back ? back : 0;
  }
  return 0;
}

/**
 * Console scrollback bounded by bytes. Appends strings (as UTF-8) or raw Buffers, drops the
 * oldest data when full, and always trims at a UTF-8 character boundary so the replayed text
 * never starts with half a character.
 */
export class RingBuffer {
  private chunks: Buffer[] = [];
  private head = 0;
  private bytes = 0;

  /** @param capacity maximum number of bytes kept (at least 4, one UTF-8 character). */
  constructor(readonly capacity: number = DEFAULT_SCROLLBACK_BYTES) {
    if (!Number.isInteger(capacity) || capacity < 4) {
      throw new RangeError(
        `scrollback capacity must be an integer of at least 4 bytes, got ${capacity}`,
      );
    }
  }

  /** Bytes currently held (never more than `capacity`). */
  get byteLength(): number {
    return this.bytes;
  }

  /** Appends console output; strings are stored as UTF-8. */
  append(data: string | Buffer): void {
    let buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (buf.length === 0) return;
    if (buf.length >= this.capacity) {
      // Only the newest `capacity` bytes can survive: drop everything held, and cut the new
      // data at the first character boundary inside its last `capacity` bytes.
      buf = Buffer.from(buf.subarray(boundaryAtOrAfter(buf, buf.length - this.capacity)));
      this.chunks = [];
      this.head = 0;
      this.bytes = 0;
    } else if (typeof data !== 'string') {
      // The caller may reuse its Buffer; keep a private copy.
      buf = Buffer.from(buf);
    }
    this.chunks.push(buf);
    this.bytes += buf.length;
    this.trim();
  }

  /** The held output decoded as UTF-8; an incomplete character at the very end is held back. */
  read(): string {
    const all = Buffer.concat(this.chunks.slice(this.head), this.bytes);
    return all.subarray(0, all.length - incompleteUtf8Tail(all)).toString('utf8');
  }

  /** Drops everything. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
  }

  private trim(): void {
    while (this.bytes > this.capacity) {
      const first = this.chunks[this.head];
      if (first === undefined) break;
      const excess = this.bytes - this.capacity;
      if (first.length <= excess) {
        this.bytes -= first.length;
        this.dropHead();
      } else {
        this.chunks[this.head] = first.subarray(excess);
        this.bytes -= excess;
      }
    }
    this.alignHead();
    if (this.head >= COMPACT_AFTER_CHUNKS) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Drops the continuation bytes (at most 3, the tail of one character) the head starts with. */
  private alignHead(): void {
    for (let skipped = 0; skipped < MAX_CONTINUATION_BYTES; skipped++) {
      const first = this.chunks[this.head];
      if (first === undefined || !isContinuation(first[0] ?? 0)) return;
      this.bytes -= 1;
      if (first.length === 1) this.dropHead();
      else this.chunks[this.head] = first.subarray(1);
    }
  }

  private dropHead(): void {
    // Release the memory now; the array slot itself is reclaimed by the next compaction.
    this.chunks[this.head] = EMPTY;
    this.head++;
  }
}
