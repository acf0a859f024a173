// scripts/loadBundle.cjs, which runs the CLI and engine bundles with V8's code cache: the bundle
// runs as a CommonJS main module whether or not a cache is there, a missing or rejected cache is
// written when the process exits, a good one is used as it is, and a cache that cannot be
// written costs nothing but the cache.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const LOADER = resolve(import.meta.dirname, '../../../scripts/loadBundle.cjs');
const dir = mkdtempSync(join(tmpdir(), 'nwbundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle that uses what a CommonJS module has, and its stub (as bundle.mjs writes them). */
function makeBundle(name: string): { stub: string; cache: string } {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'helper.cjs'), 'module.exports = (s) => s.toUpperCase();\n');
  writeFileSync(
    join(folder, 'app.bundle.cjs'),
    [
      "const { basename } = require('node:path');",
      "const up = require('./helper.cjs');",
      'function answer() { return 6 * 7; }',
      "process.stdout.write(`${up('ran')} ${basename(__filename)} ${answer()} ${process.argv.slice(2).join(',')}\\n`);",
      '',
    ].join('\n'),
  );
  const stub = join(folder, 'app.cjs');
  writeFileSync(
    stub,
    `require(${JSON.stringify(LOADER)}).loadBundle(require('node:path').join(__dirname, 'app.bundle.cjs'), 'abc123');\n`,
  );
  return { stub, cache: join(folder, `app.bundle.cjs.abc123.${process.versions.v8}.v8cache`) };
}

function run(stub: string): string {
  return execFileSync(process.execPath, [stub, 'a', 'b'], { encoding: 'utf8' });
}

describe('loadBundle', () => {
  it('runs the bundle as a CommonJS main module and writes its cache as the process exits', () => {
    const { stub, cache } = makeBundle('fresh');
    expect(run(stub)).toBe('RAN app.bundle.cjs 42 a,b\n');
    expect(statSync(cache).size).toBeGreaterThan(0);
    const written = statSync(cache).mtimeMs;
    // The next run uses the cache as it is: same output, the file is not written again.
    expect(run(stub)).toBe('RAN app.bundle.cjs 42 a,b\n');
    expect(statSync(cache).mtimeMs).toBe(written);
    expect(readdirSync(join(dir, 'fresh')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('runs over a cache V8 rejects and replaces it', () => {
    const { stub, cache } = makeBundle('rejected');
    writeFileSync(cache, Buffer.alloc(256, 7));
    expect(run(stub)).toBe('RAN app.bundle.cjs 42 a,b\n');
    expect(statSync(cache).size).not.toBe(256);
  });

  it('runs when the cache cannot be read or written, and leaves nothing behind', () => {
    const { stub, cache } = makeBundle('unwritable');
    mkdirSync(cache); // where the cache file should be
    expect(run(stub)).toBe('RAN app.bundle.cjs 42 a,b\n');
    expect(statSync(cache).isDirectory()).toBe(true);
    expect(readdirSync(join(dir, 'unwritable')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
