// The layout sidecar: round trip, missing file, malformed file, and the topology left untouched.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/shared/contract.js';
import {
  layoutPathFor,
  readLayoutFile,
  writeLayoutFile,
} from '../../../src/engine/topology/index.js';
import { formatProblem, type Layout } from '../../../src/shared/topology/index.js';

const TOPOLOGY = 'name: lab\nnodes:\n  sw: {kind: switch}\n';

describe('layout sidecar', () => {
  let dir: string;
  let topologyFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netweave-layout-'));
    topologyFile = join(dir, 'lab.yaml');
    await writeFile(topologyFile, TOPOLOGY);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives next to the topology as <file>.layout.json', () => {
    expect(layoutPathFor('/labs/two-hosts.yaml')).toBe('/labs/two-hosts.yaml.layout.json');
  });

  it('reads a missing sidecar as an empty layout', async () => {
    expect(await readLayoutFile(topologyFile)).toEqual({
      ok: true,
      layout: { version: 1, nodes: {} },
    });
  });

  it('round-trips positions without touching the topology or leaving temp files', async () => {
    const before = await stat(topologyFile);
    const layout: Layout = { version: 1, nodes: { sw: { x: 120, y: -40.5 }, h1: { x: 0, y: 0 } } };
    await writeLayoutFile(topologyFile, layout);
    expect(await readLayoutFile(topologyFile)).toEqual({ ok: true, layout });
    await writeLayoutFile(topologyFile, { version: 1, nodes: { sw: { x: 1, y: 2 } } });
    expect(await readLayoutFile(topologyFile)).toEqual({
      ok: true,
      layout: { version: 1, nodes: { sw: { x: 1, y: 2 } } },
    });
    expect(await readFile(topologyFile, 'utf8')).toBe(TOPOLOGY);
    expect((await stat(topologyFile)).mtimeMs).toBe(before.mtimeMs);
    expect((await readdir(dir)).sort()).toEqual(['lab.yaml', 'lab.yaml.layout.json']);
    expect(await readFile(layoutPathFor(topologyFile), 'utf8')).toBe(
      '{\n  "version": 1,\n  "nodes": {\n    "sw": {\n      "x": 1,\n      "y": 2\n    }\n  }\n}\n',
    );
  });

  it('reports malformed JSON as one problem with its line and column', async () => {
    await writeFile(layoutPathFor(topologyFile), '{\n  "version": 1,\n  "nodes": {,}\n}\n');
    const result = await readLayoutFile(topologyFile);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      file: layoutPathFor(topologyFile),
      line: 3,
      column: 13,
    });
    expect(result.problems[0]?.message).toMatch(
      /^layout file is not valid JSON \(.+\); fix it, or delete it to reset node positions$/,
    );
  });

  it('reports a wrong shape at the offending value', async () => {
    await writeFile(
      layoutPathFor(topologyFile),
      '{\n  "version": 1,\n  "nodes": {\n    "sw": {"x": "left", "y": 2}\n  }\n}\n',
    );
    const result = await readLayoutFile(topologyFile);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `${layoutPathFor(topologyFile)}:4:17: nodes.sw.x: expected a number, got "left"`,
    ]);
  });

  it('reports an unsupported version', async () => {
    await writeFile(layoutPathFor(topologyFile), '{"version": 2, "nodes": {}}');
    const result = await readLayoutFile(topologyFile);
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      'version: unsupported layout version 2; this netweave reads version 1',
    ]);
  });

  it('refuses to write a layout that could not be read back', async () => {
    await expect(
      writeLayoutFile(topologyFile, { version: 1, nodes: { sw: { x: Number.NaN, y: 0 } } }),
    ).rejects.toBeInstanceOf(EngineError);
    expect(await readdir(dir)).toEqual(['lab.yaml']);
  });
});
