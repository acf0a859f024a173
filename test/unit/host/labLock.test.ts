// The per-lab lock (src/engine/host/labLock.ts): one holder at a time, waiters learn who holds
// it, nested use in one command does not wait for itself, and a holder killed with SIGKILL
// leaves nothing that blocks the next command.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/shared/contract.js';
import { withLabLock } from '../../../src/engine/host/labLock.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'nwlock-'));
// Lock names derive from the runtime directory: a private one keeps real labs out of the way.
process.env['NETWEAVE_RUNTIME_DIR'] = join(dir, 'run');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('withLabLock', () => {
  it('serialises two holders of one lab and tells the waiter who holds it', async () => {
    const order: string[] = [];
    const notices: string[] = [];
    const first = withLabLock('lab-a', 'up a.yaml', async () => {
      order.push('first in');
      await sleep(400);
      order.push('first out');
    });
    await sleep(50);
    const second = withLabLock(
      'lab-a',
      'down lab-a',
      () => {
        order.push('second');
        return Promise.resolve(7);
      },
      { notice: (l) => notices.push(l) },
    );
    await first;
    expect(await second).toBe(7);
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(notices).toEqual([
      `waiting for \`netweave up a.yaml\` (pid ${process.pid}) to finish with lab "lab-a"`,
    ]);
  });

  it('does not make two labs wait for each other', async () => {
    const order: string[] = [];
    const a = withLabLock('lab-b', 'up b', async () => {
      await sleep(300);
      order.push('b');
    });
    await sleep(30);
    await withLabLock('lab-c', 'up c', () => {
      order.push('c');
      return Promise.resolve();
    });
    await a;
    expect(order).toEqual(['c', 'b']);
  });

  it('runs nested use of the same lab at once', async () => {
    const r = await withLabLock('lab-d', 'up d', () =>
      withLabLock('lab-d', 'down d', () => Promise.resolve('inner')),
    );
    expect(r).toBe('inner');
  });

  it('refuses in one sentence after the wait, naming the holder', async () => {
    let release: () => void = () => undefined;
    const held = withLabLock('lab-e', 'up e.yaml', () => new Promise<void>((r) => (release = r)));
    await sleep(50);
    const err = await withLabLock('lab-e', 'down lab-e', () => Promise.resolve(), {
      waitMs: 300,
    }).catch((e: unknown) => e);
    release();
    await held;
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('busy');
    expect((err as EngineError).message).toBe(
      `lab "lab-e" is being changed by \`netweave up e.yaml\` (pid ${process.pid}); try again when it has finished`,
    );
    // Released: the next holder gets it at once.
    await expect(withLabLock('lab-e', 'x', () => Promise.resolve(1), { waitMs: 0 })).resolves.toBe(
      1,
    );
  });

  it('is free again the moment a holder is killed with SIGKILL', async () => {
    const script = join(dir, 'holder.mjs');
    writeFileSync(
      script,
      `process.env.NETWEAVE_RUNTIME_DIR = ${JSON.stringify(process.env['NETWEAVE_RUNTIME_DIR'])};
const { withLabLock } = await import(${JSON.stringify(join(ROOT, 'dist', 'engine', 'host', 'labLock.js'))});
await withLabLock('lab-f', 'up f', async () => {
  process.stdout.write('held\\n');
  await new Promise(() => setInterval(() => undefined, 1000));
});
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    const busy = await withLabLock('lab-f', 'down f', () => Promise.resolve(), {
      waitMs: 200,
    }).catch((e: unknown) => (e as Error).message);
    expect(busy).toContain(`\`netweave up f\` (pid ${child.pid})`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await expect(
      withLabLock('lab-f', 'down f', () => Promise.resolve('ok'), { waitMs: 1000 }),
    ).resolves.toBe('ok');
  });
});
