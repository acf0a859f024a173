// The RFC 1055 SLIP codec: random frames with every byte value round-trip exactly however the
// encoded stream is split across reads, and each kind of bad input is counted and skipped.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/kinds/nodes/radio-154/engine/model.js';
import {
  encodeSlip,
  SLIP_END,
  SLIP_ESC,
  SLIP_ESC_END,
  SLIP_ESC_ESC,
  SlipDecoder,
  slipCodec,
} from '../../../src/kinds/links/slip/engine/codec.js';

/** A seeded PRNG, so a failing case can be replayed from its seed. */
const rng = mulberry32;

function int(r: () => number, below: number): number {
  return Math.floor(r() * below);
}

/** A random frame; one in four is made mostly of END and ESC bytes. */
function randomFrame(r: () => number, maxLength: number): Buffer {
  const length = 1 + int(r, maxLength);
  const nasty = int(r, 4) === 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    out[i] = nasty && int(r, 4) !== 0 ? (int(r, 2) === 0 ? SLIP_END : SLIP_ESC) : int(r, 256);
  }
  return out;
}

interface Decoded {
  frames: Buffer[];
  events: Map<string, number>;
}

/** Feeds `stream` to a fresh decoder in the given chunks. */
function decode(
  chunks: readonly Buffer[],
  options: { maxFrame: number; minFrame?: number } = { maxFrame: 4096 },
): Decoded {
  const events = new Map<string, number>();
  const decoder = new SlipDecoder(options, (event, count = 1) =>
    events.set(event, (events.get(event) ?? 0) + count),
  );
  const frames: Buffer[] = [];
  for (const c of chunks) frames.push(...decoder.push(c));
  return { frames, events };
}

/** The stream split at random positions into 1..n chunks. */
function randomChunks(r: () => number, stream: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const n = 1 + int(r, Math.min(64, stream.length - at));
    chunks.push(stream.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('SLIP encoding', () => {
  it('frames each packet as END, escaped bytes, END, as Zephyr sends it', () => {
    expect([...encodeSlip([bytes(1, SLIP_END, 2, SLIP_ESC, 3)])]).toEqual([
      SLIP_END,
      1,
      SLIP_ESC,
      SLIP_ESC_END,
      2,
      SLIP_ESC,
      SLIP_ESC_ESC,
      3,
      SLIP_END,
    ]);
    expect([...encodeSlip([bytes(7), bytes(8), bytes(9)], 2)]).toEqual([
      SLIP_END,
      7,
      SLIP_END,
      SLIP_END,
      8,
      SLIP_END,
    ]);
  });

  it('never puts a bare END inside a frame or leaves an ESC without ESC_END or ESC_ESC', () => {
    const r = rng(7);
    for (let n = 0; n < 200; n++) {
      const f = randomFrame(r, 300);
      const enc = encodeSlip([f]);
      const inner = enc.subarray(1, enc.length - 1);
      expect(inner.includes(SLIP_END)).toBe(false);
      for (let i = 0; i < inner.length; i++) {
        if (inner[i] === SLIP_ESC) {
          expect([SLIP_ESC_END, SLIP_ESC_ESC]).toContain(inner[i + 1]);
          i++;
        }
      }
    }
  });
});

describe('SLIP round trip', () => {
  it('decodes a frame holding every byte value 0..255, forwards and backwards', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const back = Buffer.from(all).reverse();
    const { frames, events } = decode([encodeSlip([all, back])]);
    expect(frames).toEqual([all, back]);
    expect(events.size).toBe(0);
  });

  it('decodes frames made only of END bytes, only of ESC bytes, and of escape look-alikes', () => {
    const input = [
      Buffer.alloc(100, SLIP_END),
      Buffer.alloc(100, SLIP_ESC),
      bytes(SLIP_ESC, SLIP_ESC_END, SLIP_ESC, SLIP_ESC_ESC, SLIP_ESC_END, SLIP_ESC_ESC),
      bytes(SLIP_END, SLIP_ESC, SLIP_END, SLIP_ESC),
    ];
    const { frames, events } = decode([encodeSlip(input)]);
    expect(frames).toEqual(input);
    expect(events.size).toBe(0);
  });

  it('round-trips random frames with the stream split at every position across two reads', () => {
    const r = rng(1);
    for (let trial = 0; trial < 20; trial++) {
      const input = Array.from({ length: 1 + int(r, 4) }, () => randomFrame(r, 64));
      const stream = encodeSlip(input);
      for (let cut = 0; cut <= stream.length; cut++) {
        const { frames, events } = decode([stream.subarray(0, cut), stream.subarray(cut)]);
        expect(frames, `trial ${trial}, cut at ${cut}`).toEqual(input);
        expect(events.size).toBe(0);
      }
    }
  });

  it('round-trips random frames in random chunkings and one byte per read', () => {
    for (let seed = 100; seed < 160; seed++) {
      const r = rng(seed);
      const input = Array.from({ length: 1 + int(r, 20) }, () => randomFrame(r, 1600));
      const stream = encodeSlip(input);
      expect(decode(randomChunks(r, stream)).frames, `seed ${seed}`).toEqual(input);
      if (seed % 10 === 0) {
        const single = [...stream].map((b) => bytes(b));
        expect(decode(single).frames, `seed ${seed}, one byte per read`).toEqual(input);
      }
    }
  });

  it('accepts a frame of exactly maxFrame bytes and frames without the leading END', () => {
    const f = Buffer.alloc(1518, SLIP_END);
    const r = decode([encodeSlip([f])], { maxFrame: 1518 });
    expect(r.frames).toEqual([f]);
    const bare = decode([bytes(1, 2, 3, SLIP_END, 4, 5, SLIP_END)]);
    expect(bare.frames).toEqual([bytes(1, 2, 3), bytes(4, 5)]);
  });

  it('works as the FrameCodec of a port: encode takes the first count frames', () => {
    const codec = slipCodec({ maxFrame: 100 });
    const got: Buffer[] = [];
    const decoder = codec.decoder(() => {
      throw new Error('no event expected');
    });
    got.push(...decoder.push(codec.encode([bytes(1), bytes(SLIP_END), bytes(3)], 2)));
    expect(got).toEqual([bytes(1), bytes(SLIP_END)]);
  });
});

describe('SLIP errors', () => {
  it('ignores empty frames between two ENDs without counting them', () => {
    const { frames, events } = decode([bytes(SLIP_END, SLIP_END, SLIP_END, 1, SLIP_END, SLIP_END)]);
    expect(frames).toEqual([bytes(1)]);
    expect(events.size).toBe(0);
  });

  it('drops a frame with a bad escape, counts it, and resumes at the next END', () => {
    const stream = Buffer.concat([
      bytes(SLIP_END, 1, 2, SLIP_ESC, 0x41, 3, 4, SLIP_END),
      encodeSlip([bytes(9, 9)]),
    ]);
    const { frames, events } = decode([stream]);
    expect(frames).toEqual([bytes(9, 9)]);
    expect(events.get('bad-escape')).toBe(1);
    expect(events.get('between-frames')).toBeUndefined();
  });

  it('counts ESC directly before END as a bad escape, and ESC ESC too', () => {
    const { frames, events } = decode([
      bytes(SLIP_END, 1, SLIP_ESC, SLIP_END, 2, SLIP_ESC, SLIP_ESC, SLIP_ESC_END, SLIP_END, 3),
      bytes(SLIP_END),
    ]);
    expect(frames).toEqual([bytes(3)]);
    expect(events.get('bad-escape')).toBe(2);
  });

  it('counts a bad escape split across two reads', () => {
    const { frames, events } = decode([bytes(SLIP_END, 5, SLIP_ESC), bytes(0x00, 6, SLIP_END)]);
    expect(frames).toEqual([]);
    expect(events.get('bad-escape')).toBe(1);
  });

  it('drops a frame over maxFrame, counts it once, and resyncs at the next END', () => {
    const big = Buffer.alloc(101, 0x11);
    const ok = Buffer.alloc(100, SLIP_ESC);
    const stream = encodeSlip([big, ok, big, ok]);
    for (const chunks of [[stream], [...stream].map((b) => bytes(b))]) {
      const { frames, events } = decode(chunks, { maxFrame: 100 });
      expect(frames).toEqual([ok, ok]);
      expect(events.get('oversize')).toBe(2);
    }
  });

  it('counts an endless run without END as one oversize frame, not as a stream error', () => {
    const events = new Map<string, number>();
    const decoder = new SlipDecoder({ maxFrame: 64 }, (e, c = 1) =>
      events.set(e, (events.get(e) ?? 0) + c),
    );
    for (let i = 0; i < 100; i++) expect(decoder.push(Buffer.alloc(1000, 0x22))).toEqual([]);
    expect(events.get('oversize')).toBe(1);
    expect(decoder.push(encodeSlip([bytes(1, 2)]))).toEqual([bytes(1, 2)]);
  });

  it('counts the bytes of runs shorter than the smallest frame as between-frames', () => {
    const eth = Buffer.alloc(14, 0xaa);
    const { frames, events } = decode(
      [Buffer.concat([bytes(0x6f, 0x6b, 0x0d, 0x0a, SLIP_END), encodeSlip([eth, bytes(1, 2, 3)])])],
      { maxFrame: 1518, minFrame: 14 },
    );
    expect(frames).toEqual([eth]);
    expect(events.get('between-frames')).toBe(4 + 3);
  });

  it('never throws on random line noise and only emits frames within the size limits', () => {
    const r = rng(99);
    const noise = Buffer.from(Array.from({ length: 50_000 }, () => int(r, 256)));
    const { frames } = decode(randomChunks(r, noise), { maxFrame: 300, minFrame: 14 });
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.length).toBeGreaterThanOrEqual(14);
      expect(f.length).toBeLessThanOrEqual(300);
    }
  });

  it('starts in step again after reset (a new connection)', () => {
    const events = new Map<string, number>();
    const decoder = new SlipDecoder({ maxFrame: 64 }, (e, c = 1) =>
      events.set(e, (events.get(e) ?? 0) + c),
    );
    decoder.push(bytes(SLIP_END, 1, 2, SLIP_ESC));
    decoder.reset();
    expect(decoder.push(bytes(3, 4, SLIP_END))).toEqual([bytes(3, 4)]);
    expect(events.size).toBe(0);
  });
});
