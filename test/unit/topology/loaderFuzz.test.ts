// Property test of the topology loader: seeded mutations of every bundled topology (examples,
// packaged examples, fixtures) never make it throw, hang or print a problem that has no
// position or spans lines. A failure names the seed, the file and the mutations; rerun with
// NETWEAVE_FUZZ_SEED=<seed> (and NETWEAVE_FUZZ_MUTANTS=<n> per file for a longer run).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopologyProblem } from '../../../src/shared/contract.js';
import { loadTopologyFile } from '../../../src/engine/topology/index.js';
import { isFileLevel, validateTopologyText } from '../../../src/shared/topology/index.js';
import { mutate, Prng } from '../../helpers/topologyFuzz.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The seed of this run: fixed, so CI is repeatable; NETWEAVE_FUZZ_SEED explores others. */
const SEED = Number(process.env.NETWEAVE_FUZZ_SEED ?? 0x5eed_0015) >>> 0;
/** Mutants per bundled file: about 45 files, so a few thousand loads per run. */
const MUTANTS_PER_FILE = Number(process.env.NETWEAVE_FUZZ_MUTANTS ?? 80);
/** Every how many mutants one also goes through loadTopologyFile (a real file on disk). */
const ON_DISK_EVERY = 6;
/**
 * Longest one load may take. Each mutant is at most a few hundred KB (the largest insertions
 * are 20,000 characters), which validates in milliseconds; the bound is generous for a loaded
 * 2-core CI machine and still catches a superlinear step.
 */
const LOAD_BOUND_MS = 2_000;

// Anything that would break a message over lines or drive a terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(path)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Why a result breaks the loader's contract, or undefined when it keeps it. */
function contractBreach(text: string, problems: readonly TopologyProblem[]): string | undefined {
  const lineCount = text.split('\n').length;
  for (const p of problems) {
    if (!isFileLevel(p)) {
      const located =
        Number.isInteger(p.line) && Number.isInteger(p.column) && p.line >= 1 && p.column >= 1;
      if (!located) return `problem without a position (${p.line}:${p.column}): ${p.message}`;
      if (p.line > lineCount + 1) return `line ${p.line} is past the end (${lineCount} lines)`;
    }
    if (p.message.includes('\n') || CONTROL.test(p.message)) {
      return `message is not one line: ${JSON.stringify(p.message)}`;
    }
    if (p.message.includes('internal error')) return `validation threw: ${p.message}`;
    if (p.message === '') return 'empty message';
  }
  return undefined;
}

describe('topology loader under seeded mutations', () => {
  let dir: string;
  let seeds: { name: string; bytes: Buffer }[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netweave-fuzz-'));
    const files = [
      ...(await yamlFiles(join(ROOT, 'examples'))),
      ...(await yamlFiles(join(ROOT, 'resources', 'examples'))),
      ...(await yamlFiles(join(ROOT, 'test', 'fixtures', 'topology'))),
    ];
    seeds = await Promise.all(
      files.map(async (f) => ({ name: f.slice(ROOT.length), bytes: await readFile(f) })),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the bundled topologies to mutate', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(10);
    expect(seeds.some((s) => s.name.startsWith('examples'))).toBe(true);
  });

  it('returns located, one-line problems and never throws or hangs', async () => {
    const rng = new Prng(SEED);
    let loads = 0;
    let accepted = 0;
    let slowest = { ms: 0, what: '' };
    for (const seed of seeds) {
      for (let i = 0; i < MUTANTS_PER_FILE; i++) {
        const { bytes, applied } = mutate(seed.bytes, rng);
        const what = `seed ${SEED} (NETWEAVE_FUZZ_SEED=${SEED}), ${seed.name} mutant ${i}: ${applied.join(', ')}`;
        const text = bytes.toString('utf8');
        const start = performance.now();
        let result;
        try {
          result = validateTopologyText(text, 'mutant.yaml');
        } catch (err) {
          expect.fail(`${what}: validateTopologyText threw ${String(err)}`);
        }
        const ms = performance.now() - start;
        loads++;
        if (ms > slowest.ms) slowest = { ms, what };
        if (ms > LOAD_BOUND_MS) {
          expect.fail(`${what}: took ${ms.toFixed(0)} ms (bound ${LOAD_BOUND_MS} ms)`);
        }
        if (!result.ok) {
          const breach = contractBreach(text, result.problems);
          if (breach) expect.fail(`${what}: ${breach}\n--- mutant ---\n${text.slice(0, 2000)}`);
        } else {
          // Accepted by the fast reading: the positioned one must agree, value for value.
          accepted++;
          const positioned = validateTopologyText(text, 'mutant.yaml', { fastRead: false });
          if (!positioned.ok) {
            expect.fail(
              `${what}: js-yaml accepted what the positioned reading refuses: ${positioned.problems[0]?.message ?? ''}\n--- mutant ---\n${text.slice(0, 2000)}`,
            );
          }
          expect(positioned.topology, what).toEqual(result.topology);
        }
        if (i % ON_DISK_EVERY === 0) {
          // Bytes as they are, invalid UTF-8 included: the reader's path.
          const file = join(dir, `m${loads}.yaml`);
          await writeFile(file, bytes);
          const loaded = await loadTopologyFile(file);
          loads++;
          if (!loaded.ok) {
            const breach = contractBreach(text, loaded.problems);
            if (breach) expect.fail(`${what} (from disk): ${breach}`);
          }
          await rm(file);
        }
      }
    }
    expect(loads).toBeGreaterThan(2_000);
    // Enough mutants stay valid for the two readings to be compared on them.
    expect(accepted).toBeGreaterThan(50);
    // Shown with --reporter=verbose; useful when tuning LOAD_BOUND_MS.
    console.log(
      `${loads} loads (${accepted} valid), slowest ${slowest.ms.toFixed(0)} ms: ${slowest.what}`,
    );
  });
});
