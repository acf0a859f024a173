// The fabric benchmark (`node dist/bench/run.js fabric --quick`, the fabric/kernel-bridge
// comparison with 1-second measurements) leaves nothing behind: no iperf3, no process of its
// run or of its lab, no namespace, no interface, no folder; when it completes, when a setup step
// fails, and when it is stopped with SIGTERM mid-measurement. A setup step that does not do
// what it says (ethtool -K that leaves the offloads on) fails the benchmark in one sentence
// instead of measuring something else. A correctness test, not a timed one: its timeouts are
// generous for a loaded 2-core machine. Needs root (the benchmark's drain opens TAPs in
// namespaces) and the built dist/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labId } from '../../src/engine/paths.js';
import { ROOT } from '../helpers/cli.js';

const RUN_JS = join(ROOT, 'dist', 'bench', 'run.js');
const isRoot = process.getuid?.() === 0;
const LAB = 'bench-fabric';
/** Every offload the offloads-off bridge must show after ethtool -K. */
const ALL_OFF = 'tso off, gso off, gro off, tx off, rx off';

/** What the machine shows that the benchmark could leave behind. */
interface Machine {
  /** `ip netns list` names. */
  netns: Set<string>;
  /** Entries of /run/netns. */
  runNetns: Set<string>;
  /** Interfaces of the machine's namespace: name -> alias. */
  links: Map<string, string>;
  /** iperf3 processes: "pid:start time". */
  iperf3: Set<string>;
}

function procStart(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function pids(): string[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
}

function run(argv: string[]): Promise<string> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

async function machine(): Promise<Machine> {
  const netns = new Set(
    (await run(['ip', 'netns', 'list']))
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean),
  );
  const runNetns = new Set(existsSync('/run/netns') ? readdirSync('/run/netns') : []);
  const links = new Map<string, string>();
  for (const l of JSON.parse(await run(['ip', '-j', 'link', 'show'])) as {
    ifname: string;
    ifalias?: string;
  }[]) {
    links.set(l.ifname, l.ifalias ?? '');
  }
  const iperf3 = new Set<string>();
  for (const pid of pids()) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'iperf3') continue;
    } catch {
      continue;
    }
    const start = procStart(pid);
    if (start !== undefined) iperf3.add(`${pid}:${start}`);
  }
  return { netns, runNetns, links, iperf3 };
}

/** Processes whose environment holds one of `marks` ("NAME=value"). */
function marked(marks: string[]): string[] {
  const found: string[] = [];
  for (const pid of pids()) {
    if (Number(pid) === process.pid) continue;
    let env: string[];
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    } catch {
      continue;
    }
    const hit = marks.find((m) => env.includes(m));
    if (hit === undefined) continue;
    let comm = '?';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      // gone meanwhile
    }
    found.push(`process ${pid} (${comm}) with ${hit}`);
  }
  return found;
}

/**
 * True for objects another lab on this machine owns (other test files and engineers run labs
 * at the same time): host-mode namespaces "nw-<id>-...", test namespaces "nwtest-...", and
 * interfaces whose alias is another lab's "netweave:<id>:...". The benchmark creates none.
 */
function othersNetns(name: string, id: string): boolean {
  return (name.startsWith('nw-') && !name.includes(id)) || name.startsWith('nwtest-');
}

/** One benchmark run in folders of its own. */
class BenchRun {
  readonly base = mkdtempSync(join(tmpdir(), 'nwtest-bench-'));
  readonly runtime = join(this.base, 'run');
  readonly tmp = join(this.base, 'tmp');
  readonly token = randomBytes(6).toString('hex');
  readonly labId = labId(LAB, process.getuid?.() ?? 0, this.runtime);
  stdout = '';
  stderr = '';
  before: Machine | undefined;

  constructor(readonly extraEnv: NodeJS.ProcessEnv = {}) {
    mkdirSync(this.tmp);
  }

  /** Starts the benchmark; onStderr sees its progress as it comes. */
  async start(
    args: string[],
    onStderr?: (text: string, pid: number) => void,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.before = await machine();
    const child = spawn(process.execPath, [RUN_JS, ...args], {
      cwd: this.base,
      env: {
        ...process.env,
        NETWEAVE_RUNTIME_DIR: this.runtime,
        NETWEAVE_LOG_DIR: join(this.base, 'logs'),
        TMPDIR: this.tmp,
        NETWEAVE_BENCH_TEST: this.token,
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (this.stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
      onStderr?.(this.stderr, child.pid ?? 0);
    });
    return new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** What the run left behind, compared with the machine before it. */
  async leftovers(): Promise<string[]> {
    const before = this.before;
    if (before === undefined) throw new Error('the run did not start');
    const after = await machine();
    const id = this.labId;
    const left = marked([`NETWEAVE_BENCH_TEST=${this.token}`, `NETWEAVE_LAB_ID=${id}`]);
    for (const p of after.iperf3) if (!before.iperf3.has(p)) left.push(`iperf3 ${p}`);
    for (const n of after.netns) {
      if (!before.netns.has(n) && !othersNetns(n, id)) left.push(`netns ${n}`);
    }
    for (const n of after.runNetns) {
      if (!before.runNetns.has(n) && !othersNetns(n, id)) left.push(`/run/netns/${n}`);
    }
    for (const [name, alias] of after.links) {
      const others = alias.startsWith('netweave:') && !alias.includes(id);
      if (!before.links.has(name) && !others) left.push(`interface ${name} (${alias})`);
    }
    if (existsSync(this.runtime) && readdirSync(this.runtime).length > 0) {
      left.push(`runtime folder: ${readdirSync(this.runtime).join(', ')}`);
    }
    if (readdirSync(this.tmp).length > 0) {
      left.push(`temporary files: ${readdirSync(this.tmp).join(', ')}`);
    }
    return left;
  }

  /** Leftovers once the kernel had a moment to reap (a leftover of the old bench stays). */
  async settledLeftovers(): Promise<string[]> {
    const until = Date.now() + 10_000;
    for (;;) {
      const left = await this.leftovers();
      if (left.length === 0 || Date.now() > until) return left;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The fabric benchmark's part of the JSON it printed. */
  fabricJson(): Record<string, unknown> {
    const doc = JSON.parse(this.stdout) as { fabric: Record<string, unknown> };
    return doc.fabric;
  }

  dispose(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

interface FigureJson {
  median: number;
  runs: number[];
  load: Record<string, number[]>;
}

describe.skipIf(!isRoot || !existsSync(RUN_JS))(
  'fabric benchmark cleanup (skipped unless root and dist/ is built)',
  () => {
    const runs: BenchRun[] = [];
    afterAll(() => {
      for (const r of runs) r.dispose();
    });

    it('completes, reports every figure with its runs and load, and leaves nothing behind', async () => {
      const r = new BenchRun();
      runs.push(r);
      const { code } = await r.start(['fabric', '--quick']);
      expect(code).toBe(0);
      const fabric = r.fabricJson();
      expect(fabric['error']).toBeUndefined();
      for (const path of ['fabric', 'kernelBridgeOffloadsOff', 'kernelBridgeOffloadsOn']) {
        const p = fabric[path] as Record<string, FigureJson>;
        for (const figure of ['tcpGbps', 'udp64FramesPerSecond', 'rttMedianUs']) {
          const f = p[figure] as FigureJson;
          expect(f.runs).toHaveLength(1);
          expect(f.median).toBeGreaterThan(0);
          expect(f.load['loadavg1']).toHaveLength(1);
          expect(f.load['otherCpuPercent']).toHaveLength(1);
        }
      }
      const off = fabric['kernelBridgeOffloadsOff'] as { offloads: Record<string, string> };
      expect(Object.keys(off.offloads).sort()).toEqual(['eth0@a', 'eth0@b', 'va', 'vb']);
      for (const state of Object.values(off.offloads)) expect(state).toBe(ALL_OFF);
      const ratios = fabric['ratios'] as Record<string, unknown>;
      expect(typeof ratios['tcpFabricOverBridgeOffloadsOff']).toBe('number');
      expect(existsSync(join(r.base, 'bench-results.json'))).toBe(true);
      expect(await r.settledLeftovers()).toEqual([]);
    });

    it('fails in one sentence when ethtool -K leaves the offloads on, and leaves nothing behind', async () => {
      // An ethtool whose -K succeeds without changing anything: what `|| true` used to hide.
      const r = new BenchRun();
      runs.push(r);
      const bin = join(r.base, 'bin');
      mkdirSync(bin);
      const real = (await run(['sh', '-c', 'command -v ethtool'])).trim();
      writeFileSync(
        join(bin, 'ethtool'),
        `#!/bin/sh\nif [ "$1" = -K ]; then exit 0; fi\nexec ${real} "$@"\n`,
      );
      chmodSync(join(bin, 'ethtool'), 0o755);
      r.extraEnv['PATH'] = `${bin}:${process.env['PATH'] ?? ''}`;
      const { code } = await r.start(['fabric', '--quick']);
      expect(code).toBe(1);
      const error = String(r.fabricJson()['error']);
      expect(error).toMatch(/^the kernel-bridge reference's offloads are not off: va still has /);
      expect(r.stderr).toContain(`bench fabric failed: ${error}`);
      expect(await r.settledLeftovers()).toEqual([]);
    });

    it('removes everything when stopped with SIGTERM in the middle of a measurement', async () => {
      const r = new BenchRun();
      runs.push(r);
      let signalled = false;
      const { code, signal } = await r.start(['fabric', '--quick', '--rounds', '3'], (err, pid) => {
        // The fabric's first run is done: the kernel bridge's iperf3 server and client run now.
        if (!signalled && /round 1\/3 tcp fabric:/.test(err)) {
          signalled = true;
          process.kill(pid, 'SIGTERM');
        }
      });
      expect(signalled).toBe(true);
      expect({ code, signal }).toEqual({ code: 143, signal: null });
      expect(r.stderr).toContain('bench: SIGTERM: removing what the benchmark created');
      expect(await r.settledLeftovers()).toEqual([]);
    });
  },
);
