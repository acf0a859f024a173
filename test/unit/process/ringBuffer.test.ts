import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCROLLBACK_BYTES,
  RingBuffer,
  incompleteUtf8Tail,
} from '../../../src/engine/process/ringBuffer.js';

describe('RingBuffer', () => {
  it('defaults to 1 MiB of scrollback', () => {
    expect(DEFAULT_SCROLLBACK_BYTES).toBe(1_048_576);
    expect(new RingBuffer().capacity).toBe(1_048_576);
  });

  it('reads back appended strings and Buffers in order', () => {
    const ring = new RingBuffer(64);
    ring.append('hello ');
    ring.append(Buffer.from('world'));
    expect(ring.read()).toBe('hello world');
    expect(ring.byteLength).toBe(11);
  });

  it('drops the oldest bytes once full and never exceeds its capacity', () => {
    const ring = new RingBuffer(10);
    for (let i = 0; i < 10; i++) ring.append(`${i}abc`);
    expect(ring.byteLength).toBeLessThanOrEqual(10);
    expect(ring.read()).toBe('bc8abc9abc');
  });

  it('keeps only the newest capacity bytes of a single oversized append', () => {
    const ring = new RingBuffer(8);
    ring.append('0123456789abcdef');
    expect(ring.read()).toBe('89abcdef');
  });

  it('never starts with half a UTF-8 character, whatever the capacity', () => {
    const text = 'aé€😀'.repeat(50);
    const full = Buffer.from(text);
    for (let capacity = 4; capacity <= 40; capacity++) {
      for (const chunk of [1, 3, 7, 64]) {
        const ring = new RingBuffer(capacity);
        for (let i = 0; i < full.length; i += chunk) ring.append(full.subarray(i, i + chunk));
        const out = ring.read();
        expect(out).not.toContain('\uFFFD');
        expect(text.endsWith(out)).toBe(true);
        expect(ring.byteLength).toBeLessThanOrEqual(capacity);
        // At most one character (4 bytes) is lost to alignment.
        expect(Buffer.byteLength(out)).toBeGreaterThanOrEqual(capacity - 3);
      }
    }
  });

  it('holds back an incomplete character at the end until the rest arrives', () => {
    const ring = new RingBuffer(64);
    const euro = Buffer.from('€');
    ring.append('x');
    ring.append(euro.subarray(0, 2));
    expect(ring.read()).toBe('x');
    ring.append(euro.subarray(2));
    expect(ring.read()).toBe('x€');
  });

  it('keeps a private copy of appended Buffers', () => {
    const ring = new RingBuffer(64);
    const buf = Buffer.from('abc');
    ring.append(buf);
    buf.fill(0x7a);
    expect(ring.read()).toBe('abc');
  });

  it('stays correct over many small appends (chunk compaction)', () => {
    const ring = new RingBuffer(100);
    let all = '';
    for (let i = 0; i < 20_000; i++) {
      ring.append(`${i % 10}`);
      all += `${i % 10}`;
    }
    expect(ring.read()).toBe(all.slice(-100));
  });

  it('clears', () => {
    const ring = new RingBuffer(16);
    ring.append('abc');
    ring.clear();
    expect(ring.read()).toBe('');
    expect(ring.byteLength).toBe(0);
  });

  it('rejects a capacity smaller than one character', () => {
    expect(() => new RingBuffer(3)).toThrow(RangeError);
  });

  it('measures an incomplete UTF-8 tail', () => {
    expect(incompleteUtf8Tail(Buffer.from('ab'))).toBe(0);
    expect(incompleteUtf8Tail(Buffer.from('😀').subarray(0, 3))).toBe(3);
    expect(incompleteUtf8Tail(Buffer.from('😀'))).toBe(0);
  });
});
