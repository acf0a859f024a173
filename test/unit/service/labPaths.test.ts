// A lab's runtime directory is always a folder directly inside the runtime root: labDir() and
// cleanupLab() refuse any name that would reach elsewhere ("..", paths, NUL bytes), so no
// caller can ever remove anything outside the root.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupLab } from '../../../src/engine/host/cleanup.js';
import { isRuntimeChild, labDir } from '../../../src/engine/paths.js';
import { parseAppParams } from '../../../src/shared/commandParams.js';

// <tmp>/outer/run is the runtime root; <tmp>/outer/sentinel sits beside it. Every name below
// that escaped would land inside <tmp>, never elsewhere on the machine.
const tmp = mkdtempSync(join(tmpdir(), 'nwpaths-'));
const outer = join(tmp, 'outer');
const runtime = join(outer, 'run');
const sentinel = join(outer, 'sentinel');
const saved = process.env['NETWEAVE_RUNTIME_DIR'];

/** Names that are not one folder directly inside the runtime root. */
const OUTSIDE = [
  '..',
  '.',
  '',
  '../sentinel',
  '../../outer/sentinel',
  'x/../../sentinel',
  'keep/../../sentinel',
  'keep/..',
  'keep/',
  'keep/inner',
  sentinel,
  `/${'..'}/sentinel`,
  'keep\0',
  '\0',
];

beforeAll(() => {
  process.env['NETWEAVE_RUNTIME_DIR'] = runtime;
  mkdirSync(join(runtime, 'keep', 'inner'), { recursive: true });
  writeFileSync(join(runtime, 'keep', 'inner', 'file'), 'keep');
  mkdirSync(sentinel, { recursive: true });
  writeFileSync(join(sentinel, 'file'), 'sentinel');
});

afterAll(() => {
  if (saved === undefined) delete process.env['NETWEAVE_RUNTIME_DIR'];
  else process.env['NETWEAVE_RUNTIME_DIR'] = saved;
  rmSync(tmp, { recursive: true, force: true });
});

describe('runtime directories stay inside the runtime root', () => {
  test('labDir gives <root>/<name> for a folder name', () => {
    expect(labDir('lab1')).toBe(join(runtime, 'lab1'));
    expect(labDir('my-lab_2')).toBe(join(runtime, 'my-lab_2'));
  });

  test.each(OUTSIDE)('labDir refuses %j', (name) => {
    expect(() => labDir(name)).toThrow(/directly inside/);
  });

  test('isRuntimeChild accepts only direct children, resolved', () => {
    expect(isRuntimeChild(join(runtime, 'a'), runtime)).toBe(true);
    expect(isRuntimeChild(`${runtime}/x/../a`, runtime)).toBe(true);
    expect(isRuntimeChild(runtime, runtime)).toBe(false);
    expect(isRuntimeChild(`${runtime}/`, runtime)).toBe(false);
    expect(isRuntimeChild(join(runtime, 'a', 'b'), runtime)).toBe(false);
    expect(isRuntimeChild(`${runtime}/../sentinel`, runtime)).toBe(false);
    expect(isRuntimeChild(sentinel, runtime)).toBe(false);
    expect(isRuntimeChild('/', runtime)).toBe(false);
    expect(isRuntimeChild(`${runtime}/a\0`, runtime)).toBe(false);
  });

  test.each(OUTSIDE)('cleanupLab(%j) refuses and removes nothing', async (name) => {
    await expect(cleanupLab(name)).rejects.toThrow(/directly inside/);
    expect(existsSync(join(sentinel, 'file'))).toBe(true);
    expect(existsSync(join(runtime, 'keep', 'inner', 'file'))).toBe(true);
    expect(existsSync(runtime)).toBe(true);
  });

  test('cleanupLab still removes a lab directory inside the root', async () => {
    mkdirSync(join(runtime, 'gone', 'sock'), { recursive: true });
    writeFileSync(join(runtime, 'gone', 'engine.json'), 'not json');
    expect(await cleanupLab('gone')).toBe(1);
    expect(existsSync(join(runtime, 'gone'))).toBe(false);
    expect(existsSync(join(sentinel, 'file'))).toBe(true);
  });
});

describe('lab and node names from a client', () => {
  /** What the app service's boundary says of a name given to labAttach / consoleAttach. */
  const refusal = (params: Record<string, string>): string => {
    const cmd = 'node' in params ? 'consoleAttach' : 'labAttach';
    try {
      parseAppParams(cmd, params);
      return '';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };

  test('are held to the topology naming rule, in one sentence', () => {
    expect(parseAppParams('labAttach', { lab: 'lab1' })).toEqual({ lab: 'lab1' });
    expect(refusal({ lab: '../x' })).toBe(
      'lab name "../x" contains "." and "/"; use 1-32 letters, digits, "_" or "-", starting with a letter or digit',
    );
    expect(refusal({ lab: 'lab1', node: '/etc' })).toMatch(/^node name "\/etc" contains "\/"/);
    expect(refusal({ lab: 'a\0' })).toMatch(/^lab name "a\\u0000" contains/);
    expect(refusal({ lab: '..' })).toMatch(/^lab name "\.\." contains "\."/);
  });

  test('a very long name is not quoted back whole', () => {
    const message = refusal({ lab: `../${'a'.repeat(100_000)}` });
    expect(message).toMatch(/^lab name "\.\.\/a+…" is 100003 characters, over the limit of 32/);
    expect(message.length).toBeLessThan(200);
  });
});
