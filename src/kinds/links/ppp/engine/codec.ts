// RFC 1662 "PPP in HDLC-like framing" (octet-stuffed, for asynchronous serial lines) as a
// FrameCodec. A frame is FLAG (0x7E), the escaped frame and its FCS-16, FLAG. Inside a frame
// 0x7E and 0x7D, and every control character the async control character map names, are sent
// as 0x7D followed by the byte XOR 0x20. Frames in the fabric are what LINKTYPE_PPP_HDLC (50)
// captures hold: address, control, protocol and information fields, without flags, escapes or
// FCS (tshark decodes them as PPP).
import type {
  CodecEventCounter,
  FrameCodec,
  FrameDecoder,
} from '../../../../engine/fabric/index.js';

/** Flag sequence: opens and closes every frame. */
export const PPP_FLAG = 0x7e;
/** Control escape: the next byte is the original XOR PPP_ESCAPE_XOR. */
export const PPP_ESCAPE = 0x7d;
/** What an escaped byte is XORed with. */
export const PPP_ESCAPE_XOR = 0x20;

/** FCS-16 initial value (RFC 1662 appendix C.2, PPPINITFCS16). */
export const PPP_FCS_INIT = 0xffff;
/** FCS-16 over a frame and its own FCS (RFC 1662 PPPGOODFCS16). */
export const PPP_FCS_GOOD = 0xf0b8;
/** Bytes of the 16-bit FCS at the end of every frame on the wire. */
export const PPP_FCS_BYTES = 2;

/**
 * The async control character map pppd and Zephyr start with (RFC 1662 section 7.1): every
 * control character below 0x20 is escaped. Sending with it is always safe, because a receiver
 * un-escapes any escaped byte whatever map was negotiated.
 */
export const PPP_DEFAULT_ACCM = 0xffffffff;

/**
 * Largest frame in the fabric: address, control and a 2-byte protocol field, plus the longest
 * information field a 16-bit MRU can ask for. Anything longer cannot be PPP: the stream lost a
 * flag, so the frame is dropped as 'oversize' and the decoder hunts for the next flag.
 */
export const PPP_MAX_FRAME = 4 + 0xffff;

/**
 * Frames shorter than this many bytes on the wire (before removing the FCS) are invalid
 * (RFC 1662 section 4.3: fewer than 4 octets with a 16-bit FCS).
 */
export const PPP_MIN_WIRE_FRAME = 4;

/**
 * Events a PPP decoder counts (shown under a port's `extra` counters):
 * - 'bad-fcs': a frame whose FCS did not match (dropped, as RFC 1662 requires);
 * - 'bad-escape': a frame aborted by an escape right before the closing flag (0x7D 0x7E);
 * - 'oversize': a frame that grew past PPP_MAX_FRAME (dropped up to the next flag);
 * - 'runt': a frame shorter than PPP_MIN_WIRE_FRAME bytes.
 */
export const PPP_EVENTS = ['bad-fcs', 'bad-escape', 'oversize', 'runt'] as const;

/** A PPP codec event name. */
export type PppEvent = (typeof PPP_EVENTS)[number];

const FCS_TABLE = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let v = b;
    for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
    table[b] = v;
  }
  return table;
})();

/**
 * Runs the FCS-16 of RFC 1662 appendix C.2 over `data[start, end)` from `fcs`. The FCS to send
 * is the one's complement of the result over the frame, least significant byte first.
 */
export function fcs16(data: Uint8Array, fcs = PPP_FCS_INIT, start = 0, end = data.length): number {
  let f = fcs;
  for (let i = start; i < end; i++) {
    f = (f >>> 8) ^ (FCS_TABLE[(f ^ (data[i] ?? 0)) & 0xff] ?? 0);
  }
  return f;
}

/** Options of a PPP codec. */
export interface PppCodecOptions {
  /** Largest frame in the fabric (without FCS); longer ones are 'oversize'. Default PPP_MAX_FRAME. */
  maxFrame?: number;
  /** Control characters (bit n = byte n) escaped on transmit; default PPP_DEFAULT_ACCM. */
  accm?: number;
}

/** Decoder state: before the first flag of a connection, or after a dropped frame. */
const HUNT = 0;
/** Decoder state: inside a frame. */
const IN_FRAME = 1;
/** Decoder state: inside a frame, the previous byte was PPP_ESCAPE. */
const ESCAPED = 2;

/**
 * Splits an RFC 1662 byte stream into frames. Feed it chunks as they arrive, split anywhere;
 * it returns the frames each chunk completed (possibly none) and keeps the partial frame.
 * Bytes before the first flag (a line that came up mid-frame) are skipped without counting.
 */
export class PppDecoder implements FrameDecoder {
  private readonly frame: Buffer;
  private length = 0;
  private state: number = HUNT;

  constructor(
    private readonly count: CodecEventCounter,
    maxFrame = PPP_MAX_FRAME,
  ) {
    this.frame = Buffer.allocUnsafe(maxFrame + PPP_FCS_BYTES);
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    const buf = this.frame;
    const limit = buf.length;
    let state = this.state;
    let length = this.length;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] ?? 0;
      if (b === PPP_FLAG) {
        if (state === ESCAPED) {
          this.count('bad-escape');
        } else if (state === IN_FRAME && length > 0) {
          const frame = this.finish(length);
          if (frame !== undefined) frames.push(frame);
        }
        state = IN_FRAME;
        length = 0;
        continue;
      }
      if (state === HUNT) continue;
      if (b === PPP_ESCAPE && state === IN_FRAME) {
        state = ESCAPED;
        continue;
      }
      if (length === limit) {
        this.count('oversize');
        state = HUNT;
        length = 0;
        continue;
      }
      buf[length++] = state === ESCAPED ? b ^ PPP_ESCAPE_XOR : b;
      state = IN_FRAME;
    }
    this.state = state;
    this.length = length;
    return frames;
  }

  reset(): void {
    this.state = HUNT;
    this.length = 0;
  }

  /** The frame of `length` wire bytes (FCS included) without its FCS, or undefined if bad. */
  private finish(length: number): Buffer | undefined {
    if (length < PPP_MIN_WIRE_FRAME) {
      this.count('runt');
      return undefined;
    }
    if (fcs16(this.frame, PPP_FCS_INIT, 0, length) !== PPP_FCS_GOOD) {
      this.count('bad-fcs');
      return undefined;
    }
    // A copy: the decoder reuses its buffer, and a frame must outlive a capture's borrow.
    return Buffer.from(this.frame.subarray(0, length - PPP_FCS_BYTES));
  }
}

/** True when `b` must be escaped on transmit under `accm`. */
function mustEscape(b: number, accm: number): boolean {
  if (b === PPP_FLAG || b === PPP_ESCAPE) return true;
  return b < 0x20 && ((accm >>> b) & 1) === 1;
}

/**
 * Encodes the first `count` frames as one buffer: for each, FLAG, the escaped frame and its
 * FCS (least significant byte first), FLAG.
 */
export function encodePppFrames(
  frames: readonly Buffer[],
  count = frames.length,
  accm = PPP_DEFAULT_ACCM,
): Buffer {
  let size = 0;
  for (let i = 0; i < count; i++) size += 2 + 2 * ((frames[i]?.length ?? 0) + PPP_FCS_BYTES);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const put = (b: number): void => {
    if (mustEscape(b, accm)) {
      out[at++] = PPP_ESCAPE;
      out[at++] = b ^ PPP_ESCAPE_XOR;
    } else {
      out[at++] = b;
    }
  };
  for (let i = 0; i < count; i++) {
    const f = frames[i];
    if (f === undefined) continue;
    out[at++] = PPP_FLAG;
    for (let j = 0; j < f.length; j++) put(f[j] ?? 0);
    const fcs = fcs16(f) ^ 0xffff;
    put(fcs & 0xff);
    put(fcs >>> 8);
    out[at++] = PPP_FLAG;
  }
  return out.subarray(0, at);
}

/** The RFC 1662 codec for a serial port or a pppd's stdio. */
export function pppCodec(options: PppCodecOptions = {}): FrameCodec {
  const accm = options.accm ?? PPP_DEFAULT_ACCM;
  return {
    decoder: (count) => new PppDecoder(count, options.maxFrame ?? PPP_MAX_FRAME),
    encode: (frames, count) => encodePppFrames(frames, count, accm),
  };
}
