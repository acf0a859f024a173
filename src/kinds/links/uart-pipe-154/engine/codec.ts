// Zephyr's UART pipe radio framing (drivers/ieee802154/ieee802154_uart_pipe.c) as a FrameCodec:
// per frame the byte 0xF0, one length byte (at most 127), then the 802.15.4 MAC frame without
// FCS. There is no escaping and no checksum, so the decoder keeps step by the marker alone.
//
// How Zephyr's receiver (upipe_rx) treats the bytes the engine writes, one byte at a time:
// - idle, byte 0xF0: a frame starts, the next byte is its length;
// - idle, any other byte: taken as the LENGTH of a frame without a marker (the driver checks
//   `rx_len` whether or not a marker came), so a stray byte makes the guest swallow the next
//   bytes as a frame (a 0xF0 among them is eaten as a late marker, not stored); a byte over
//   127 is flushed instead (state reset), and 0 leaves it waiting for a length;
// - after the marker, a length over 127 flushes, 0 keeps waiting for a length;
// - then exactly `length` bytes are the frame, 0xF0 included (no escaping).
// So the encoder must write nothing but whole, well-formed frames of 1..127 bytes.
//
// A guest that starts listening in the middle of a frame (bytes that arrived while it booted or
// was reset are partly dropped by its UART and driver) is out of step, and upipe_rx has no way
// back: it reads some data byte as a length, swallows that many bytes, and goes on from wherever
// that ends, through every later frame, until by chance a frame ends right before a real marker
// (measured: two v3.5.0 echo_client/echo_server QEMUs that had not exchanged a frame after a
// minute). So after a quiet line the encoder first writes UART_PIPE_RESYNC.
//
// The engine's decoder (frames from the guest) is stricter than upipe_rx: it starts a frame only
// at a 0xF0 marker, so noise on the line is thrown away instead of becoming a frame.
import type {
  CodecEventCounter,
  FrameCodec,
  FrameDecoder,
} from '../../../../engine/fabric/index.js';

/** The byte before every frame (UART_PIPE_RADIO_15_4_FRAME_TYPE). */
export const UART_PIPE_MARKER = 0xf0;

/** Largest frame the length byte may announce: aMaxPhyPacketSize of IEEE 802.15.4. */
export const UART_PIPE_MAX_FRAME = 127;

/**
 * The event a decoder counts (shown under a port's `extra` counters): 'malformed', once each
 * time it throws bytes away: a run of bytes outside any frame (before a 0xF0 marker), or a
 * marker followed by a length over 127 or another marker. A run that follows a bad length
 * belongs to the same event; the next marker ends it.
 */
export const UART_PIPE_MALFORMED = 'malformed';

/** Decoder state: between frames, waiting for the marker. */
const IDLE = 0;
/** Decoder state: after the marker, waiting for the length byte. */
const LENGTH = 1;
/** Decoder state: collecting the frame's bytes. */
const BODY = 2;

/**
 * Splits the byte stream of a UART pipe radio into frames. Feed it chunks as they arrive, split
 * anywhere; it returns the frames each chunk completed and keeps the partial one.
 */
export class UartPipeDecoder implements FrameDecoder {
  private readonly frame = Buffer.allocUnsafe(UART_PIPE_MAX_FRAME);
  private state = IDLE;
  private length = 0;
  private filled = 0;
  /** True while bytes are being thrown away (one 'malformed' event per run). */
  private discarding = false;

  constructor(private readonly count: CodecEventCounter) {}

  /** The frames `chunk` completed; never throws (the next marker is always a fresh start). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.state === BODY) {
        // Frame bytes are copied in one go: 0xF0 is ordinary data here.
        const take = Math.min(this.length - this.filled, chunk.length - i);
        chunk.copy(this.frame, this.filled, i, i + take);
        this.filled += take;
        i += take;
        if (this.filled === this.length) {
          frames.push(Buffer.from(this.frame.subarray(0, this.length)));
          this.state = IDLE;
        }
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === IDLE) {
        if (byte === UART_PIPE_MARKER) {
          this.discarding = false;
          this.state = LENGTH;
        } else {
          this.malformed();
        }
        continue;
      }
      // LENGTH
      if (byte === 0) continue; // as upipe_rx: a zero length keeps waiting for the length
      if (byte === UART_PIPE_MARKER) {
        // A marker where the length belongs: the previous marker was noise, this one starts.
        this.malformed();
        this.discarding = false;
        continue;
      }
      if (byte > UART_PIPE_MAX_FRAME) {
        this.malformed();
        this.state = IDLE;
        continue;
      }
      this.length = byte;
      this.filled = 0;
      this.state = BODY;
    }
    return frames;
  }

  /** Forgets a partial frame (a new connection starts in step). */
  reset(): void {
    this.state = IDLE;
    this.length = 0;
    this.filled = 0;
    this.discarding = false;
  }

  private malformed(): void {
    if (this.discarding) return;
    this.discarding = true;
    this.count(UART_PIPE_MALFORMED);
  }
}

/**
 * Encodes the first `count` frames as one buffer: 0xF0, length, frame for each. Empty frames are
 * left out (the receiver would read the next marker as a length and flush) and so are frames
 * over 127 bytes, which the port's MTU already refuses.
 */
export function encodeUartPipeFrames(frames: readonly Buffer[], count = frames.length): Buffer {
  let size = 0;
  for (let i = 0; i < count; i++) {
    const n = frames[i]?.length ?? 0;
    if (n > 0 && n <= UART_PIPE_MAX_FRAME) size += 2 + n;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const f = frames[i];
    if (f === undefined || f.length === 0 || f.length > UART_PIPE_MAX_FRAME) continue;
    out[at] = UART_PIPE_MARKER;
    out[at + 1] = f.length;
    f.copy(out, at + 2);
    at += 2 + f.length;
  }
  return out;
}

/**
 * Written before a frame on a line that has been quiet: 127 bytes of 0xFF. A receiver out of step
 * is at most 127 bytes from the end of the frame it believes it is in; every 0xFF after that is a
 * length over 127, which upipe_rx flushes, as a receiver in step does with all of them. The
 * frame that follows starts in step.
 */
export const UART_PIPE_RESYNC: Buffer = Buffer.alloc(UART_PIPE_MAX_FRAME, 0xff);

/**
 * Quiet time on the line after which the next write starts with UART_PIPE_RESYNC. A booting or
 * resetting guest hears frames seconds apart (neighbour and router solicitations), which get it,
 * while an exchange in progress (a frame every few ms to tens of ms under TCG) pays nothing.
 */
export const UART_PIPE_RESYNC_AFTER_MS = 200;

/**
 * An encoder for one line (one serial port): encodeUartPipeFrames(), with UART_PIPE_RESYNC
 * before the first write and before any write that follows UART_PIPE_RESYNC_AFTER_MS of quiet.
 */
export function uartPipeLineEncoder(
  now: () => number = () => performance.now(),
): (frames: readonly Buffer[], count: number) => Buffer {
  let lastWrite = Number.NEGATIVE_INFINITY;
  return (frames, count) => {
    const body = encodeUartPipeFrames(frames, count);
    if (body.length === 0) return body;
    const at = now();
    const quiet = at - lastWrite >= UART_PIPE_RESYNC_AFTER_MS;
    lastWrite = at;
    return quiet ? Buffer.concat([UART_PIPE_RESYNC, body]) : body;
  };
}

/**
 * The UART pipe radio framing as a codec for one serial port: each port needs its own, since its
 * encoder remembers when it last wrote to the line.
 */
export function uartPipeCodec(): FrameCodec {
  return {
    decoder: (count) => new UartPipeDecoder(count),
    encode: uartPipeLineEncoder(),
  };
}
