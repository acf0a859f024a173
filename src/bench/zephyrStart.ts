// Zephyr start benchmark, "netweave adds nothing to a Zephyr start": for each real Zephyr build
// of the shared builds folder, the time from `netweave up` to the first UDP echo from the lab's
// host node, against Zephyr's documented recipe done by hand (a namespace, a TAP `zeth` with
// 192.0.2.2/24, the same binary) in the same run, runs of the two arms interleaved.
//
// Both arms use the same probe (udpEchoProbe.py) the same way: started before the clock, told at
// the clock start which namespace to enter (by hand: the one `ip netns add` is about to make;
// netweave: the lab's host node namespace), it enters it as soon as it exists and sends a UDP
// datagram every 20 ms. Each clock starts before the first action of its arm and stops at the
// probe's first good echo.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { QemuNodeSpec } from '../shared/topology/kinds/index.js';
import { validateTopologyText } from '../shared/topology/index.js';
import { cleanupLab, listLabDirs, readEngineRecord } from '../engine/host/cleanup.js';
import { hostNetnsName } from '../engine/host/netns.js';
import { processStartTime, taggedProcesses } from '../engine/host/procfs.js';
import { buildQemuArgv, netdevId } from '../kinds/nodes/qemu/engine/commandLine.js';
import { labId, logBase } from '../engine/paths.js';
import {
  detectBuild,
  IMPORT_HOST,
  importZephyr,
  readBuildFiles,
  type BuildInfo,
} from '../engine/zephyr/index.js';

/** Environment variable that moves the folder of real builds (as the tests read it). */
const BUILDS_ENV = 'NETWEAVE_ZEPHYR_BUILDS';
/** Runs per arm and build: the median of three already shrugs off one disturbed run. */
const DEFAULT_RUNS = 3;
/** Zephyr's echo_server port and address (echo_server prj.conf), and the host side of zeth. */
const ECHO_PORT = 4242;
const ZEPHYR_IPV4 = '192.0.2.1';
const HOST_IPV4 = '192.0.2.2/24';
/** The TAP Zephyr's recipe creates and both builds' drivers open by default. */
const TAP = 'zeth';
/** MAC of the QEMU NIC by hand (00:00:5e:00:53:01, ZEPHYR-NETWORKING.md's address plan). */
const MANUAL_QEMU_MAC = '00:00:5e:00:53:01';
/**
 * Longest wait for the first echo: a TCG boot of qemu_x86 takes about 2 s, but the machine is
 * shared (2 cores, other labs running), so a minute before a run is called failed.
 */
const ECHO_DEADLINE_MS = 60_000;
/** `netweave up` waits for every node's ready line (60 s each at most) before it returns. */
const UP_TIMEOUT_MS = 120_000;
/** How long a killed process may take to be reaped before the benchmark moves on regardless. */
const REAP_TIMEOUT_MS = 5_000;
/** Console and stderr text kept per process for error messages. */
const TAIL_CHARS = 2_000;

const PROBE = fileURLToPath(new URL('../../src/bench/udpEchoProbe.py', import.meta.url));
/** The probe's interpreter (started before the clock, so its start-up time does not matter). */
const PYTHON = 'python3';
const CLI = fileURLToPath(new URL('../../bin/netweave.js', import.meta.url));
/** Prefix of the namespaces the manual arm creates (ours alone; pid keeps parallel runs apart). */
const MANUAL_NETNS_PREFIX = `nwbench-zs-${process.pid}-`;
/** Builds that must be there: a missing one is an error in the report, not a silent skip. */
const REQUIRED_BUILDS = [
  'v3.5.0/echo_server-native_sim_64',
  'v4.3.0/echo_server-native_sim_64',
  'v3.5.0/echo_server-qemu_x86-e1000',
  'v4.3.0/echo_server-qemu_x86-e1000',
] as const;
/** Prefix of the benchmark's lab names. */
const LAB_PREFIX = 'bench-zs-';

/** CLOCK_MONOTONIC in milliseconds: the clock the probe prints too (time.monotonic()). */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A promise that rejects with `message` after `ms`, unless cleared first (no timer outlives it). */
function deadline(ms: number, message: string): { expired: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(message)), ms);
  });
  expired.catch(() => undefined);
  return { expired, clear: () => clearTimeout(timer) };
}

/** Runs a command (argv, no shell); rejects with its stderr. */
function run(argv: readonly string[]): Promise<string> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((res, rej) => {
    execFile(cmd, args, (err, stdout, stderr) => {
      if (err) rej(new Error(`${argv.join(' ')}: ${stderr.trim() || err.message}`));
      else res(stdout);
    });
  });
}

function tail(text: string): string {
  return text.slice(-TAIL_CHARS);
}

/** Every process the benchmark started, so that the leftover check can name any still running. */
const children: ChildProcess[] = [];

/** spawn() with an argv array, recorded for the leftover check. */
function start(cmd: string, args: readonly string[], stdio: 'pipe' | 'ignore-stdin'): ChildProcess {
  const child = spawn(cmd, args, {
    stdio: stdio === 'pipe' ? ['pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

/** Kills a child (SIGKILL) and waits until it is reaped. */
async function killAndReap(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  const late = deadline(REAP_TIMEOUT_MS, 'not reaped');
  await Promise.race([gone, late.expired]).catch(() => undefined);
  late.clear();
}

/** What the probe reported. */
interface ProbeResult {
  /** now() at which the probe was inside the namespace. */
  readyAt: number;
  /** now() at the first good echo. */
  echoAt: number;
  /** Number of the datagram whose echo came back first (one every 20 ms). */
  seq: number;
}

/** A started probe, waiting outside any namespace until enter() names one. */
interface Probe {
  /** Sends the probe into the namespace pinned at `nsPath` (it retries until it can enter). */
  enter(nsPath: string): void;
  /** The first echo; rejects when the probe timed out or failed. */
  result: Promise<ProbeResult>;
  /** Ends the probe whatever its state. */
  stop(): Promise<void>;
}

/**
 * Starts udpEchoProbe.py and waits until it runs (before a clock starts): the probe's own
 * start-up then costs neither arm anything, and enter() at the clock start is all it needs.
 */
async function startProbe(): Promise<Probe> {
  const p = start(
    PYTHON,
    [PROBE, ZEPHYR_IPV4, String(ECHO_PORT), String(ECHO_DEADLINE_MS)],
    'pipe',
  );
  let out = '';
  let err = '';
  p.stderr?.on('data', (d: Buffer) => (err = tail(err + d.toString())));
  const started = new Promise<void>((res, rej) => {
    p.stdout?.on('data', (d: Buffer) => {
      out = tail(out + d.toString());
      if (/^started$/m.test(out)) res();
    });
    p.once('error', rej);
    p.once('close', (code) => rej(new Error(`probe: ${tail(out + err).trim() || `exit ${code}`}`)));
  });
  const result = new Promise<ProbeResult>((res, rej) => {
    p.once('error', rej);
    p.once('close', (code) => {
      const ready = /^ready (\S+)$/m.exec(out);
      const echo = /^echo (\S+) (\d+)$/m.exec(out);
      if (code === 0 && ready && echo) {
        res({ readyAt: Number(ready[1]), echoAt: Number(echo[1]), seq: Number(echo[2]) });
      } else {
        rej(new Error(`probe: ${tail(out + err).trim() || `exit ${code}`}`));
      }
    });
  });
  result.catch(() => undefined);
  try {
    await started;
  } catch (e) {
    await killAndReap(p);
    throw e;
  }
  return {
    enter: (nsPath) => {
      p.stdin?.write(`${nsPath}\n`);
    },
    result,
    stop: () => killAndReap(p),
  };
}

/** One build measured: its directory, what it is, and how each arm starts it. */
interface Target {
  /** Name relative to the builds folder, e.g. "v3.5.0/echo_server-native_sim_64". */
  build: string;
  dir: string;
  info: BuildInfo;
  kind: 'native-sim' | 'qemu';
}

/** The outcome of one run of one arm. */
interface RunRecord {
  arm: 'netweave' | 'manual';
  round: number;
  /** The machine's 1, 5 and 15 minute load averages just before the run. */
  loadavg: number[];
  /** Clock start to first good echo. */
  ms?: number;
  /** Marks in ms from the clock start (see the benchmark's notes). */
  marks?: Record<string, number>;
  error?: string;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Clock ticks per second of /proc/<pid>/stat start times (getconf CLK_TCK; 100 on Linux). */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
}

// ---------------------------------------------------------------------------------------------
// The netweave arm

/** The lab file of a build: `import-zephyr`'s YAML, renamed, in host network mode. */
async function labFile(t: Target, dir: string, name: string): Promise<string> {
  const imported = await importZephyr([t.dir]);
  const doc = parseDocument(imported.yaml);
  doc.set('name', name);
  // Host mode: the host node's namespace is a named one (/run/netns), which the probe enters
  // directly, as it enters the manual arm's namespace.
  doc.set('network', 'host');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}

/** Progress lines of `netweave up` and the mark each one sets (first occurrence wins). */
const UP_LINES: readonly [RegExp, string][] = [
  [/^lab \S+: starting /, 'engineConnected'],
  [/^\s+\[1\/4\] create /, 'create'],
  [/^\s+\[2\/4\] wire /, 'wire'],
  [/^\s+\[3\/4\] start /, 'start'],
  [/^\s+\[4\/4\] ready /, 'firstNodeReady'],
  [/^lab \S+ \([0-9a-f]+\): running/, 'running'],
];

/** A run's clock: its start and named marks (ms after the start, the first time each is hit). */
function startClock(): {
  t0: number;
  marks: Record<string, number>;
  mark: (key: string, at?: number) => void;
} {
  const t0 = now();
  const marks: Record<string, number> = {};
  return {
    t0,
    marks,
    mark: (key, at = now()) => {
      marks[key] ??= round1(at - t0);
    },
  };
}

/**
 * `netweave up FILE --detach` with the real CLI, and the probe in the lab's host namespace;
 * returns the marks of the run. The lab is taken down whatever happens.
 */
async function viaNetweave(file: string, name: string, ticksPerS: number): Promise<RunRecord> {
  const nsPath = `/run/netns/${hostNetnsName(labId(name), IMPORT_HOST)}`;
  if (existsSync(nsPath)) throw new Error(`${nsPath} is left from an earlier run`);
  let cli: ChildProcess | undefined;
  const upDeadline = deadline(
    UP_TIMEOUT_MS,
    `no echo within ${UP_TIMEOUT_MS / 1000} s of netweave up`,
  );
  const probe = await startProbe();
  const { t0, marks, mark } = startClock();
  try {
    probe.enter(nsPath);
    cli = start(CLI, ['up', file, '--detach'], 'ignore-stdin');
    const cliTicks = cli.pid !== undefined ? Number(processStartTime(cli.pid)) : NaN;
    let out = '';
    let err = '';
    let pending = '';
    cli.stdout?.on('data', (d: Buffer) => {
      const at = now();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        out = tail(`${out}${line}\n`);
        for (const [re, key] of UP_LINES) if (re.test(line)) mark(key, at);
        if (/^\s+\[4\/4\] ready /.test(line)) marks['lastNodeReady'] = round1(at - t0);
      }
    });
    cli.stderr?.on('data', (d: Buffer) => (err = tail(err + d.toString())));
    const c = cli;
    const upDone = new Promise<number | null>((res) => {
      c.once('close', (code) => {
        mark('upReturned');
        res(code);
      });
      c.once('error', () => res(-1));
    });
    const upFailed = upDone.then((code) => {
      if (code !== 0) throw new Error(`netweave up failed (${code}): ${(err || out).trim()}`);
      return new Promise<never>(() => undefined);
    });
    const echo = await Promise.race([probe.result, upFailed, upDeadline.expired]);
    mark('probeReady', echo.readyAt);
    mark('firstEcho', echo.echoAt);
    // The rest of the marks: let `up` finish (it returns once every node is ready).
    await Promise.race([upDone, upDeadline.expired.catch(() => undefined)]);
    const rec = readEngineRecord(name);
    const engineTicks = Number(rec?.engineStart);
    if (Number.isFinite(cliTicks) && Number.isFinite(engineTicks)) {
      // Start times are in clock ticks (10 ms): the CLI's is the clock start within a tick.
      marks['engineProcessStarted'] = Math.round(((engineTicks - cliTicks) * 1000) / ticksPerS);
    }
    return {
      arm: 'netweave',
      round: 0,
      loadavg: [],
      ms: round1(echo.echoAt - t0),
      marks: sortMarks(marks),
    };
  } finally {
    upDeadline.clear();
    await probe.stop();
    await killAndReap(cli);
    await cleanupLab(name);
  }
}

function sortMarks(marks: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(marks).sort((a, b) => a[1] - b[1]));
}

// ---------------------------------------------------------------------------------------------
// The manual arm

/**
 * QEMU's argv by hand: the very flags netweave runs for the node (buildQemuArgv, TCG), with a
 * TAP netdev on `zeth` where netweave has its fabric's stream socket, and no QMP socket (only
 * netweave needs it).
 */
function manualQemuArgv(spec: QemuNodeSpec, kernel: string): string[] {
  if (spec.accel !== 'tcg') throw new Error(`the lab asks for accel ${spec.accel}; TCG only here`);
  const argv = buildQemuArgv({
    spec,
    kernel,
    qmpSocket: '/nonexistent.qmp',
    nics: [
      {
        port: 'eth0',
        model: 'e1000',
        mac: MANUAL_QEMU_MAC,
        attach: 'device',
        backend: { type: 'stream', socket: '/nonexistent.sock' },
      },
    ],
  });
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-qmp') {
      i++;
      continue;
    }
    out.push(a);
    if (a === '-netdev') {
      out.push(`tap,id=${netdevId('eth0')},ifname=${TAP},script=no,downscript=no`);
      i++;
    }
  }
  return out;
}

/** The command line each build runs with by hand (argv[0] is the program). */
async function manualArgv(t: Target): Promise<string[]> {
  if (t.kind === 'native-sim') {
    // Zephyr's recipe: zephyr.exe with no options; both builds open the TAP named zeth.
    return [t.info.image];
  }
  const imported = await importZephyr([t.dir]);
  const checked = validateTopologyText(imported.yaml, 'import-zephyr');
  if (!checked.ok) throw new Error(checked.problems.map((p) => p.message).join('; '));
  const spec = Object.values(checked.topology.nodes).find((n) => n.kind === 'qemu');
  if (spec?.kind !== 'qemu') throw new Error(`the lab of ${t.build} has no qemu node`);
  return manualQemuArgv(spec, resolve(t.dir, spec.kernel ?? t.info.image));
}

/**
 * Zephyr's documented recipe by hand in a fresh namespace: `ip netns add`, `ip tuntap add zeth
 * mode tap`, 192.0.2.2/24 on it, up, then the binary. Everything it made is removed whatever
 * happens.
 */
async function byHand(argv: readonly string[], seq: number): Promise<RunRecord> {
  const ns = `${MANUAL_NETNS_PREFIX}${seq}`;
  const nsPath = `/run/netns/${ns}`;
  let zephyr: ChildProcess | undefined;
  const probe = await startProbe();
  const { t0, marks, mark } = startClock();
  try {
    probe.enter(nsPath);
    await run(['ip', 'netns', 'add', ns]);
    mark('netnsAdded');
    await run(['ip', '-n', ns, 'tuntap', 'add', TAP, 'mode', 'tap']);
    await run(['ip', '-n', ns, 'address', 'add', HOST_IPV4, 'dev', TAP]);
    await run(['ip', '-n', ns, 'link', 'set', TAP, 'up']);
    mark('tapUp');
    const [cmd, ...args] = argv as [string, ...string[]];
    const z = start('nsenter', [`--net=${nsPath}`, '--', cmd, ...args], 'pipe');
    zephyr = z;
    mark('spawned');
    let output = '';
    z.stdout?.on('data', (d: Buffer) => {
      output = tail(output + d.toString());
      if (/\*\*\* Booting Zephyr OS/.test(output)) mark('banner');
    });
    z.stderr?.on('data', (d: Buffer) => (output = tail(output + d.toString())));
    const died = new Promise<never>((_, rej) => {
      z.once('exit', (code, signal) =>
        rej(new Error(`${cmd} ended (${code ?? signal}) before the echo: ${output.trim()}`)),
      );
      z.once('error', (e) => rej(e));
    });
    died.catch(() => undefined);
    const echo = await Promise.race([probe.result, died]);
    mark('probeReady', echo.readyAt);
    mark('firstEcho', echo.echoAt);
    return {
      arm: 'manual',
      round: 0,
      loadavg: [],
      ms: round1(echo.echoAt - t0),
      marks: sortMarks(marks),
    };
  } finally {
    await probe.stop();
    await killAndReap(zephyr);
    if (existsSync(nsPath)) {
      await run(['ip', '-n', ns, 'link', 'del', TAP]).catch(() => undefined);
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Builds, runs and the report

/** The builds folder: NETWEAVE_ZEPHYR_BUILDS, else <repo>/../shared/zephyr. */
function buildsDir(): string {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  return resolve(process.env[BUILDS_ENV] ?? join(repo, '..', 'shared', 'zephyr'));
}

/** Every build directory under the folder (release/build), sorted. */
function listBuilds(root: string): string[] {
  const out: string[] = [];
  for (const release of readdirSync(root)) {
    if (!statSync(join(root, release)).isDirectory()) continue;
    for (const b of readdirSync(join(root, release))) {
      if (existsSync(join(root, release, b, 'zephyr', '.config'))) out.push(`${release}/${b}`);
    }
  }
  return out.sort();
}

/** The lab name of a build's runs (a topology name has at most 32 characters). */
function labName(build: string): string {
  return `${LAB_PREFIX}${build.replace(/[^A-Za-z0-9]+/g, '-')}`.slice(0, 32);
}

/** Why a build is not measured, or undefined when it is (with the arm kind). */
function classify(info: BuildInfo): { kind: Target['kind'] } | { skipped: string } {
  if (info.name !== 'echo_server') {
    return {
      skipped: `${info.name} is no echo server: nothing answers UDP on port ${ECHO_PORT} (it sends to its own peer)`,
    };
  }
  if (info.kind === 'native-sim' && info.mode === 'native-tap') return { kind: 'native-sim' };
  if (info.kind === 'qemu' && info.mode === 'qemu-ethernet' && info.nic === 'e1000')
    return { kind: 'qemu' };
  if (info.mode === 'slip-tap' || info.mode === 'slip') {
    return {
      skipped:
        "SLIP on UART1: Zephyr's recipe by hand is socat listening on QEMU's -serial unix: socket plus net-tools' tunslip6 -T turning the pty into TAP zeth; tunslip6 is not installed here and a stand-in SLIP-to-TAP relay written for the benchmark would measure that relay, not the documented recipe",
    };
  }
  if (info.mode === 'ieee802154-upipe') {
    return {
      skipped:
        'IEEE 802.15.4 UART pipe: IPv6 over 6LoWPAN only (no IPv4 address to echo from), and import-zephyr gives a lone 802.15.4 instance no host node (a radio medium has no host-side interface); by hand the recipe needs a second QEMU (echo_client) or net-tools\' virtual hub, so there is no "host sends one datagram" start to time',
    };
  }
  return { skipped: `networking mode ${info.mode} of board ${info.board} is not measured` };
}

/** Per-build result: the medians, the target and every run. */
async function measureBuild(
  t: Target,
  workDir: string,
  ticksPerS: number,
  nextSeq: () => number,
  runsPerArm: number,
): Promise<object> {
  const name = labName(t.build);
  const file = await labFile(t, workDir, name);
  const argv = await manualArgv(t);
  const runs: RunRecord[] = [];
  for (let round = 1; round <= runsPerArm; round++) {
    // Alternate which arm goes first, so that neither always follows the other's teardown.
    const arms: RunRecord['arm'][] =
      round % 2 === 1 ? ['netweave', 'manual'] : ['manual', 'netweave'];
    for (const arm of arms) {
      const load = loadavg().map((x) => Number(x.toFixed(2)));
      process.stderr.write(`  ${t.build} ${arm} #${round} (load ${load[0]})...`);
      let r: RunRecord;
      try {
        r =
          arm === 'netweave'
            ? await viaNetweave(file, name, ticksPerS)
            : await byHand(argv, nextSeq());
      } catch (err) {
        r = { arm, round, loadavg: [], error: err instanceof Error ? err.message : String(err) };
      }
      r.round = round;
      r.loadavg = load;
      process.stderr.write(` ${r.ms !== undefined ? `${r.ms} ms` : `error: ${r.error}`}\n`);
      runs.push(r);
    }
  }
  // netweave keeps each lab's last run logs on purpose; the benchmark's labs keep them only when
  // a run failed (they explain it).
  const logs = join(logBase(), name);
  const failed = runs.some((r) => r.arm === 'netweave' && r.error !== undefined);
  if (!failed) rmSync(logs, { recursive: true, force: true });
  const ms = (arm: RunRecord['arm']): number[] =>
    runs.filter((r) => r.arm === arm && r.ms !== undefined).map((r) => r.ms ?? NaN);
  const nw = median(ms('netweave'));
  const hand = median(ms('manual'));
  const target = hand !== undefined ? round1(1.1 * hand + 200) : undefined;
  return {
    build: t.build,
    kind: t.kind,
    netweaveMs: { median: nw, runs: ms('netweave') },
    manualMs: { median: hand, runs: ms('manual') },
    ratio: nw !== undefined && hand !== undefined ? Number((nw / hand).toFixed(2)) : null,
    target: target ?? null,
    meetsTarget: nw !== undefined && target !== undefined ? nw <= target : null,
    phasesMs: {
      netweave: medianPhases(runs, 'netweave', NETWEAVE_PHASES),
      manual: medianPhases(runs, 'manual', MANUAL_PHASES),
    },
    manualArgv: argv,
    ...(failed ? { logs } : {}),
    runs,
  };
}

/** A phase: its name and the marks it runs between ('t0' is the clock start). */
type Phase = readonly [name: string, from: string, to: string];

/** Where the netweave arm's time goes, in the order it is spent (see the notes on marks). */
const NETWEAVE_PHASES: readonly Phase[] = [
  ['cliToEngineSpawn', 't0', 'engineProcessStarted'],
  ['engineBootToConnected', 'engineProcessStarted', 'engineConnected'],
  ['create', 'create', 'wire'],
  ['wire', 'wire', 'start'],
  ['startToAllReady', 'start', 'lastNodeReady'],
  ['allReadyToRunning', 'lastNodeReady', 'running'],
  ['runningToFirstEcho', 'running', 'firstEcho'],
  ['beforeZephyrStart', 't0', 'start'],
  ['zephyrStartToEcho', 'start', 'firstEcho'],
];

/** The manual arm's phases, with the same last two as the netweave arm's for comparison. */
const MANUAL_PHASES: readonly Phase[] = [
  ['netnsAdd', 't0', 'netnsAdded'],
  ['tapSetup', 'netnsAdded', 'tapUp'],
  ['spawn', 'tapUp', 'spawned'],
  ['beforeZephyrStart', 't0', 'spawned'],
  ['zephyrStartToEcho', 'spawned', 'firstEcho'],
];

/** The median duration of each phase over the arm's good runs. */
function medianPhases(
  runs: readonly RunRecord[],
  arm: RunRecord['arm'],
  phases: readonly Phase[],
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, from, to] of phases) {
    const ds = runs.flatMap((r) => {
      if (r.arm !== arm || !r.marks) return [];
      const a = from === 't0' ? 0 : r.marks[from];
      const b = r.marks[to];
      return a !== undefined && b !== undefined ? [b - a] : [];
    });
    const m = median(ds);
    out[name] = m !== undefined ? round1(m) : null;
  }
  return out;
}

/** What of the benchmark is still on the machine: namespaces, labs, processes. */
async function leftovers(labNames: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  const netns = (await run(['ip', 'netns', 'list']).catch(() => ''))
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
  const ids = labNames.map((n) => labId(n));
  for (const n of netns) {
    if (n.startsWith(MANUAL_NETNS_PREFIX) || ids.some((id) => n.startsWith(`nw-${id}-`)))
      left.push(`netns ${n}`);
  }
  const labs = listLabDirs();
  for (const n of labNames) if (labs.includes(n)) left.push(`lab ${n}`);
  for (const id of ids)
    for (const p of taggedProcesses(id)) left.push(`process ${p.pid} of lab ${id}`);
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined)
      left.push(`process ${c.pid} (${c.spawnargs.join(' ').slice(0, 120)})`);
  }
  return left;
}

/** `node -e 0` runs per environment for nodeStartMs. */
const NODE_START_RUNS = 7;

/** Milliseconds of one `node -e 0` with `env`, from spawn to exit. */
function nodeStartOnce(env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = now();
  return new Promise((res, rej) => {
    execFile(process.execPath, ['-e', '0'], { env }, (err) =>
      err ? rej(new Error(`node -e 0: ${err.message}`)) : res(now() - t0),
    );
  });
}

/**
 * What Node's own start costs on this machine, with this environment and without
 * NODE_EXTRA_CA_CERTS (which makes Node parse a certificate file before any code runs): the
 * netweave arm's CLI pays the first before netweave can act; its engine does not inherit the
 * variable.
 */
async function nodeStartMs(): Promise<object> {
  const asGiven: number[] = [];
  const without: number[] = [];
  const clean = { ...process.env };
  delete clean['NODE_EXTRA_CA_CERTS'];
  for (let i = 0; i < NODE_START_RUNS; i++) {
    asGiven.push(await nodeStartOnce(process.env));
    without.push(await nodeStartOnce(clean));
  }
  const m = (xs: number[]): number | null => {
    const v = median(xs);
    return v !== undefined ? round1(v) : null;
  };
  return {
    nodeExtraCaCertsSet: process.env['NODE_EXTRA_CA_CERTS'] !== undefined,
    asGiven: m(asGiven),
    withoutNodeExtraCaCerts: m(without),
  };
}

/** Runs the benchmark and returns its numbers (JSON-ready). */
/** `runs`: runs per arm and build (`npm run bench -- zephyrStart --rounds N`). */
export async function benchZephyrStart(runs = DEFAULT_RUNS): Promise<object> {
  const root = buildsDir();
  if (!existsSync(root)) {
    return { error: `the Zephyr builds folder ${root} does not exist (set ${BUILDS_ENV})` };
  }
  const ticksPerS = clockTicks();
  const workDir = mkdtempSync(join(tmpdir(), 'nw-bench-zephyr-'));
  let seq = 0;
  const results: object[] = [];
  const labNames: string[] = [];
  const found = listBuilds(root);
  for (const build of REQUIRED_BUILDS) {
    if (!found.includes(build))
      results.push({ build, error: `${join(root, build)} is missing (no zephyr/.config)` });
  }
  try {
    for (const build of found) {
      const dir = join(root, build);
      let info: BuildInfo;
      try {
        info = detectBuild(await readBuildFiles(dir));
      } catch (err) {
        results.push({ build, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const c = classify(info);
      if ('skipped' in c) {
        results.push({ build, skipped: c.skipped });
        continue;
      }
      if (!existsSync(info.image)) {
        results.push({ build, error: `${info.image} is missing` });
        continue;
      }
      labNames.push(labName(build));
      try {
        results.push(
          await measureBuild(
            { build, dir, info, kind: c.kind },
            workDir,
            ticksPerS,
            () => ++seq,
            runs,
          ),
        );
      } catch (err) {
        results.push({ build, error: err instanceof Error ? err.message : String(err) });
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return {
    buildsDir: root,
    runsPerArm: runs,
    nodeStartMs: await nodeStartMs(),
    notes: NOTES,
    builds: results,
    leftovers: await leftovers(labNames),
  };
}

const NOTES = [
  'ms: clock start (before `netweave up` is spawned / before `ip netns add`) to the first good UDP echo from 192.0.2.2 to 192.0.2.1:4242, as the probe saw it; median of the runs; runs of the two arms alternate, and which arm goes first alternates by round',
  'netweave arm: the real CLI as a user starts it (`./bin/netweave.js up LAB --detach`: sh, then Node on the same file) on the lab import-zephyr writes for the build, renamed and with network: host so that the host node namespace is a named one (/run/netns) the probe can enter; isolated mode (the default) is not measured',
  "manual arm: ip netns add; ip -n NS tuntap add zeth mode tap; ip -n NS address add 192.0.2.2/24 dev zeth; ip -n NS link set zeth up; nsenter --net=NS the binary (manualArgv). native_sim: zephyr.exe without options; qemu_x86: netweave's own QEMU flags (buildQemuArgv: q35, qemu32,+nx,+pae, -m 32, -accel tcg, Zephyr's console flags, romfile= on the NIC) with a tap netdev instead of netweave's stream socket and without netweave's QMP socket",
  'probe: the same udpEchoProbe.py in both arms, started before the clock (its start-up is in neither arm); at the clock start it is given the namespace path and enters it (setns) as soon as it can, polling every 5 ms (manual: the namespace ip netns add is about to make; netweave: the lab host node namespace); then one datagram every 20 ms (the resolution), stopping at the first echo. It sets retrans_time_ms=20 on every interface of its namespace so that ARP asks every 20 ms instead of every second, in both arms; times are CLOCK_MONOTONIC in both processes',
  'asymmetries: the netweave lab host node also gets 2001:db8::2/64 and a lo up (import-zephyr writes the IPv6 address; the manual arm, like the brief, sets IPv4 only); netweave starts zephyr.exe with --seed and --attach_uart_cmd (its UART handshake), by hand it gets no option; the netweave QEMU NIC is on the fabric (stream socket) and its frames cross the engine, by hand they go to a kernel TAP',
  'marks (ms from clock start): netweave: engineProcessStarted (engine start time in /proc, 10 ms resolution: the Node start of the CLI up to bin/netweave.js starting the warm engine; with NETWEAVE_WARM_ENGINE=0 also its topology load and launchLab), engineConnected (`up` printed "starting": the engine, once it had loaded, got the lab from the CLI, then its socket answered), create/wire/start (first progress line of each stage), firstNodeReady/lastNodeReady, running, upReturned (the CLI exited), probeReady (the probe entered the host node namespace), firstEcho. Progress lines are timestamped when the CLI prints them: the events before the CLI connected arrive replayed, in one burst at engineConnected. manual: netnsAdded, tapUp, spawned, banner (when the binary printed the Zephyr banner on stdout), probeReady, firstEcho',
  "phasesMs: the median over the runs of the time between two marks; netweave start is when `up` printed the start stage (Zephyr is spawned in it), so zephyrStartToEcho is comparable with the manual arm's spawned-to-echo; runningToFirstEcho is negative when the echo came before `up` reported the lab running",
  'target = 1.1 x manual median + 200 ms (ms); meetsTarget compares the netweave median with it. Benchmarks never fail on numbers',
  'nodeStartMs: the median of `node -e 0` (spawn to exit) with this environment and without NODE_EXTRA_CA_CERTS, which makes Node parse a certificate file before any code runs. The netweave arm starts two Node processes in a row (the CLI, which starts the engine first thing); both are started without the variable (bin/netweave.js begins as a sh script that defers it), so neither pays the difference',
];
