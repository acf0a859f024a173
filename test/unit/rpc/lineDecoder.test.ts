// The engine socket's line decoder: messages split over any number of chunks, linear in size,
// and a message over the limit refused without taking the process down.
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../../src/engine/rpc/protocol.js';
import { SocketEngineClient } from '../../../src/engine/rpc/client.js';

describe('LineDecoder', () => {
  it('joins a message from many chunks and splits several in one chunk', () => {
    const got: unknown[] = [];
    const d = new LineDecoder((m) => got.push(m));
    const big = JSON.stringify({ t: 'result', id: 1, result: 'x'.repeat(3_000_000) });
    for (let i = 0; i < big.length; i += 4096) d.push(big.slice(i, i + 4096));
    d.push('\n{"a":1}\n\n{"b":2}\nnot json\n{"c"');
    d.push(':3}\n');
    expect(got).toHaveLength(4);
    expect((got[0] as { result: string }).result.length).toBe(3_000_000);
    expect(got.slice(1)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('refuses a line over the limit', () => {
    const d = new LineDecoder(() => undefined);
    const chunk = 'y'.repeat(1024 * 1024);
    expect(() => {
      for (let i = 0; i <= LineDecoder.MAX_LINE / chunk.length; i++) d.push(chunk);
    }).toThrow(/exceeded 64 MiB/);
    // And starts afresh after.
    const got: unknown[] = [];
    const e = new LineDecoder((m) => got.push(m));
    e.push('{"ok":true}\n');
    expect(got).toEqual([{ ok: true }]);
  });

  it('a client fed an oversized answer fails the call in a sentence, not the process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nwrpc-'));
    const path = join(dir, 's');
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => {
        const chunk = Buffer.alloc(1024 * 1024, 0x61);
        let sent = 0;
        const more = (): void => {
          while (sent <= LineDecoder.MAX_LINE / chunk.length + 1) {
            sent++;
            if (!s.write(chunk)) {
              s.once('drain', more);
              return;
            }
          }
        };
        more();
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const client = await SocketEngineClient.connect(path);
      const err = await client.call('status', {}).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe(
        'a message on the engine socket exceeded 64 MiB; the connection to the engine was closed',
      );
      expect(client.isClosed).toBe(true);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
