// loadTopologyFile: unreadable files become one problem naming the path.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../src/engine/topology/index.js';
import { formatProblem } from '../../../src/shared/topology/index.js';

describe('loadTopologyFile', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netweave-load-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('turns a missing file into one problem that names the path', async () => {
    const file = join(dir, 'nope.yaml');
    const result = await loadTopologyFile(file);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `${file}: cannot read topology file "${file}": the file does not exist; check the path`,
    ]);
  });

  it('turns a directory into one problem', async () => {
    const result = await loadTopologyFile(dir);
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      `cannot read topology file "${dir}": it is a directory; give the path of a file`,
    ]);
  });

  it('refuses a file that is not UTF-8', async () => {
    const file = join(dir, 'latin1.yaml');
    await writeFile(file, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    const result = await loadTopologyFile(file);
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      `cannot read topology file "${file}": it is not UTF-8 text; save it as UTF-8`,
    ]);
  });

  it('validates what it reads and labels problems with the path', async () => {
    const file = join(dir, 'lab.yaml');
    await writeFile(file, '\ufeffname: lab\nnodes:\n  sw: {kind: swich}\n');
    const result = await loadTopologyFile(file);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `${file}:3:14: nodes.sw.kind: unknown kind "swich"; valid kinds are host, switch, native-sim, fvp, qemu, board, radio-154`,
    ]);
  });
});
