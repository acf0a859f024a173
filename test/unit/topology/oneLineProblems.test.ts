// A problem is one line even when the path or value it quotes holds a newline: load errors
// quote the path with JSON.stringify, validation messages escape control characters, and
// formatProblem escapes the file name it starts with.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopologyProblem } from '../../../src/shared/contract.js';
import { loadTopologyFile, readLayoutFile } from '../../../src/engine/topology/index.js';
import {
  formatProblem,
  isFileLevel,
  validateLayoutText,
  validateTopologyText,
} from '../../../src/shared/topology/index.js';

function expectOneLine(problems: readonly TopologyProblem[]): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p.message).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(formatProblem(p)).not.toMatch(/[\n\r\u2028\u2029]/);
  }
}

function problemsOf(result: { ok: true } | { ok: false; problems: TopologyProblem[] }) {
  return result.ok ? [] : result.problems;
}

describe('problems that quote a path or value with a newline', () => {
  let dir: string;
  let odd: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netweave-newline-'));
    odd = join(dir, 'a\nb');
    await mkdir(odd);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('quotes a missing path with JSON escapes, as a file-level problem', async () => {
    const file = join(odd, 'lab\n.yaml');
    const problems = problemsOf(await loadTopologyFile(file));
    expectOneLine(problems);
    expect(problems).toHaveLength(1);
    expect(problems[0] && isFileLevel(problems[0])).toBe(true);
    expect(problems[0]?.message).toBe(
      `cannot read topology file ${JSON.stringify(file)}: the file does not exist; check the path`,
    );
    expect(formatProblem(problems[0]!)).toBe(
      `${JSON.stringify(file).slice(1, -1)}: cannot read topology file ${JSON.stringify(file)}: the file does not exist; check the path`,
    );
  });

  it('keeps a directory, a too-long name and a reader error on one line', async () => {
    expectOneLine(problemsOf(await loadTopologyFile(odd)));
    const long = join(odd, `${'x'.repeat(300)}\n.yaml`);
    const problems = problemsOf(await loadTopologyFile(long));
    expectOneLine(problems);
    expect(problems[0]?.message).toMatch(
      /: the path or one of its names is too long; check the path$/,
    );
  });

  it('escapes the file name of located problems and of the layout sidecar', async () => {
    const file = join(odd, 'lab.yaml');
    await writeFile(file, 'name: lab\nnodes:\n  sw: {kind: swich}\n');
    await writeFile(`${file}.layout.json`, '{"version": 1,\n "nodes": x\n}');
    const problems = problemsOf(await loadTopologyFile(file));
    expectOneLine(problems);
    expect(formatProblem(problems[0]!)).toMatch(/^\/.*a\\nb\/lab\.yaml:3:14: nodes\.sw\.kind: /);
    const layout = await readLayoutFile(file);
    expectOneLine(problemsOf(layout));
  });

  it('escapes what V8 quotes from a broken layout file', () => {
    expectOneLine(problemsOf(validateLayoutText('{"version": 1,\n\n "nodes": {"a"\n: x}}', 'l')));
  });

  it('keeps validation messages that quote values on one line', () => {
    const values: Record<string, string> = {
      'host ready pattern': '  h1: {kind: host, ready: {pattern: "a\\n("}}',
      'board serial path': '  b1: {kind: board, serial: "tty\\nUSB0"}',
      'qemu kernel path and model':
        '  q1: {kind: qemu, board: qemu_x86, kernel: "", nics: {eth0: {model: "e1000\\nx"}}}',
      'native-sim exe and flag':
        '  z1: {kind: native-sim, exe: "", ports: {eth0: {flag: "eth\\nif"}}}',
      'fvp elf and forward': '  f1: {kind: fvp, elf: "", forwards: ["80\\n=22"]}',
      'node name': '  "h\\n1": {kind: host}',
      'interface name': '  h2: {kind: host, interfaces: {"eth\\n0": {}}}',
      'environment value': '  h3: {kind: host, env: {"A\\nB": "x"}}',
      kind: '  h4: {kind: "host\\n"}',
      'unknown key': '  h5: {kind: host, "shell\\n": [sh]}',
      'plain scalar over lines': '  h6: {kind: host, shell: sh\n    -c}\n  h7: {kind: "x\u2028y"}',
    };
    for (const [what, node] of Object.entries(values)) {
      const problems = problemsOf(validateTopologyText(`name: lab\nnodes:\n${node}\n`, 'lab.yaml'));
      expect(problems.length, what).toBeGreaterThan(0);
      for (const p of problems) {
        expect(p.message, what).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(p.line, what).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('escapes control characters that a YAML error message repeats from the text', () => {
    const problems = problemsOf(
      validateTopologyText('name: lab\nnodes: "\\\n\u001b[31m \\q"\n', 'lab\u001b.yaml'),
    );
    expectOneLine(problems);
    for (const p of problems) expect(formatProblem(p)).not.toContain('\u001b');
  });
});
