// RFC 1055 SLIP as a FrameCodec for serial ports. END 0xC0 closes a frame; inside a frame END
// is sent as ESC ESC_END (0xDB 0xDC) and ESC as ESC ESC_ESC (0xDB 0xDD). Zephyr sends END,
// the escaped frame, END, so two ENDs in a row are normal and mean no frame.
import type {
  CodecEventCounter,
  FrameCodec,
  FrameDecoder,
} from '../../../../engine/fabric/index.js';

/** Frame delimiter. */
export const SLIP_END = 0xc0;
/** Escape byte. */
export const SLIP_ESC = 0xdb;
/** ESC SLIP_ESC_END stands for an END byte inside a frame. */
export const SLIP_ESC_END = 0xdc;
/** ESC SLIP_ESC_ESC stands for an ESC byte inside a frame. */
export const SLIP_ESC_ESC = 0xdd;

/**
 * Events a SLIP decoder counts (shown under a port's `extra` counters):
 * - 'bad-escape': a frame dropped because ESC was followed by a byte other than ESC_END or
 *   ESC_ESC (the rest of it, up to the next END, is skipped);
 * - 'oversize': a frame dropped because it grew past the largest frame (the rest of it, up to
 *   the next END, is skipped);
 * - 'between-frames': bytes that belong to no frame: a run between two ENDs shorter than the
 *   smallest frame of the link type (line noise, console text on the SLIP UART).
 */
export const SLIP_EVENTS = ['bad-escape', 'oversize', 'between-frames'] as const;

/** A SLIP codec event name. */
export type SlipEvent = (typeof SLIP_EVENTS)[number];

/** Limits of a SLIP codec, in decoded bytes. */
export interface SlipCodecOptions {
  /** Largest frame; a longer one is dropped as 'oversize'. */
  maxFrame: number;
  /**
   * Smallest frame (default 1): shorter runs between two ENDs are not frames and their bytes
   * count as 'between-frames' (14 for Ethernet, 20 for raw IP).
   */
  minFrame?: number;
}

/** Decoder state: inside a frame (or between frames, which is an empty frame). */
const IN_FRAME = 0;
/** Decoder state: the previous byte was ESC. */
const ESCAPED = 1;
/** Decoder state: after a dropped frame, skipping up to the next END. */
const SKIP = 2;

/**
 * Splits a SLIP byte stream into frames. Feed it chunks as they arrive, split anywhere; it
 * returns the frames each chunk completed (possibly none) and keeps the partial frame.
 */
export class SlipDecoder implements FrameDecoder {
  private readonly frame: Buffer;
  private readonly minFrame: number;
  private length = 0;
  private state: number = IN_FRAME;

  constructor(
    options: SlipCodecOptions,
    private readonly count: CodecEventCounter,
  ) {
    if (!Number.isInteger(options.maxFrame) || options.maxFrame < 1) {
      throw new Error(`a SLIP decoder needs a positive maxFrame, not ${options.maxFrame}`);
    }
    this.frame = Buffer.allocUnsafe(options.maxFrame);
    this.minFrame = Math.max(1, options.minFrame ?? 1);
  }

  /** The frames `chunk` completed; never throws (SLIP resynchronises at every END). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    const frame = this.frame;
    const max = frame.length;
    let length = this.length;
    let state: number = this.state;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === SLIP_END) {
        if (state === ESCAPED) {
          this.count('bad-escape');
        } else if (state === IN_FRAME && length > 0) {
          if (length >= this.minFrame) frames.push(Buffer.from(frame.subarray(0, length)));
          else this.count('between-frames', length);
        }
        length = 0;
        state = IN_FRAME;
        continue;
      }
      if (state === SKIP) continue;
      let value = byte;
      if (state === ESCAPED) {
        if (byte === SLIP_ESC_END) value = SLIP_END;
        else if (byte === SLIP_ESC_ESC) value = SLIP_ESC;
        else {
          this.count('bad-escape');
          state = SKIP;
          continue;
        }
        state = IN_FRAME;
      } else if (byte === SLIP_ESC) {
        state = ESCAPED;
        continue;
      }
      if (length === max) {
        this.count('oversize');
        state = SKIP;
        continue;
      }
      frame[length++] = value;
    }
    this.length = length;
    this.state = state;
    return frames;
  }

  /** Forgets a partial frame (a new connection starts in step). */
  reset(): void {
    this.length = 0;
    this.state = IN_FRAME;
  }
}

/** Bytes of `frame` once escaped and framed as END, frame, END. */
export function slipEncodedLength(frame: Buffer): number {
  let size = frame.length + 2;
  for (let i = 0; i < frame.length; i++) {
    const b = frame[i];
    if (b === SLIP_END || b === SLIP_ESC) size++;
  }
  return size;
}

/**
 * The first `count` frames as one buffer, each as END, escaped frame, END (what Zephyr sends;
 * the leading END flushes any line noise the receiver holds).
 */
export function encodeSlip(frames: readonly Buffer[], count = frames.length): Buffer {
  let size = 0;
  for (let i = 0; i < count; i++) {
    const f = frames[i];
    if (f !== undefined) size += slipEncodedLength(f);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const f = frames[i];
    if (f === undefined) continue;
    out[at++] = SLIP_END;
    for (let j = 0; j < f.length; j++) {
      const b = f[j] as number;
      if (b === SLIP_END) {
        out[at++] = SLIP_ESC;
        out[at++] = SLIP_ESC_END;
      } else if (b === SLIP_ESC) {
        out[at++] = SLIP_ESC;
        out[at++] = SLIP_ESC_ESC;
      } else {
        out[at++] = b;
      }
    }
    out[at++] = SLIP_END;
  }
  return out;
}

/** SLIP as the codec of a serial port's StreamSocketPort. */
export function slipCodec(options: SlipCodecOptions): FrameCodec {
  return {
    decoder: (count) => new SlipDecoder(options, count),
    encode: (frames, count) => encodeSlip(frames, count),
  };
}
