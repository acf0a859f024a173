// pcapng (IETF draft-ietf-opsawg-pcapng), little-endian: one Section Header Block, one
// Interface Description Block per captured port, then Enhanced Packet Blocks.
import type { Writable } from 'node:stream';
import { PCAP_LINKTYPE, type LinkType } from '../../shared/kinds.js';

/** Block type of a Section Header Block. */
export const PCAPNG_SHB = 0x0a0d0d0a;
/** Block type of an Interface Description Block. */
export const PCAPNG_IDB = 0x00000001;
/** Block type of an Enhanced Packet Block. */
export const PCAPNG_EPB = 0x00000006;
/** Written as 0x1A2B3C4D; a reader seeing it swapped knows the section is big-endian. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Default snapshot length: tcpdump's, larger than any frame a port accepts. */
export const DEFAULT_SNAPLEN = 262_144;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_EPB_FLAGS = 2;
/** if_tsresol value: timestamps are in units of 10^-6 s. */
const TSRESOL_MICROSECONDS = 6;
/** Fixed part of an EPB: type, length, interface, ts high/low, captured and original length. */
const EPB_HEADER = 28;
/** EPB trailer: epb_flags option (8), opt_endofopt (4), trailing block length (4). */
const EPB_TRAILER = 16;
const TWO_POW_32 = 0x1_0000_0000;

/** Which way a packet went, from the captured interface's point of view (epb_flags bits 0-1). */
export type PcapngDirection = 'inbound' | 'outbound';

const DIRECTION_FLAGS: Readonly<Record<PcapngDirection, number>> = { inbound: 1, outbound: 2 };

/** One interface (a fabric port) in a capture. */
export interface PcapngInterface {
  /** if_name option: the port id ("node:port"). */
  name: string;
  linkType: LinkType;
  /** Largest number of bytes kept per packet; default DEFAULT_SNAPLEN. */
  snaplen?: number;
}

/** Where pcapng bytes go: a stream (a file, stdout) or a function taking each chunk. */
export type PcapngOutput = Writable | ((chunk: Buffer) => void);

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Bytes an option with a value of `length` bytes takes, header and padding included. */
function optionSize(length: number): number {
  return 4 + pad4(length);
}

function writeOption(buf: Buffer, at: number, code: number, value: Buffer): number {
  buf.writeUInt16LE(code, at);
  buf.writeUInt16LE(value.length, at + 2);
  value.copy(buf, at + 4);
  const end = at + optionSize(value.length);
  buf.fill(0, at + 4 + value.length, end);
  return end;
}

/** Encodes a Section Header Block (version 1.0, section length unknown). */
export function encodeSectionHeader(application = 'netweave'): Buffer {
  const app = Buffer.from(application, 'utf8');
  const length = 28 + optionSize(app.length) + 4;
  const buf = Buffer.alloc(length);
  buf.writeUInt32LE(PCAPNG_SHB, 0);
  buf.writeUInt32LE(length, 4);
  buf.writeUInt32LE(PCAPNG_BYTE_ORDER_MAGIC, 8);
  buf.writeUInt16LE(1, 12); // major version
  buf.writeUInt16LE(0, 14); // minor version
  buf.writeInt32LE(-1, 16); // section length -1: not specified (64 bits, all ones)
  buf.writeInt32LE(-1, 20);
  let at = writeOption(buf, 24, OPT_SHB_USERAPPL, app);
  buf.writeUInt32LE(OPT_ENDOFOPT, at); // code 0, length 0
  at += 4;
  buf.writeUInt32LE(length, at);
  return buf;
}

/** Encodes an Interface Description Block with if_name and if_tsresol (microseconds). */
export function encodeInterfaceDescription(iface: PcapngInterface): Buffer {
  const name = Buffer.from(iface.name, 'utf8');
  const length = 16 + optionSize(name.length) + optionSize(1) + 4 + 4;
  const buf = Buffer.alloc(length);
  buf.writeUInt32LE(PCAPNG_IDB, 0);
  buf.writeUInt32LE(length, 4);
  buf.writeUInt16LE(PCAP_LINKTYPE[iface.linkType], 8);
  buf.writeUInt16LE(0, 10); // reserved
  buf.writeUInt32LE(iface.snaplen ?? DEFAULT_SNAPLEN, 12);
  let at = writeOption(buf, 16, OPT_IF_NAME, name);
  at = writeOption(buf, at, OPT_IF_TSRESOL, Buffer.of(TSRESOL_MICROSECONDS));
  buf.writeUInt32LE(OPT_ENDOFOPT, at);
  at += 4;
  buf.writeUInt32LE(length, at);
  return buf;
}

/** Longest packet comment written, in UTF-8 bytes (an option's length is 16 bits). */
const MAX_COMMENT_BYTES = 0xfff0;

/**
 * Size in bytes of the EPB that carries a packet of which `captured` bytes are kept, with an
 * opt_comment of `commentBytes` UTF-8 bytes (0: none).
 */
export function enhancedPacketSize(captured: number, commentBytes = 0): number {
  return (
    EPB_HEADER + pad4(captured) + EPB_TRAILER + (commentBytes > 0 ? optionSize(commentBytes) : 0)
  );
}

/** A packet comment as opt_comment bytes, cut to what an option holds. */
function commentBytes(comment: string): Buffer {
  const bytes = Buffer.from(comment, 'utf8');
  return bytes.length > MAX_COMMENT_BYTES ? bytes.subarray(0, MAX_COMMENT_BYTES) : bytes;
}

/**
 * Writes an Enhanced Packet Block into `buf` at `at` (which must have enhancedPacketSize()
 * bytes free) and returns the offset after it. `timestampUs` is microseconds since the epoch;
 * `comment`, when given and not empty, is written as the packet's opt_comment (UTF-8).
 */
export function writeEnhancedPacket(
  buf: Buffer,
  at: number,
  interfaceId: number,
  frame: Uint8Array,
  captured: number,
  timestampUs: number,
  direction: PcapngDirection,
  comment?: Uint8Array,
): number {
  const commentLength = comment?.length ?? 0;
  const length = enhancedPacketSize(captured, commentLength);
  buf.writeUInt32LE(PCAPNG_EPB, at);
  buf.writeUInt32LE(length, at + 4);
  buf.writeUInt32LE(interfaceId, at + 8);
  buf.writeUInt32LE(Math.floor(timestampUs / TWO_POW_32), at + 12);
  buf.writeUInt32LE(timestampUs % TWO_POW_32, at + 16);
  buf.writeUInt32LE(captured, at + 20);
  buf.writeUInt32LE(frame.length, at + 24);
  let p = at + EPB_HEADER;
  buf.set(captured === frame.length ? frame : frame.subarray(0, captured), p);
  const padded = p + pad4(captured);
  buf.fill(0, p + captured, padded);
  p = padded;
  buf.writeUInt16LE(OPT_EPB_FLAGS, p);
  buf.writeUInt16LE(4, p + 2);
  buf.writeUInt32LE(DIRECTION_FLAGS[direction], p + 4);
  p += 8;
  if (comment !== undefined && commentLength > 0) {
    buf.writeUInt16LE(OPT_COMMENT, p);
    buf.writeUInt16LE(commentLength, p + 2);
    buf.set(comment, p + 4);
    const end = p + optionSize(commentLength);
    buf.fill(0, p + 4 + commentLength, end);
    p = end;
  }
  buf.writeUInt32LE(OPT_ENDOFOPT, p);
  buf.writeUInt32LE(length, p + 4);
  return at + length;
}

/**
 * Writes a pcapng stream: the section header at once, an interface block per addInterface(),
 * and packet blocks in batches (one chunk per batch, so a live stream gets few large chunks).
 */
export class PcapngWriter {
  private readonly emit: (chunk: Buffer) => void;
  private readonly stream: Writable | undefined;
  private readonly snaplens: number[] = [];
  private ended = false;
  private streamError: Error | undefined;

  constructor(output: PcapngOutput, options: { application?: string } = {}) {
    if (typeof output === 'function') {
      this.emit = output;
    } else {
      this.stream = output;
      // A failing output (disk full, closed pipe) stops this capture, never the engine.
      output.once('error', (err: Error) => {
        this.streamError = err;
      });
      this.emit = (chunk) => {
        if (this.streamError === undefined) output.write(chunk);
      };
    }
    this.emit(encodeSectionHeader(options.application));
  }

  /** Bytes written to a stream output that it has not yet flushed (0 for a callback). */
  get bufferedBytes(): number {
    return this.stream?.writableLength ?? 0;
  }

  /** The error the stream output failed with, if it did; nothing is written after it. */
  get error(): Error | undefined {
    return this.streamError;
  }

  /** Number of interfaces described so far. */
  get interfaceCount(): number {
    return this.snaplens.length;
  }

  /** Describes an interface; returns its id for writePackets(). */
  addInterface(iface: PcapngInterface): number {
    this.mustBeOpen();
    this.emit(encodeInterfaceDescription(iface));
    this.snaplens.push(iface.snaplen ?? DEFAULT_SNAPLEN);
    return this.snaplens.length - 1;
  }

  /**
   * Writes the first `count` frames, all with one timestamp (µs since the epoch). `comment`, when
   * given, is asked for each frame's packet comment (undefined: none).
   */
  writePackets(
    interfaceId: number,
    frames: readonly Uint8Array[],
    count: number,
    timestampUs: number,
    direction: PcapngDirection,
    comment?: (frame: Uint8Array) => string | undefined,
  ): void {
    this.mustBeOpen();
    const snaplen = this.snaplens[interfaceId];
    if (snaplen === undefined) throw new Error(`pcapng: no interface ${interfaceId}`);
    const n = Math.min(count, frames.length);
    if (n <= 0) return;
    const ts = Math.max(0, Math.round(timestampUs));
    // Comments are looked up only when asked for, and kept only for the frames that have one.
    let comments: (Buffer | undefined)[] | undefined;
    if (comment !== undefined) {
      for (let i = 0; i < n; i++) {
        const frame = frames[i];
        const text = frame === undefined ? undefined : comment(frame);
        if (text === undefined || text.length === 0) continue;
        comments ??= new Array<Buffer | undefined>(n);
        comments[i] = commentBytes(text);
      }
    }
    let size = 0;
    for (let i = 0; i < n; i++) {
      size += enhancedPacketSize(
        Math.min(frames[i]?.length ?? 0, snaplen),
        comments?.[i]?.length ?? 0,
      );
    }
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const frame = frames[i];
      if (frame === undefined) continue;
      at = writeEnhancedPacket(
        buf,
        at,
        interfaceId,
        frame,
        Math.min(frame.length, snaplen),
        ts,
        direction,
        comments?.[i],
      );
    }
    this.emit(buf);
  }

  /**
   * Stops writing. With a stream output and `endStream` (default true), ends the stream and
   * resolves once it has flushed (or failed); otherwise resolves at once.
   */
  end(endStream = true): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    const stream = this.stream;
    if (stream === undefined || !endStream) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (stream.writableFinished || stream.destroyed) {
        resolve();
        return;
      }
      stream.once('close', () => resolve());
      stream.once('finish', () => resolve());
      stream.once('error', () => resolve());
      stream.end();
    });
  }

  private mustBeOpen(): void {
    if (this.ended) throw new Error('pcapng: the writer has ended');
  }
}
