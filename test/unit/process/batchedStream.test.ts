import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BATCH_INTERVAL_MS,
  BATCH_MAX_CHARS,
  BatchedStream,
  FLOW_HIGH_WATERMARK_CHARS,
  FLOW_LOW_WATERMARK_CHARS,
} from '../../../src/engine/process/batchedStream.js';

/** A source that records flow-control calls. */
function recordingSource(): { calls: string[]; pause(): void; resume(): void } {
  const calls: string[] = [];
  return { calls, pause: () => calls.push('pause'), resume: () => calls.push('resume') };
}

describe('BatchedStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the documented defaults (16 ms, 200 KB, 4M/2M watermarks)', () => {
    expect(BATCH_INTERVAL_MS).toBe(16);
    expect(BATCH_MAX_CHARS).toBe(200 * 1024);
    expect(FLOW_HIGH_WATERMARK_CHARS).toBe(4_000_000);
    expect(FLOW_LOW_WATERMARK_CHARS).toBe(2_000_000);
  });

  it('joins chunks pushed within one interval into one batch', () => {
    const stream = new BatchedStream();
    const batches: string[] = [];
    stream.onBatch((b) => batches.push(b));
    stream.push('a');
    stream.push('b');
    vi.advanceTimersByTime(BATCH_INTERVAL_MS - 1);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual(['ab']);
    stream.push('c');
    vi.advanceTimersByTime(BATCH_INTERVAL_MS);
    expect(batches).toEqual(['ab', 'c']);
    stream.dispose();
  });

  it('sends a batch at once when it reaches the size limit', () => {
    const stream = new BatchedStream({ batchMaxChars: 10 });
    const batches: string[] = [];
    stream.onBatch((b) => batches.push(b));
    stream.push('12345');
    stream.push('67890');
    expect(batches).toEqual(['1234567890']);
    expect(vi.getTimerCount()).toBe(0);
    stream.dispose();
  });

  it('pauses the source above the high watermark and resumes below the low one after acks', () => {
    const source = recordingSource();
    const stream = new BatchedStream({ source, highWatermarkChars: 100, lowWatermarkChars: 10 });
    stream.push('x'.repeat(100));
    expect(source.calls).toEqual([]);
    stream.push('x');
    expect(source.calls).toEqual(['pause']);
    expect(stream.isPaused).toBe(true);
    stream.push('x'.repeat(50));
    expect(source.calls).toEqual(['pause']);
    expect(stream.unacknowledgedChars).toBe(151);
    stream.ack(100);
    expect(stream.isPaused).toBe(true);
    stream.ack(42);
    expect(stream.unacknowledgedChars).toBe(9);
    expect(source.calls).toEqual(['pause', 'resume']);
    expect(stream.isPaused).toBe(false);
    stream.dispose();
  });

  it('sends the batch at once when it pauses the source: nothing more comes until acks', () => {
    const source = recordingSource();
    const stream = new BatchedStream({ source, highWatermarkChars: 100, lowWatermarkChars: 10 });
    const batches: string[] = [];
    stream.onBatch((b) => batches.push(b));
    stream.push('x'.repeat(60));
    expect(batches).toEqual([]);
    stream.push('y'.repeat(60));
    expect(source.calls).toEqual(['pause']);
    expect(batches).toEqual(['x'.repeat(60) + 'y'.repeat(60)]);
    expect(vi.getTimerCount()).toBe(0);
    stream.dispose();
  });

  it('flushes on demand', () => {
    const stream = new BatchedStream();
    const batches: string[] = [];
    stream.onBatch((b) => batches.push(b));
    stream.push('now');
    stream.flush();
    expect(batches).toEqual(['now']);
    expect(vi.getTimerCount()).toBe(0);
    stream.dispose();
  });

  it('on dispose drops pending text, clears its timer and resumes a paused source', () => {
    const source = recordingSource();
    const stream = new BatchedStream({ source, highWatermarkChars: 5, lowWatermarkChars: 1 });
    const batches: string[] = [];
    stream.onBatch((b) => batches.push(b));
    stream.push('123456');
    stream.push('7');
    stream.dispose();
    stream.dispose();
    vi.advanceTimersByTime(BATCH_INTERVAL_MS * 2);
    // The batch that paused the source went at once; what came after it is dropped.
    expect(batches).toEqual(['123456']);
    expect(source.calls).toEqual(['pause', 'resume']);
    expect(vi.getTimerCount()).toBe(0);
    stream.push('ignored');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a low watermark above the high one', () => {
    expect(() => new BatchedStream({ highWatermarkChars: 10, lowWatermarkChars: 20 })).toThrow(
      RangeError,
    );
  });
});
