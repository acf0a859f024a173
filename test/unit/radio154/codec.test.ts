// The UART pipe radio framing: 0xF0, a length byte (<= 127), the 802.15.4 frame without FCS.
import { describe, expect, it } from 'vitest';
import {
  encodeUartPipeFrames,
  UART_PIPE_MALFORMED,
  UART_PIPE_MARKER,
  UART_PIPE_MAX_FRAME,
  UART_PIPE_RESYNC,
  UART_PIPE_RESYNC_AFTER_MS,
  uartPipeCodec,
  uartPipeLineEncoder,
  UartPipeDecoder,
} from '../../../src/kinds/links/uart-pipe-154/engine/codec.js';

/** A decoder and the events it counted. */
function decoder(): { d: UartPipeDecoder; events: Map<string, number> } {
  const events = new Map<string, number>();
  const d = new UartPipeDecoder((event, count = 1) =>
    events.set(event, (events.get(event) ?? 0) + count),
  );
  return { d, events };
}

/** A frame of `n` bytes with a pattern that includes 0xF0 and 0x00 as data. */
function frame(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + seed * 11) & 0xff;
  if (n > 3) {
    b[1] = UART_PIPE_MARKER;
    b[2] = 0;
  }
  return b;
}

const FRAMES = [frame(1), frame(5, 2), frame(20, 3), frame(127, 4), frame(0xf0 - 0x80, 5)];

describe('UART pipe codec', () => {
  it('writes 0xF0, the length and the frame for each frame, in one buffer', () => {
    const out = encodeUartPipeFrames([Buffer.from([1, 2, 3]), Buffer.from([0xf0])]);
    expect([...out]).toEqual([0xf0, 3, 1, 2, 3, 0xf0, 1, 0xf0]);
    const line = uartPipeCodec();
    expect(line.encode([Buffer.from([9]), Buffer.from([8])], 1).subarray(-3)).toEqual(
      Buffer.from([0xf0, 1, 9]),
    );
  });

  it('leaves out empty frames and frames over 127 bytes, which the receiver cannot take', () => {
    const out = encodeUartPipeFrames([Buffer.alloc(0), Buffer.alloc(128), Buffer.from([7])]);
    expect([...out]).toEqual([0xf0, 1, 7]);
  });

  it('round-trips frames of 1 to 127 bytes, 0xF0 and 0x00 inside them included', () => {
    const { d, events } = decoder();
    expect(d.push(encodeUartPipeFrames(FRAMES))).toEqual(FRAMES);
    expect(events.size).toBe(0);
  });

  it('decodes the same frames when the stream is split at every position', () => {
    const wire = encodeUartPipeFrames(FRAMES);
    for (let at = 0; at <= wire.length; at++) {
      const { d, events } = decoder();
      const got = [...d.push(wire.subarray(0, at)), ...d.push(wire.subarray(at))];
      expect(got, `split at ${at}`).toEqual(FRAMES);
      expect(events.size).toBe(0);
    }
  });

  it('decodes the same frames fed one byte at a time', () => {
    const wire = encodeUartPipeFrames(FRAMES);
    const { d } = decoder();
    const got: Buffer[] = [];
    for (const byte of wire) got.push(...d.push(Buffer.from([byte])));
    expect(got).toEqual(FRAMES);
  });

  it('throws away bytes outside frames and counts one malformed event per run', () => {
    const { d, events } = decoder();
    const a = frame(10, 1);
    const b = frame(12, 2);
    const wire = Buffer.concat([
      Buffer.from('noise'),
      encodeUartPipeFrames([a]),
      Buffer.from([0x00, 0x05, 0x7f]),
      encodeUartPipeFrames([b]),
    ]);
    expect(d.push(wire)).toEqual([a, b]);
    expect(events.get(UART_PIPE_MALFORMED)).toBe(2);
  });

  it('counts a run split across chunks once', () => {
    const { d, events } = decoder();
    d.push(Buffer.from('abc'));
    d.push(Buffer.from('def'));
    expect(d.push(encodeUartPipeFrames([frame(4)]))).toEqual([frame(4)]);
    expect(events.get(UART_PIPE_MALFORMED)).toBe(1);
  });

  it('flushes on a length over 127 and resynchronises at the next 0xF0', () => {
    const { d, events } = decoder();
    const good = frame(30, 7);
    // The bad "frame": its body has no 0xF0, so the decoder skips it up to the real marker.
    const body = Buffer.alloc(128, 0x41);
    const wire = Buffer.concat([Buffer.from([0xf0, 0x80]), body, encodeUartPipeFrames([good])]);
    expect(d.push(wire)).toEqual([good]);
    // The bad length and the bytes after it are one event.
    expect(events.get(UART_PIPE_MALFORMED)).toBe(1);
  });

  it('takes a second 0xF0 where the length belongs as the real start of the frame', () => {
    const { d, events } = decoder();
    const good = frame(6, 3);
    expect(d.push(Buffer.concat([Buffer.from([0xf0]), encodeUartPipeFrames([good])]))).toEqual([
      good,
    ]);
    expect(events.get(UART_PIPE_MALFORMED)).toBe(1);
  });

  it('keeps waiting for the length after a zero length, as Zephyr does', () => {
    const { d, events } = decoder();
    expect(d.push(Buffer.from([0xf0, 0x00, 0x02, 0xaa, 0xbb]))).toEqual([
      Buffer.from([0xaa, 0xbb]),
    ]);
    expect(events.size).toBe(0);
  });

  it('forgets a partial frame on reset (a new connection)', () => {
    const { d, events } = decoder();
    expect(d.push(Buffer.from([0xf0, 0x05, 1, 2]))).toEqual([]);
    d.reset();
    expect(d.push(encodeUartPipeFrames([Buffer.from([9, 9])]))).toEqual([Buffer.from([9, 9])]);
    expect(events.size).toBe(0);
  });

  it('returns frames that stay valid after later chunks reuse the decoder', () => {
    const { d } = decoder();
    const [first] = d.push(encodeUartPipeFrames([Buffer.from([1, 2, 3])]));
    d.push(encodeUartPipeFrames([Buffer.from([4, 5, 6])]));
    expect(first).toEqual(Buffer.from([1, 2, 3]));
  });
});

/**
 * Zephyr's receiver, upipe_rx() of drivers/ieee802154/ieee802154_uart_pipe.c (unchanged from
 * v3.5.0 to v4.x), one byte at a time: the frames it would hand to its network stack.
 */
class ZephyrUpipeRx {
  readonly frames: Buffer[] = [];
  private rx = false;
  private rxLen = 0;
  private rxOff = 0;
  private readonly buf = Buffer.alloc(UART_PIPE_MAX_FRAME);

  push(bytes: Buffer): void {
    for (const b of bytes) {
      if (!this.rx && b === UART_PIPE_MARKER) {
        this.rx = true;
        continue;
      }
      if (this.rxLen === 0) {
        if (b > 127) this.flush();
        else this.rxLen = b;
        continue;
      }
      this.buf[this.rxOff++] = b;
      if (this.rxLen === this.rxOff) {
        this.frames.push(Buffer.from(this.buf.subarray(0, this.rxLen)));
        this.flush();
      }
    }
  }

  private flush(): void {
    this.rx = false;
    this.rxLen = 0;
    this.rxOff = 0;
  }
}

/** 802.15.4-sized frames with ordinary bytes, 0xF0 and small values (lengths) in them. */
function traffic(n: number, seed: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => frame(20 + ((i * 29 + seed * 13) % 100), seed + i));
}

describe('UART pipe line encoder (a receiver out of step gets back in step)', () => {
  it('a Zephyr receiver that starts in the middle of a frame stays out of step on frames alone', () => {
    const rx = new ZephyrUpipeRx();
    const sent = traffic(40, 1);
    const wire = encodeUartPipeFrames(sent);
    // It boots while the third byte of the first frame goes by.
    rx.push(wire.subarray(3));
    const intact = rx.frames.filter((f) => sent.some((s) => s.equals(f)));
    expect(intact.length).toBeLessThan(sent.length - 1);
  });

  it('writes the resync bytes first and after a quiet line, not while frames keep coming', () => {
    let t = 1_000;
    const encode = uartPipeLineEncoder(() => t);
    const one = [Buffer.from([1, 2, 3])];
    const plain = encodeUartPipeFrames(one);
    expect(encode(one, 1)).toEqual(Buffer.concat([UART_PIPE_RESYNC, plain]));
    t += UART_PIPE_RESYNC_AFTER_MS - 1;
    expect(encode(one, 1)).toEqual(plain);
    t += UART_PIPE_RESYNC_AFTER_MS;
    expect(encode(one, 1)).toEqual(Buffer.concat([UART_PIPE_RESYNC, plain]));
    // Nothing to write is no write: it neither gets resync bytes nor counts as line activity.
    t += UART_PIPE_RESYNC_AFTER_MS;
    expect(encode([Buffer.alloc(0)], 1).length).toBe(0);
    expect(encode(one, 1)).toEqual(Buffer.concat([UART_PIPE_RESYNC, plain]));
    expect([...UART_PIPE_RESYNC]).toEqual(new Array<number>(127).fill(0xff));
  });

  it('brings a Zephyr receiver that joined mid-frame back in step at the first write after quiet', () => {
    let t = 0;
    const encode = uartPipeLineEncoder(() => t);
    const burst = traffic(12, 2);
    const late = traffic(30, 3);
    for (let cut = 1; cut < 40; cut++) {
      const rx = new ZephyrUpipeRx();
      t += 10_000;
      rx.push(encode(burst, burst.length).subarray(UART_PIPE_MAX_FRAME + cut));
      t += UART_PIPE_RESYNC_AFTER_MS;
      rx.push(encode(late, late.length));
      expect(rx.frames.slice(-late.length), `joined ${cut} bytes into the burst`).toEqual(late);
    }
  });

  it('costs a receiver in step nothing: it gets every frame and nothing else', () => {
    let t = 0;
    const encode = uartPipeLineEncoder(() => t);
    const rx = new ZephyrUpipeRx();
    const sent: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const batch = traffic(1 + (i % 3), 10 + i);
      sent.push(...batch);
      t += i % 4 === 0 ? UART_PIPE_RESYNC_AFTER_MS * 2 : 5;
      rx.push(encode(batch, batch.length));
    }
    expect(rx.frames).toEqual(sent);
  });

  it("the engine's own decoder skips the resync bytes as one malformed run and keeps the frame", () => {
    const { d, events } = decoder();
    const f = frame(9, 4);
    expect(d.push(uartPipeLineEncoder(() => 0)([f], 1))).toEqual([f]);
    expect(events.get(UART_PIPE_MALFORMED)).toBe(1);
  });
});
