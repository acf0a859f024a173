// The UART pipe radio framing: 0xF0, a length byte (<= 127), the 802.15.4 frame without FCS.
import { describe, expect, it } from 'vitest';
import {
  encodeUartPipeFrames,
  UART_PIPE_CODEC,
  UART_PIPE_MALFORMED,
  UART_PIPE_MARKER,
  UartPipeDecoder,
} from '../../../src/engine/links/uart-pipe-154/codec.js';

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
    expect(UART_PIPE_CODEC.encode([Buffer.from([9]), Buffer.from([8])], 1)).toEqual(
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
