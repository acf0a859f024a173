import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDirectory, findExecutable } from '../../../src/engine/process/executable.js';

const dir = mkdtempSync(path.join(tmpdir(), 'netweave-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findExecutable', () => {
  it('finds a bare name on PATH', async () => {
    const found = await findExecutable('sh', '/', { PATH: '/nonexistent:/usr/bin:/bin' });
    expect(found).toEqual({ ok: true, path: '/usr/bin/sh' });
  });

  it('uses the libc default path when the environment has no PATH', async () => {
    expect((await findExecutable('sh', '/', {})).ok).toBe(true);
  });

  it('reports a bare name missing from PATH', async () => {
    expect(await findExecutable('netweave-no-such-tool', '/', { PATH: '/usr/bin' })).toEqual({
      ok: false,
      problem: 'netweave-no-such-tool not found on PATH',
    });
  });

  it('reports a missing absolute path', async () => {
    expect(await findExecutable('/usr/bin/netweave-missing', '/', {})).toEqual({
      ok: false,
      problem: '/usr/bin/netweave-missing not found',
    });
  });

  it('resolves a relative path against the working directory', async () => {
    const script = path.join(dir, 'tool.sh');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o755);
    expect(await findExecutable('./tool.sh', dir, {})).toEqual({ ok: true, path: script });
  });

  it('reports a file without execute permission and a directory', async () => {
    const plain = path.join(dir, 'plain');
    writeFileSync(plain, 'data');
    chmodSync(plain, 0o644);
    expect(await findExecutable(plain, '/', {})).toEqual({
      ok: false,
      problem: `${plain} is not an executable file`,
    });
    expect((await findExecutable(dir, '/', {})).ok).toBe(false);
  });
});

describe('checkDirectory', () => {
  it('accepts a directory and names a missing one', async () => {
    expect(await checkDirectory(dir)).toBeUndefined();
    expect(await checkDirectory('/nonexistent-netweave')).toBe(
      'working directory /nonexistent-netweave does not exist',
    );
  });
});
