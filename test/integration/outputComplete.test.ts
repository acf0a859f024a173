// Output through a pipe arrives whole (issue 15): the CLI exits only once stdout reached the
// reader, `exec` carries any bytes (NULs, invalid UTF-8) exactly, output past the engine's limit
// is reported rather than cut silently, and a validation report of several MB is valid JSON.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliEnv, leftovers } from '../helpers/cli.js';

const env = new CliEnv();
const files = join(env.runtime, '..', 'files');
mkdirSync(files, { recursive: true });
const LAB = 'pipe-out';

beforeAll(async () => {
  const f = join(files, 'lab.yaml');
  writeFileSync(f, `name: ${LAB}\nnodes:\n  h1: {kind: host}\n`);
  const r = await env.run(['up', f, '--detach']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await env.run(['down', LAB]);
  expect(await leftovers(env, LAB)).toEqual([]);
  env.dispose();
});

/** Runs the CLI with stdout as a pipe read to the end as bytes. */
async function bytesOf(
  args: string[],
): Promise<{ code: number | null; out: Buffer; errBytes: Buffer; err: string }> {
  const child = env.spawn(args);
  child.stdin?.end();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d));
  child.stderr?.on('data', (d: Buffer) => errChunks.push(d));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  const errBytes = Buffer.concat(errChunks);
  return { code, out: Buffer.concat(chunks), errBytes, err: errBytes.toString('utf8') };
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('output through a pipe', () => {
  it('exec of 6 MB of NULs arrives whole', async () => {
    const r = await bytesOf(['exec', 'h1', '--', 'head', '-c', '6000000', '/dev/zero']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.length).toBe(6_000_000);
    expect(r.out.every((b) => b === 0)).toBe(true);
  });

  it('exec of 4 MB of random bytes arrives byte for byte, on stdout and on stderr', async () => {
    const file = join(files, 'random.bin');
    const data = Buffer.alloc(4_000_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    writeFileSync(file, data);
    const out = await bytesOf(['exec', 'h1', '--', 'cat', file]);
    expect(out.code, out.err).toBe(0);
    expect(sha(out.out)).toBe(sha(data));
    const err = await bytesOf(['exec', 'h1', '--', 'sh', '-c', `cat "$0" >&2`, file]);
    expect(err.code).toBe(0);
    expect(err.out.length).toBe(0);
    expect(sha(err.errBytes)).toBe(sha(data));
  });

  it('exec output past the engine limit says so and fails', async () => {
    const r = await bytesOf(['exec', 'h1', '--', 'head', '-c', '20000000', '/dev/zero']);
    expect(r.code).toBe(1);
    expect(r.out.length).toBe(16 * 1024 * 1024);
    expect(r.err.trim()).toBe(
      'netweave: the output of "head -c 20000000 /dev/zero" passed 16 MiB and was cut there; write it to a file inside the node instead',
    );
  });

  it('validate --json of a file with thousands of problems is whole, valid JSON', async () => {
    const f = join(files, 'many-problems.yaml');
    const lines = ['name: many', 'nodes:'];
    for (let i = 0; i < 12_000; i++) lines.push(`  n${i}: {kind: nosuchkind${i}, stray_key: 1}`);
    writeFileSync(f, `${lines.join('\n')}\n`);
    const r = await bytesOf(['validate', f, '--json']);
    expect(r.code).not.toBe(0);
    expect(r.out.length).toBeGreaterThan(2_000_000);
    const report = JSON.parse(r.out.toString('utf8')) as { ok: boolean; problems: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThanOrEqual(12_000);
  });
});
