// The app service's files: opened and saved byte-exactly, the layout sidecar untouched when the
// positions did not change, bad files reported as the CLI reports them.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  listExampleFiles,
  openTopologyFile,
  saveTopologyFile,
} from '../../../src/service/files.js';
import { scrollbackOverlap } from '../../../src/service/consoleJoin.js';
import { setValue } from '../../../src/shared/editor/index.js';
import { ROOT } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nwfiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('topology files in the app', () => {
  test('a file opened and saved unchanged is byte-identical, and so is its sidecar', async () => {
    const file = join(dir, 'two-hosts.yaml');
    copyFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), file);
    const layout =
      '{\n  "version": 1,\n  "nodes": {\n    "h1": {\n      "x": 1,\n      "y": 2\n    }\n  }\n}\n';
    writeFileSync(`${file}.layout.json`, layout);
    const before = readFileSync(file);
    const sidecarTime = statSync(`${file}.layout.json`).mtimeMs;
    const opened = await openTopologyFile(file);
    expect(opened.problems).toEqual([]);
    expect(opened.layout?.nodes['h1']).toEqual({ x: 1, y: 2 });
    await saveTopologyFile(file, opened.text, opened.layout);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readFileSync(`${file}.layout.json`, 'utf8')).toBe(layout);
    expect(statSync(`${file}.layout.json`).mtimeMs).toBe(sidecarTime);
  });

  test('an edit saved elsewhere in the file keeps its comments', async () => {
    const file = join(dir, 'edited.yaml');
    copyFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), file);
    const opened = await openTopologyFile(file);
    const text = setValue(opened.text, ['nodes', 'h1', 'interfaces', 'eth0', 'mtu'], 1280);
    await saveTopologyFile(file, text, { version: 1, nodes: { h1: { x: 0, y: 0 } } });
    const saved = readFileSync(file, 'utf8');
    expect(saved).toContain('# lab name: 1-32 chars');
    expect(saved).toContain('# optional: isolated (default) | host');
    expect(saved).toContain('mtu: 1280');
    expect(JSON.parse(readFileSync(`${file}.layout.json`, 'utf8'))).toEqual({
      version: 1,
      nodes: { h1: { x: 0, y: 0 } },
    });
  });

  test('a bad file opens with the same located problems the CLI prints', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nnodes:\n  x: {kind: router}\n');
    const opened = await openTopologyFile(file);
    expect(opened.problems[0]).toMatchObject({ file, line: 3 });
    expect(opened.problems[0]?.message).toMatch(/unknown kind "router"/);
    await expect(openTopologyFile(join(dir, 'missing.yaml'))).rejects.toThrow(/does not exist/);
  });

  test('the bundled examples are listed with their lab names', async () => {
    const examples = await listExampleFiles();
    expect(examples.map((e) => e.name)).toEqual(
      expect.arrayContaining(['two-hosts', 'three-hosts']),
    );
  });

  test('a console attached late does not repeat output that its scrollback already holds', () => {
    expect(scrollbackOverlap('boot\nh1# ', 'h1# ping')).toBe(4);
    expect(scrollbackOverlap('abc', 'xyz')).toBe(0);
    expect(scrollbackOverlap('', 'abc')).toBe(0);
  });
});
