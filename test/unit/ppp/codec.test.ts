// The RFC 1662 PPP codec: the FCS-16 matches the RFC's algorithm and the standard check value,
// random frames with every byte value round-trip exactly however the stream is split across
// reads, control characters are escaped as the default ACCM asks, and each kind of bad input
// is counted and dropped without losing the next frame.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/kinds/nodes/radio-154/engine/model.js';
import {
  encodePppFrames,
  fcs16,
  PPP_ESCAPE,
  PPP_FCS_GOOD,
  PPP_FCS_INIT,
  PPP_FLAG,
  PPP_MAX_FRAME,
  PppDecoder,
  pppCodec,
} from '../../../src/kinds/links/ppp/engine/codec.js';

/** A seeded PRNG, so a failing case can be replayed from its seed. */
const rng = mulberry32;

function int(r: () => number, below: number): number {
  return Math.floor(r() * below);
}

/** A random frame; one in four is made mostly of flag, escape and control bytes. */
function randomFrame(r: () => number, maxLength: number): Buffer {
  const length = 1 + int(r, maxLength);
  const nasty = int(r, 4) === 0;
  const special = [PPP_FLAG, PPP_ESCAPE, 0x00, 0x11, 0x13, 0x1f, 0x20, 0x5d, 0x5e, 0xff];
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    out[i] = nasty && int(r, 4) !== 0 ? (special[int(r, special.length)] ?? 0) : int(r, 256);
  }
  return out;
}

interface Decoded {
  frames: Buffer[];
  events: Map<string, number>;
}

function decode(chunks: readonly Buffer[], maxFrame = PPP_MAX_FRAME): Decoded {
  const events = new Map<string, number>();
  const decoder = new PppDecoder(
    (event, count = 1) => events.set(event, (events.get(event) ?? 0) + count),
    maxFrame,
  );
  const frames: Buffer[] = [];
  for (const c of chunks) frames.push(...decoder.push(c));
  return { frames, events };
}

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

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The bit-by-bit FCS-16 of RFC 1662 appendix C.2, written independently of the table. */
function referenceFcs(data: Buffer): number {
  let fcs = 0xffff;
  for (const byte of data) {
    fcs ^= byte;
    for (let i = 0; i < 8; i++) fcs = fcs & 1 ? (fcs >>> 1) ^ 0x8408 : fcs >>> 1;
  }
  return fcs ^ 0xffff;
}

/** An LCP Configure-Request (id 1, magic number 0x12345678) as pppd would send it. */
const LCP_CONF_REQ = hex('ff03 c021 01 01 000a 0506 12345678');

describe('PPP FCS-16 (RFC 1662 appendix C)', () => {
  it('gives the CRC-16/X-25 check value 0x906e for "123456789"', () => {
    expect(fcs16(Buffer.from('123456789')) ^ 0xffff).toBe(0x906e);
  });

  it('matches the bit-by-bit algorithm of the RFC on random data', () => {
    const r = rng(1662);
    for (let i = 0; i < 200; i++) {
      const data = randomFrame(r, 300);
      expect(fcs16(data) ^ 0xffff).toBe(referenceFcs(data));
    }
  });

  it('leaves the good-FCS constant 0xf0b8 over a frame followed by its FCS, least significant byte first', () => {
    const fcs = fcs16(LCP_CONF_REQ) ^ 0xffff;
    const withFcs = Buffer.concat([LCP_CONF_REQ, Buffer.from([fcs & 0xff, fcs >>> 8])]);
    expect(fcs16(withFcs, PPP_FCS_INIT)).toBe(PPP_FCS_GOOD);
  });
});

describe('PPP encoding', () => {
  it('frames a packet as flag, escaped bytes and FCS (least significant byte first), flag', () => {
    const fcs = referenceFcs(LCP_CONF_REQ);
    const esc = (b: number): string =>
      (b < 0x20 || b === PPP_FLAG || b === PPP_ESCAPE ? [PPP_ESCAPE, b ^ 0x20] : [b])
        .map((x) => x.toString(16).padStart(2, '0'))
        .join('');
    // Every control character of the header and the magic number's 0x12 is escaped.
    const expected = `7eff7d23c0217d217d217d207d2a7d257d267d32345678${esc(fcs & 0xff)}${esc(fcs >>> 8)}7e`;
    expect(encodePppFrames([LCP_CONF_REQ]).toString('hex')).toBe(expected);
  });

  it('escapes the flag, the escape and every control character below 0x20 (the default ACCM), and nothing else', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const wire = encodePppFrames([all]);
    const inner = wire.subarray(1, wire.length - 1);
    const seen: number[] = [];
    for (let i = 0; i < inner.length; i++) {
      const b = inner[i] ?? 0;
      expect(b).not.toBe(PPP_FLAG);
      expect(b < 0x20).toBe(false);
      if (b === PPP_ESCAPE) {
        seen.push((inner[++i] ?? 0) ^ 0x20);
      }
    }
    // The data's own escapes come first, in byte order; at most two more belong to the FCS.
    expect(seen.slice(0, 34)).toEqual([
      ...Array.from({ length: 0x20 }, (_, i) => i),
      PPP_ESCAPE,
      PPP_FLAG,
    ]);
    expect(seen.length).toBeLessThanOrEqual(36);
  });

  it('with a zero ACCM escapes only the flag and the escape', () => {
    const codec = pppCodec({ accm: 0 });
    const wire = codec.encode([hex('ff03 0021 00 01 7e 7d 1f')], 1);
    expect(wire.subarray(0, 12).toString('hex')).toBe(
      '7eff030021 00 01 7d5e 7d5d 1f'.replace(/ /g, ''),
    );
  });

  it('encodes only the first `count` frames', () => {
    const wire = encodePppFrames([hex('ff03c021'), hex('ff030021')], 1);
    expect(decode([wire]).frames).toEqual([hex('ff03c021')]);
  });
});

describe('PPP decoding', () => {
  it('round-trips random frames with every byte value, split at random positions', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const frames = Array.from({ length: 1 + int(r, 12) }, () => randomFrame(r, 1600));
      const wire = encodePppFrames(frames);
      const got = decode(randomChunks(r, wire));
      expect(got.frames, `seed ${seed}`).toEqual(frames);
      expect(got.events.size, `seed ${seed}`).toBe(0);
    }
  });

  it('decodes the same frames whatever single position the stream is split at', () => {
    const frames = [LCP_CONF_REQ, hex('ff03 0021 7e7d 00 1f 20'), hex('ff03 c021 05 02 0004')];
    const wire = encodePppFrames(frames);
    for (let at = 0; at <= wire.length; at++) {
      const got = decode([wire.subarray(0, at), wire.subarray(at)]);
      expect(got.frames, `split at ${at}`).toEqual(frames);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const r = rng(7);
    const frames = Array.from({ length: 5 }, () => randomFrame(r, 200));
    const wire = encodePppFrames(frames);
    const got = decode([...wire].map((b) => Buffer.from([b])));
    expect(got.frames).toEqual(frames);
  });

  it('un-escapes any escaped byte, including ones the sender need not have escaped', () => {
    const frame = hex('ff03 0021 41 42');
    const fcs = referenceFcs(frame);
    const raw = Buffer.concat([frame, Buffer.from([fcs & 0xff, fcs >>> 8])]);
    const escapedAll: number[] = [PPP_FLAG];
    for (const b of raw) escapedAll.push(PPP_ESCAPE, b ^ 0x20);
    escapedAll.push(PPP_FLAG);
    expect(decode([Buffer.from(escapedAll)]).frames).toEqual([frame]);
  });

  it('shares one flag between back-to-back frames and ignores runs of flags', () => {
    const a = encodePppFrames([hex('ff03c021 0101 0004')]);
    const b = encodePppFrames([hex('ff03c021 0201 0004')]);
    // Drop b's opening flag: a's closing flag opens b.
    const wire = Buffer.concat([
      Buffer.from([PPP_FLAG, PPP_FLAG]),
      a,
      b.subarray(1),
      Buffer.from([PPP_FLAG]),
    ]);
    const got = decode([wire]);
    expect(got.frames).toEqual([hex('ff03c021 0101 0004'), hex('ff03c021 0201 0004')]);
    expect(got.events.size).toBe(0);
  });

  it('skips bytes before the first flag without counting them (a line that came up mid-frame)', () => {
    const wire = Buffer.concat([hex('12 34 56 7d 99'), encodePppFrames([LCP_CONF_REQ])]);
    const got = decode([wire]);
    expect(got.frames).toEqual([LCP_CONF_REQ]);
    expect(got.events.size).toBe(0);
  });

  it('counts a frame with a bad FCS as bad-fcs, drops it, and keeps the next frame', () => {
    const bad = Buffer.from(encodePppFrames([LCP_CONF_REQ]));
    bad.writeUInt8(bad.readUInt8(5) ^ 0x01, 5); // a data byte, not an escape or a flag
    const wire = Buffer.concat([bad, encodePppFrames([hex('ff03 0021 45')])]);
    const got = decode([wire]);
    expect(got.frames).toEqual([hex('ff03 0021 45')]);
    expect(got.events.get('bad-fcs')).toBe(1);
  });

  it('counts a frame aborted by an escape before the closing flag as bad-escape', () => {
    const wire = Buffer.concat([hex('7e ff 03 c0 21 7d 7e'), encodePppFrames([LCP_CONF_REQ])]);
    const got = decode([wire]);
    expect(got.frames).toEqual([LCP_CONF_REQ]);
    expect(got.events.get('bad-escape')).toBe(1);
  });

  it('counts frames shorter than four bytes as runt', () => {
    const got = decode([hex('7e 01 7e 01 02 03 7e'), encodePppFrames([LCP_CONF_REQ])]);
    expect(got.frames).toEqual([LCP_CONF_REQ]);
    expect(got.events.get('runt')).toBe(2);
  });

  it('counts a frame longer than the largest as oversize, skips to the next flag, and decodes the next', () => {
    const big = Buffer.alloc(300, 0x41);
    const small = hex('ff03 0021 42');
    const got = decode([encodePppFrames([big, small])], 100);
    expect(got.frames).toEqual([small]);
    expect(got.events.get('oversize')).toBe(1);
  });

  it('accepts a frame exactly as long as the largest', () => {
    const frame = Buffer.alloc(100, 0x7e);
    expect(decode([encodePppFrames([frame])], 100).frames).toEqual([frame]);
  });

  it('forgets a partial frame on reset (a new connection starts hunting for a flag)', () => {
    const events = new Map<string, number>();
    const decoder = pppCodec().decoder((e, n = 1) => events.set(e, (events.get(e) ?? 0) + n));
    const wire = encodePppFrames([LCP_CONF_REQ]);
    expect(decoder.push(wire.subarray(0, 8))).toEqual([]);
    decoder.reset();
    expect(decoder.push(wire.subarray(8))).toEqual([]);
    expect(decoder.push(wire)).toEqual([LCP_CONF_REQ]);
    expect(events.size).toBe(0);
  });

  it('returns frames that do not share memory with the decoder', () => {
    const decoder = new PppDecoder(() => undefined);
    const [first] = decoder.push(encodePppFrames([hex('ff03 0021 01')]));
    decoder.push(encodePppFrames([hex('ff03 0021 02')]));
    expect(first).toEqual(hex('ff03 0021 01'));
  });
});
