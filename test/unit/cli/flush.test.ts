import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { flushed } from '../../../src/cli/flush.js';

/** More than a pipe or socket buffer holds, so that most of it waits in the stream. */
const OUTPUT_BYTES = 1024 * 1024;

describe('flushed (the CLI waits for its output before process.exit)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('resolves only after a paused socket reader has taken every byte written before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nwflush-'));
    const path = join(dir, 'out.sock');
    let reader: Socket | undefined;
    let received = 0;
    const server = createServer((s) => {
      reader = s;
      s.pause();
      s.on('data', (c: Buffer) => (received += c.length));
    });
    cleanups.push(() => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await new Promise<void>((r) => server.listen(path, r));
    const writer = createConnection(path);
    cleanups.push(() => writer.destroy());
    await new Promise<void>((r) => writer.once('connect', r));
    writer.write(Buffer.alloc(OUTPUT_BYTES, 0x41));

    let done = false;
    const flushing = flushed([writer]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false);
    expect(writer.writableLength).toBeGreaterThan(0);

    reader?.resume();
    await flushing;
    expect(writer.writableLength).toBe(0);
    await new Promise<void>((r) => {
      const check = (): void => (received >= OUTPUT_BYTES ? r() : void setTimeout(check, 10));
      check();
    });
    expect(received).toBe(OUTPUT_BYTES);
  });

  it('resolves for a slow sink once its last chunk is written, and at once for a destroyed stream', async () => {
    const taken: number[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        setTimeout(() => {
          taken.push(chunk.length);
          cb();
        }, 2);
      },
    });
    for (let i = 0; i < 20; i++) slow.write(Buffer.alloc(4096));
    await flushed([slow]);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(20 * 4096);

    const gone = new Writable({ write: (_c, _e, cb) => cb() });
    gone.destroy();
    await expect(flushed([gone])).resolves.toBeUndefined();
  });
});
