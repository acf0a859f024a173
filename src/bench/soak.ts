import { DROP_CAUSES } from '../shared/kinds.js';
// `npm run soak`: a long run of a 50-node lab under abuse, checking that netweave stays correct
// and that its engine's memory stays flat. Not part of `npm test`: it runs for an hour by default
// (`--profile ci`: 2 minutes).
//
// The lab (soakLab.ts): host nodes in network namespaces and a few QEMU test guests (Debian
// kernel + busybox initramfs, TCG; few, since each costs CPU on a 2-core machine), spread over a
// chain of switches joined by trunk links, one IPv4 + IPv6 segment. It is brought up and down
// with the `netweave` CLI (bin/netweave.js) with a private NETWEAVE_RUNTIME_DIR and
// NETWEAVE_LOG_DIR, and driven over the engine's socket (as `netweave exec` and `stats` are).
//
// While it runs, the soak
// - kills a random node's process (SIGKILL of a host node's shell or a guest's QEMU, found on the
//   host among the processes tagged with the lab's id, see soakHost.ts) and checks that the
//   engine restarts it within its restart policy (process/supervisedProcess.ts: at most
//   DEFAULT_MAX_RESTARTS restarts per start, after min(backoff x 2^(n-1), max backoff)): the node
//   must be ready again with a new pid within that delay + the node's ready timeout (guests) +
//   RESTART_SLACK_MS, and its 'restarting' reason must name the attempt and the delay. The
//   policy counts restarts per start of a node and never forgets them, so each node is killed at
//   most DEFAULT_MAX_RESTARTS times per engine lifetime; once per run one host node is killed
//   once more than that and must end 'failed', then come back with `nodeStart`;
// - kills the engine itself (SIGKILL) a few times in the first 40 % of the run, then checks that
//   `netweave status` calls it dead ("stale"), runs `netweave down` and looks for anything left
//   (soakHost.ts findLeaks), and brings the lab up again. The rest of the run is one engine
//   lifetime, whose memory is the flatness measure. After the first kill the next `up` is killed
//   too, halfway through its deploy: `up` must fail and leave nothing after `down` either. An
//   engine that dies without being killed is an unexpected crash: it is recorded, cleaned up the
//   same way, and the lab comes back;
// - flaps links with `netweave link NODE:PORT down|up` (host ports, guest NICs, trunk ports);
// - runs pings between random nodes all the time (`exec` of ping in a host node; IPv4 and IPv6),
//   tallied as disturbed when a flap or a guest kill touched the path while they ran;
// - captures a link with `netweave capture -w` now and then and checks the file against the
//   port's counters;
// - samples the engine's RSS (VmRSS of the pid in engine.json) and the counters (`stats`, every
//   sixth sample through `netweave stats --json`), and checks them (soakChecks.ts).
// At the end it takes the lab down, checks for leaks again, prints a JSON report on stdout and a
// short summary on stderr (`npm run -s soak` keeps npm's own lines off stdout; `--out FILE`
// writes the JSON to a file too), and exits non-zero when an acceptance criterion fails: a
// leaked object, an engine crash the soak did not cause, an engine RSS that is not flat within
// 20 %, a restart outside the policy, a counter-consistency violation, an engine kill that
// `status` did not call dead or `down` did not clean up, or a run stopped early. Ctrl-C or
// SIGTERM stop it early; it still takes the lab down and removes its folders.
import { mulberry32 } from '../kinds/nodes/radio-154/engine/model.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { CounterSnapshot, LabStatus, NodeState } from '../shared/contract.js';
import type { NetworkMode } from '../shared/kinds.js';
import { cleanupLab, readEngineRecord, type EngineRecord } from '../engine/host/cleanup.js';
import { readOutstanding, type JournalObject } from '../engine/host/journal.js';
import { connectLab } from '../engine/launcher.js';
import { LAB_FILES, labDir } from '../engine/paths.js';
import {
  DEFAULT_BACKOFF_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_RESTARTS,
} from '../engine/process/supervisedProcess.js';
import type { SocketEngineClient } from '../engine/rpc/client.js';
import {
  capturedFramesOf,
  checkPair,
  checkSnapshot,
  dropTotals,
  median,
  parsePing,
  rssFlatness,
  summarizePcapng,
  type CounterViolation,
  type DownWindow,
  type RssFlatness,
  type RssSample,
  type SwitchMembers,
} from './soakChecks.js';
import {
  findLeaks,
  findNodeProcess,
  isDead,
  rssKiB,
  runCli,
  type CliResult,
  type Leak,
} from './soakHost.js';
import {
  buildSoakLab,
  GUEST_READY_TIMEOUT_S,
  SOAK_LAB_NAME,
  trunksBetween,
  type GuestFiles,
  type SoakLabPlan,
  type SoakNode,
} from './soakLab.js';

/** Time a restarted process may take beyond its backoff (and ready timeout) on a busy machine. */
const RESTART_SLACK_MS = 5_000;
/** How long the soak keeps watching a killed node beyond its bound before calling it lost. */
const RESTART_GRACE_MS = 30_000;
/** Longest a `netweave up` of the whole lab may take (guests boot one after another on TCG). */
const UP_TIMEOUT_MS = 15 * 60_000;
/** Longest any other CLI command may take. */
const CLI_TIMEOUT_MS = 120_000;
/** How long `netweave status` may take to call a dead engine's lab "stale". */
const STATUS_DEAD_MS = 15_000;
/** How long a killed engine may take to disappear. */
const ENGINE_GONE_MS = 10_000;
/** A flapped link stays down this long plus up to as much again. */
const FLAP_DOWN_MS = 2_000;
/** After a link comes back, pings and counters get this long before the flap stops counting. */
const FLAP_SETTLE_MS = 1_000;
/** Pings per ping run, and their interval. */
const PING_COUNT = 10;
const PING_INTERVAL_S = 0.5;
/** How long a capture runs. */
const CAPTURE_S = 8;
/** Probability that a node kill picks a guest (when one is eligible). */
const GUEST_KILL_SHARE = 0.25;

const BUILD_GUEST = fileURLToPath(new URL('../../test/guest/build-guest.sh', import.meta.url));

/** What `npm run soak -- ...` accepts. */
interface SoakOptions {
  profile: 'full' | 'ci';
  minutes: number;
  nodes: number;
  guests: number;
  switches: number;
  network: NetworkMode;
  engineKills: number;
  killEveryS: number;
  flapEveryS: number;
  captureEveryS: number;
  sampleEveryS: number;
  pingStreams: number;
  seed: number;
  keepLogs?: string;
  out?: string;
}

const USAGE = `npm run soak -- [--profile full|ci] [--minutes N] [--nodes N] [--guests N] [--switches N]
                  [--network host|isolated] [--engine-kills N] [--kill-every S] [--flap-every S]
                  [--capture-every S] [--sample-every S] [--ping-streams N] [--seed N]
                  [--keep-logs DIR] [--out FILE]
  full (default): 60 minutes, 50 nodes (3 QEMU guests, 3 switches); ci: 2 minutes, 50 nodes (1 guest)
  --network: host as root (named namespaces, the leak check's hardest case), else isolated`;

function parseOptions(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string' },
      minutes: { type: 'string' },
      nodes: { type: 'string' },
      guests: { type: 'string' },
      switches: { type: 'string' },
      network: { type: 'string' },
      'engine-kills': { type: 'string' },
      'kill-every': { type: 'string' },
      'flap-every': { type: 'string' },
      'capture-every': { type: 'string' },
      'sample-every': { type: 'string' },
      'ping-streams': { type: 'string' },
      seed: { type: 'string' },
      'keep-logs': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(0);
  }
  const profile = values.profile ?? 'full';
  if (profile !== 'full' && profile !== 'ci')
    throw new Error(`--profile is full or ci, not "${profile}"`);
  const ci = profile === 'ci';
  const num = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}`);
    return n;
  };
  const minutes = num('minutes', values.minutes, ci ? 2 : 60, 0.5);
  const network = values.network ?? (process.getuid?.() === 0 ? 'host' : 'isolated');
  if (network !== 'host' && network !== 'isolated')
    throw new Error(`--network is host or isolated, not "${network}"`);
  return {
    profile,
    minutes,
    nodes: Math.round(num('nodes', values.nodes, 50, 4)),
    guests: Math.round(num('guests', values.guests, ci ? 1 : 3, 0)),
    switches: Math.round(num('switches', values.switches, 3, 1)),
    network,
    engineKills: Math.round(
      num('engine-kills', values['engine-kills'], Math.max(1, Math.floor(minutes / 15)), 0),
    ),
    killEveryS: num('kill-every', values['kill-every'], ci ? 8 : 20, 1),
    flapEveryS: num('flap-every', values['flap-every'], ci ? 6 : 15, 1),
    captureEveryS: num('capture-every', values['capture-every'], ci ? 40 : 300, 10),
    sampleEveryS: num('sample-every', values['sample-every'], ci ? 2 : 10, 0.5),
    pingStreams: Math.round(num('ping-streams', values['ping-streams'], ci ? 3 : 4, 0)),
    seed: Math.round(num('seed', values.seed, Date.now() % 1_000_000, 0)),
    ...(values['keep-logs'] !== undefined ? { keepLogs: values['keep-logs'] } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
  };
}

/** One engine process, from `up` to its death or the final `down`. */
interface Lifetime {
  index: number;
  enginePid: number;
  engineStart?: string;
  labId: string;
  logDir: string;
  /** Soak time (ms since the first lab was up) it became available. */
  from: number;
  to?: number;
  upMs: number;
  endReason?: 'soak-kill' | 'crash' | 'final';
  /** `netweave status LAB --json` after the engine died: "stale" expected. */
  statusAfterDeath?: string;
  /** What the first `netweave status` said, and when it first said "stale". */
  statusFirst?: string;
  statusStaleAfterMs?: number;
  downOk?: boolean;
  downRemoved?: number;
  leaks: Leak[];
  /** Lines of engine.log that report an error. */
  engineLogErrors: string[];
  switches: SwitchMembers[];
}

/** The engine killed in the middle of `up` (killDuringUp). */
interface KillDuringUp {
  killed: boolean;
  killedAfterMs?: number;
  journaledNamespaces?: number;
  upExit?: number | null;
  upSaid?: string;
  statusFirst?: string;
  statusAfterDeath?: string;
  downOk?: boolean;
  leaks: Leak[];
  note?: string;
}

interface KillRecord {
  lifetime: number;
  node: string;
  kind: 'host' | 'qemu';
  attempt: number;
  enginePid: number;
  hostPid: number;
  at: string;
  backoffMs: number;
  boundMs: number;
  recoveredMs?: number;
  outcome: 'recovered' | 'late' | 'not-recovered' | 'failed' | 'interrupted';
  withinPolicy: boolean;
  restartReason?: string;
  /** The 'restarting' reason names this attempt and this backoff. */
  reasonMatches?: boolean;
}

/** The restart-limit check (policyLimitTask). */
interface PolicyLimitResult {
  node: string;
  lifetime: number;
  result?: string;
  failedAfterLimit?: boolean;
  reason?: string;
  reasonNamesLimit?: boolean;
  nodeStartState?: string;
  nodeStartMs?: number;
}

interface PingTally {
  runs: number;
  transmitted: number;
  received: number;
}

interface CaptureRecord {
  lifetime: number;
  link: string;
  packets: number;
  reported?: number;
  icmpEcho: number;
  counterDelta: number;
  tsharkPackets?: number;
  problems: string[];
  interrupted?: boolean;
}

function emptyTally(): PingTally {
  return { runs: 0, transmitted: 0, received: 0 };
}

function rate(t: PingTally): number | null {
  return t.transmitted > 0 ? Number((t.received / t.transmitted).toFixed(4)) : null;
}

/**
 * A stream of an `exec` result as text: engines since 91de830 send the bytes base64-encoded
 * (`encoding: 'base64'`), earlier ones as text.
 */
function execText(result: object, stream: string): string {
  const encoding = (result as { encoding?: unknown }).encoding;
  return encoding === 'base64' ? Buffer.from(stream, 'base64').toString('utf8') : stream;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The soak run. */
class Soak {
  private readonly rng: () => number;
  private readonly work: string;
  private readonly runtimeBase: string;
  private readonly logBase: string;
  private readonly env: NodeJS.ProcessEnv;
  private plan!: SoakLabPlan;
  private labFile = '';
  private t0 = 0;
  private wallStart = Date.now();

  private readonly lifetimes: Lifetime[] = [];
  private client: SocketEngineClient | undefined;
  private record: EngineRecord | undefined;
  private epoch = 0;
  private available = false;
  private waiters: (() => void)[] = [];
  private cycling: Promise<void> | undefined;
  private stopping = false;
  private stopReason: string | undefined;
  private readonly sleepers = new Set<() => void>();
  private fatal: string | undefined;

  /** Nodes and ports a task is working on (not picked by another). */
  private readonly busyNodes = new Set<string>();
  private readonly busyPorts = new Set<string>();
  /** Kills per node in the current lifetime. */
  private kills = new Map<string, number>();
  private readonly nodeEvents: {
    at: number;
    lifetime: number;
    node: string;
    state: NodeState;
    reason?: string;
  }[] = [];

  private readonly killRecords: KillRecord[] = [];
  private policyLimit: PolicyLimitResult | undefined;
  private killDuringUpRecord: KillDuringUp | undefined;
  private readonly windows: DownWindow[] = [];
  private readonly flaps = { count: 0, failed: 0, interrupted: 0, errors: [] as string[] };
  private readonly pings = {
    all: emptyTally(),
    undisturbed: emptyTally(),
    disturbed: emptyTally(),
    ipv4: emptyTally(),
    ipv6: emptyTally(),
    interrupted: 0,
    errors: 0,
    errorSamples: [] as string[],
  };
  private readonly captures: CaptureRecord[] = [];
  private readonly rss: RssSample[] = [];
  private readonly violations: CounterViolation[] = [];
  private counterSamples = 0;
  private counterSamplesViaCli = 0;
  private readonly lastSnapshot = new Map<number, CounterSnapshot>();
  private readonly crashes: {
    lifetime: number;
    at: number;
    enginePid: number;
    logTail: string[];
  }[] = [];
  private readonly anomalies: string[] = [];
  private readonly upFailures: string[] = [];
  private finalLeaks: Leak[] = [];
  private cleaned = false;

  constructor(private readonly opts: SoakOptions) {
    this.rng = mulberry32(opts.seed);
    this.work = mkdtempSync(join(tmpdir(), 'netweave-soak-'));
    this.runtimeBase = join(this.work, 'run');
    this.logBase = join(this.work, 'logs');
    mkdirSync(this.runtimeBase, { recursive: true, mode: 0o700 });
    mkdirSync(this.logBase, { recursive: true });
    // The CLI and the engine modules imported here read these at each call.
    process.env['NETWEAVE_RUNTIME_DIR'] = this.runtimeBase;
    process.env['NETWEAVE_LOG_DIR'] = this.logBase;
    this.env = { ...process.env };
  }

  private now(): number {
    return this.t0 === 0 ? 0 : Date.now() - this.t0;
  }

  log(line: string): void {
    const s = (this.now() / 1000).toFixed(0).padStart(5);
    process.stderr.write(`[soak ${s}s] ${line}\n`);
  }

  // ---- waiting -------------------------------------------------------------------------

  /** Sleeps; stopping the soak wakes every sleeper at once. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  /** Waits until the lab is up (or the soak stops); returns false when stopping. */
  private async labUp(): Promise<boolean> {
    while (!this.available && !this.stopping) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return !this.stopping;
  }

  private setAvailable(up: boolean): void {
    this.available = up;
    if (up) {
      const w = this.waiters;
      this.waiters = [];
      for (const r of w) r();
    }
  }

  /** Stops the soak early (a signal, a fatal error); the run then cleans up and reports. */
  requestStop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    this.log(`stopping: ${reason}`);
    for (const s of [...this.sleepers]) s();
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /**
   * True when the engine an operation started with is gone: the soak moved on to another
   * lifetime, or the engine died a moment ago and the crash is not handled yet. An operation
   * that fails then was interrupted, it did not fail.
   */
  private interrupted(epoch: number): boolean {
    const lt = this.lifetime;
    return this.epoch !== epoch || !lt || isDead(lt.enginePid, lt.engineStart);
  }

  private get lifetime(): Lifetime | undefined {
    return this.lifetimes[this.lifetimes.length - 1];
  }

  private cli(args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
    return runCli(args, { timeoutMs, env: this.env });
  }

  // ---- the lab -------------------------------------------------------------------------

  private async guestKit(): Promise<GuestFiles> {
    return new Promise((resolve, reject) => {
      const c = spawn('bash', [BUILD_GUEST], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.once('error', reject);
      c.once('close', (code) => {
        const kernel = /^KERNEL=(.*)$/m.exec(stdout)?.[1];
        const initrd = /^INITRD=(.*)$/m.exec(stdout)?.[1];
        if (code !== 0 || !kernel || !initrd)
          reject(new Error(`test guest: ${stderr.trim() || `build-guest.sh exited ${code}`}`));
        else resolve({ kernel, initrd });
      });
    });
  }

  /** `netweave up`, connect, and a new lifetime; retried once after a `down`. */
  private async bringUp(): Promise<void> {
    for (let attempt = 1; attempt <= 2 && !this.stopping; attempt++) {
      const t = Date.now();
      const r = await this.cli(
        ['up', this.labFile, '--detach', '--json', '--network', this.opts.network],
        UP_TIMEOUT_MS,
      );
      const upMs = Date.now() - t;
      let status: LabStatus | undefined;
      try {
        status = r.code === 0 ? (JSON.parse(r.stdout) as LabStatus) : undefined;
      } catch {
        status = undefined;
      }
      const record = readEngineRecord(this.plan.name);
      if (status?.state === 'running' && record) {
        let client: SocketEngineClient;
        try {
          client = await connectLab(this.plan.name);
        } catch (err) {
          this.upFailures.push(`connect after up: ${errorText(err)}`);
          await this.cli(['down', this.plan.name]);
          continue;
        }
        const lt: Lifetime = {
          index: this.lifetimes.length + 1,
          enginePid: record.enginePid,
          ...(record.engineStart !== undefined ? { engineStart: record.engineStart } : {}),
          labId: record.labId,
          logDir: record.logDir,
          from: this.now(),
          upMs,
          leaks: [],
          engineLogErrors: [],
          switches: status.nodes
            .filter((n) => n.kind === 'switch')
            .map((n) => ({ name: n.name, ports: n.ports.map((p) => p.id) })),
        };
        this.lifetimes.push(lt);
        this.client = client;
        this.record = record;
        this.kills = new Map();
        this.busyNodes.clear();
        this.busyPorts.clear();
        client.on('nodeState', (e) => {
          this.nodeEvents.push({
            at: Date.now(),
            lifetime: lt.index,
            node: e.node,
            state: e.state,
            ...(e.reason !== undefined ? { reason: e.reason } : {}),
          });
        });
        client.onClose(() => this.onConnectionClosed(lt));
        this.log(
          `lab up (lifetime ${lt.index}, engine pid ${lt.enginePid}, ${status.nodes.length} nodes) in ${(upMs / 1000).toFixed(1)} s`,
        );
        this.setAvailable(true);
        return;
      }
      const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
      this.upFailures.push(
        `up attempt ${attempt}: exit ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${why}`,
      );
      this.log(`up failed: ${why}`);
      await this.cli(['down', this.plan.name]);
    }
    if (!this.stopping) {
      this.fatal = `the lab did not come up: ${this.upFailures.slice(-1)[0] ?? ''}`;
      this.requestStop(this.fatal);
    }
  }

  /** The engine's connection closed: expected during a kill or `down`, else look closer. */
  private onConnectionClosed(lt: Lifetime): void {
    if (this.cycling || this.lifetime !== lt || lt.to !== undefined) return;
    setTimeout(() => {
      if (this.cycling || this.lifetime !== lt || lt.to !== undefined) return;
      if (isDead(lt.enginePid, lt.engineStart)) {
        this.engineGone(lt);
      } else {
        this.anomalies.push(
          `lifetime ${lt.index}: the engine connection closed while the engine (pid ${lt.enginePid}) lives`,
        );
        void connectLab(this.plan.name)
          .then((c) => {
            this.client = c;
            c.onClose(() => this.onConnectionClosed(lt));
          })
          .catch((err: unknown) => this.anomalies.push(`reconnect: ${errorText(err)}`));
      }
    }, 200);
  }

  /** The engine died without the soak killing it: a crash. */
  private engineGone(lt: Lifetime): void {
    if (this.cycling || lt.to !== undefined) return;
    const logTail = this.engineLog(lt).slice(-20);
    this.crashes.push({ lifetime: lt.index, at: this.now(), enginePid: lt.enginePid, logTail });
    this.log(`ENGINE CRASH (lifetime ${lt.index}, pid ${lt.enginePid}) not caused by the soak`);
    void this.cycleEngine('crash');
  }

  private engineLog(lt: Lifetime): string[] {
    try {
      return readFileSync(join(lt.logDir, 'engine.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Kills the engine (or handles its crash), checks status, `down`, leaks, then `up` again. */
  private cycleEngine(cause: 'soak-kill' | 'crash'): Promise<void> {
    this.cycling ??= (async () => {
      const lt = this.lifetime;
      if (!lt) return;
      this.setAvailable(false);
      this.epoch++;
      if (cause === 'soak-kill') {
        this.log(`killing the engine (pid ${lt.enginePid}) with SIGKILL`);
        try {
          process.kill(lt.enginePid, 'SIGKILL');
        } catch (err) {
          this.anomalies.push(`kill engine ${lt.enginePid}: ${errorText(err)}`);
        }
      }
      const until = Date.now() + ENGINE_GONE_MS;
      while (!isDead(lt.enginePid, lt.engineStart) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!isDead(lt.enginePid, lt.engineStart))
        this.anomalies.push(`the engine ${lt.enginePid} outlived SIGKILL by ${ENGINE_GONE_MS} ms`);
      await this.endLifetime(lt, cause);
      if (cause === 'soak-kill' && !this.killDuringUpRecord && !this.stopping)
        await this.killDuringUp();
      if (!this.stopping) await this.bringUp();
    })().finally(() => {
      this.cycling = undefined;
    });
    return this.cycling;
  }

  /** Ends a lifetime: status (after a death), `down`, and the leak check. */
  /**
   * Asks `netweave status LAB --json` until it calls the lab "stale" (its engine is dead: gone,
   * or a zombie its parent has not reaped yet), every half second for STATUS_DEAD_MS, so that a
   * late answer is measured too.
   */
  private async statusUntilStale(): Promise<{
    first: string;
    last: string;
    staleAfterMs?: number;
  }> {
    const asked = Date.now();
    let first: string | undefined;
    for (;;) {
      const s = await this.cli(['status', this.plan.name, '--json']);
      let said: string;
      try {
        const j = JSON.parse(s.stdout) as { state?: string } | null;
        said = j?.state ?? 'null';
      } catch {
        said = `exit ${s.code}: ${s.stderr.trim().slice(0, 200)}`;
      }
      first ??= said;
      if (said === 'stale') return { first, last: said, staleAfterMs: Date.now() - asked };
      if (Date.now() - asked > STATUS_DEAD_MS) return { first, last: said };
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** `netweave down LAB`, then everything the lab left (see soakHost.ts findLeaks). */
  private async downAndCheck(
    labId: string,
    engine?: { pid: number; start?: string },
  ): Promise<{ ok: boolean; removed?: number; error?: string; leaks: Leak[] }> {
    const journal: JournalObject[] = readOutstanding(
      join(labDir(this.plan.name), LAB_FILES.journal),
    );
    const d = await this.cli(['down', this.plan.name, '--json']);
    let removed: number | undefined;
    try {
      removed = (JSON.parse(d.stdout) as { removed?: number }).removed;
    } catch {
      // reported through ok
    }
    if (engine && !isDead(engine.pid, engine.start)) await new Promise((r) => setTimeout(r, 2_000));
    const leaks = await findLeaks({
      labName: this.plan.name,
      labId,
      runtimeBase: this.runtimeBase,
      journal,
    });
    if (engine && !isDead(engine.pid, engine.start))
      leaks.push({ kind: 'process', ref: String(engine.pid), detail: 'the engine after down' });
    return {
      ok: d.code === 0,
      ...(removed !== undefined ? { removed } : {}),
      ...(d.code !== 0 ? { error: d.stderr.trim() } : {}),
      leaks,
    };
  }

  /** Ends a lifetime: status (after a death), `down`, and the leak check. */
  private async endLifetime(lt: Lifetime, cause: 'soak-kill' | 'crash' | 'final'): Promise<void> {
    lt.to = this.now();
    lt.endReason = cause;
    this.setAvailable(false);
    const wall = Date.now();
    for (const w of this.windows) if (w.to === undefined) w.to = wall;
    this.client?.dispose();
    this.client = undefined;
    if (cause !== 'final') {
      const st = await this.statusUntilStale();
      lt.statusFirst = st.first;
      lt.statusAfterDeath = st.last;
      if (st.staleAfterMs !== undefined) lt.statusStaleAfterMs = st.staleAfterMs;
      if (st.first !== 'stale')
        this.log(
          `status after the engine died first said "${st.first}"; ${st.staleAfterMs !== undefined ? `"stale" after ${st.staleAfterMs} ms` : 'never "stale"'}`,
        );
    }
    const down = await this.downAndCheck(lt.labId, {
      pid: lt.enginePid,
      ...(lt.engineStart !== undefined ? { start: lt.engineStart } : {}),
    });
    lt.downOk = down.ok;
    if (down.removed !== undefined) lt.downRemoved = down.removed;
    lt.leaks = down.leaks;
    if (!down.ok) this.log(`down failed: ${down.error ?? ''}`);
    lt.engineLogErrors = this.engineLog(lt).filter((l) =>
      /netweave engine:|error|uncaught|unhandled/i.test(l),
    );
    this.log(
      `lifetime ${lt.index} ended (${cause}): down ${lt.downOk ? 'ok' : 'FAILED'}, ${lt.leaks.length} leaked object(s)`,
    );
    for (const l of lt.leaks)
      this.log(`  LEAK ${l.kind} ${l.ref}${l.detail ? ` (${l.detail})` : ''}`);
  }

  /**
   * Once per run, after the first engine kill: `netweave up` again, and SIGKILL its engine in the
   * middle of the deploy (once half the hosts' namespaces are in the journal, or after 20 s).
   * `up` must fail, `status` must call the lab dead, and `down` must leave nothing.
   */
  private async killDuringUp(): Promise<void> {
    const rec: KillDuringUp = { killed: false, leaks: [] };
    this.killDuringUpRecord = rec;
    const up = this.cli(
      ['up', this.labFile, '--detach', '--json', '--network', this.opts.network],
      UP_TIMEOUT_MS,
    );
    let exited = false;
    void up.then(() => (exited = true));
    const journalFile = join(labDir(this.plan.name), LAB_FILES.journal);
    const t = Date.now();
    let engine: EngineRecord | undefined;
    while (!exited && Date.now() - t < 20_000) {
      await new Promise((r) => setTimeout(r, 100));
      engine = readEngineRecord(this.plan.name);
      const namespaces = readOutstanding(journalFile).filter((o) => o.type === 'netns').length;
      if (engine && namespaces >= this.plan.hosts.length / 2) {
        rec.journaledNamespaces = namespaces;
        break;
      }
    }
    engine ??= readEngineRecord(this.plan.name);
    if (!engine || exited) {
      rec.note = exited ? 'up finished before the engine could be killed' : 'no engine record';
    } else {
      rec.killedAfterMs = Date.now() - t;
      this.log(
        `killing the engine (pid ${engine.enginePid}) during up, ${rec.killedAfterMs} ms in`,
      );
      try {
        process.kill(engine.enginePid, 'SIGKILL');
        rec.killed = true;
      } catch (err) {
        rec.note = `kill: ${errorText(err)}`;
      }
    }
    const r = await up;
    rec.upExit = r.code;
    rec.upSaid = (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ').slice(0, 300);
    if (engine) {
      const until = Date.now() + ENGINE_GONE_MS;
      while (!isDead(engine.enginePid, engine.engineStart) && Date.now() < until)
        await new Promise((res) => setTimeout(res, 50));
      // up may have cleaned up already (it saw its engine die): then there is no lab to ask.
      if (existsSync(labDir(this.plan.name))) {
        const st = await this.statusUntilStale();
        rec.statusFirst = st.first;
        rec.statusAfterDeath = st.last;
      }
    }
    const down = await this.downAndCheck(
      engine?.labId ?? '',
      engine && {
        pid: engine.enginePid,
        ...(engine.engineStart !== undefined ? { start: engine.engineStart } : {}),
      },
    );
    rec.downOk = down.ok;
    rec.leaks = down.leaks;
    this.log(
      `kill during up: up exited ${rec.upExit} ("${rec.upSaid ?? ''}"), status ${rec.statusAfterDeath ?? '-'}, down ${down.ok ? 'ok' : 'FAILED'}, ${down.leaks.length} leaked object(s)`,
    );
    for (const l of down.leaks)
      this.log(`  LEAK ${l.kind} ${l.ref}${l.detail ? ` (${l.detail})` : ''}`);
  }

  // ---- node kills ----------------------------------------------------------------------

  private backoff(attempt: number): number {
    return Math.min(DEFAULT_BACKOFF_MS * 2 ** (attempt - 1), DEFAULT_MAX_BACKOFF_MS);
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[Math.floor(this.rng() * xs.length)];
  }

  /** Kills one node's process and follows its restart; undefined when nothing was killed. */
  private async killNode(
    forced?: string,
    expectFailure = false,
  ): Promise<KillRecord | 'failed-as-expected' | undefined> {
    const client = this.client;
    const lt = this.lifetime;
    if (!client || !lt || !this.available) return undefined;
    const epoch = this.epoch;
    const status = await client.call('status', {});
    let victim = forced !== undefined ? status.nodes.find((n) => n.name === forced) : undefined;
    if (forced === undefined) {
      const eligible = status.nodes.filter(
        (n) =>
          (n.kind === 'host' || n.kind === 'qemu') &&
          n.state === 'ready' &&
          n.pid !== undefined &&
          !this.busyNodes.has(n.name) &&
          (this.kills.get(n.name) ?? 0) < DEFAULT_MAX_RESTARTS,
      );
      const guestBusy = [...this.busyNodes].some((n) => n.startsWith('g'));
      const guests = eligible.filter((n) => n.kind === 'qemu');
      const hosts = eligible.filter((n) => n.kind === 'host');
      victim =
        guests.length > 0 && !guestBusy && this.rng() < GUEST_KILL_SHARE
          ? this.pick(guests)
          : this.pick(hosts);
    }
    if (!victim || victim.pid === undefined) return undefined;
    const kind = victim.kind === 'qemu' ? 'qemu' : 'host';
    const proc = findNodeProcess(lt.labId, victim.pid);
    if (!proc) {
      this.anomalies.push(
        `no process tagged ${lt.labId} has pid ${victim.pid} (node ${victim.name}) in the engine's namespace`,
      );
      return undefined;
    }
    const name = victim.name;
    const attempt = (this.kills.get(name) ?? 0) + 1;
    this.kills.set(name, attempt);
    const backoffMs = this.backoff(attempt);
    const boundMs =
      backoffMs + (kind === 'qemu' ? GUEST_READY_TIMEOUT_S * 1000 : 0) + RESTART_SLACK_MS;
    const markedBusy = !this.busyNodes.has(name);
    if (markedBusy) this.busyNodes.add(name);
    const node = [...this.plan.hosts, ...this.plan.guests].find((n) => n.name === name);
    const window: DownWindow | undefined =
      kind === 'qemu' && node ? { port: node.port, from: Date.now() } : undefined;
    if (window) this.windows.push(window);
    const at = Date.now();
    try {
      process.kill(proc.pid, 'SIGKILL');
      this.log(
        `killed ${kind} ${name} (pid ${proc.pid}${proc.pid !== victim.pid ? `, ${victim.pid} in the engine` : ''}), attempt ${attempt}`,
      );
      let outcome: KillRecord['outcome'] = 'not-recovered';
      let recoveredMs: number | undefined;
      const deadline = at + boundMs + RESTART_GRACE_MS;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        if (this.interrupted(epoch) || this.client !== client) {
          outcome = 'interrupted';
          break;
        }
        let s: LabStatus;
        try {
          s = await client.call('status', {});
        } catch {
          outcome = 'interrupted';
          break;
        }
        const n = s.nodes.find((x) => x.name === name);
        if (n?.state === 'failed') {
          outcome = 'failed';
          break;
        }
        if (n?.state === 'ready' && n.pid !== undefined && n.pid !== victim.pid) {
          recoveredMs = Date.now() - at;
          outcome = recoveredMs <= boundMs ? 'recovered' : 'late';
          break;
        }
      }
      if (!isDead(proc.pid, proc.startTime))
        this.anomalies.push(`${name}: pid ${proc.pid} still alive after SIGKILL`);
      if (expectFailure && outcome === 'failed') return 'failed-as-expected';
      const ev = this.nodeEvents.find(
        (e) => e.lifetime === lt.index && e.node === name && e.at >= at && e.state === 'restarting',
      );
      const m = /restart (\d+) of (\d+) in ([\d.]+) s/.exec(ev?.reason ?? '');
      const rec: KillRecord = {
        lifetime: lt.index,
        node: name,
        kind,
        attempt,
        enginePid: victim.pid,
        hostPid: proc.pid,
        at: new Date(at).toISOString(),
        backoffMs,
        boundMs,
        ...(recoveredMs !== undefined ? { recoveredMs } : {}),
        outcome,
        withinPolicy: outcome === 'recovered',
        ...(ev?.reason !== undefined ? { restartReason: ev.reason } : {}),
        ...(m
          ? {
              reasonMatches:
                Number(m[1]) === attempt &&
                Number(m[2]) === DEFAULT_MAX_RESTARTS &&
                Math.abs(Number(m[3]) * 1000 - backoffMs) < 1,
            }
          : outcome !== 'interrupted'
            ? { reasonMatches: false }
            : {}),
      };
      if (outcome === 'interrupted') rec.withinPolicy = true; // the engine went away, not the policy
      this.killRecords.push(rec);
      if (outcome !== 'recovered' && outcome !== 'interrupted')
        this.log(
          `RESTART ${outcome.toUpperCase()}: ${name} after ${recoveredMs ?? '-'} ms (bound ${boundMs} ms)`,
        );
      return rec;
    } finally {
      if (window) window.to = Date.now() + FLAP_SETTLE_MS;
      if (markedBusy) this.busyNodes.delete(name);
    }
  }

  private async killerTask(): Promise<void> {
    while (!this.stopping) {
      await this.sleep(this.opts.killEveryS * 1000 * (0.5 + this.rng()));
      if (!(await this.labUp())) break;
      try {
        await this.killNode();
      } catch (err) {
        if (this.available) this.anomalies.push(`node kill: ${errorText(err)}`);
      }
    }
  }

  /**
   * Once per run: one host node is killed DEFAULT_MAX_RESTARTS + 1 times. The policy allows
   * DEFAULT_MAX_RESTARTS restarts per start, so the last kill must leave it 'failed' (and say
   * so); `nodeStart` must then bring it back.
   */
  private async policyLimitTask(): Promise<void> {
    await this.sleep(Math.min(60_000, this.opts.minutes * 60_000 * 0.1));
    if (!(await this.labUp())) return;
    const lt = this.lifetime;
    const target = this.pick(
      this.plan.hosts.filter((h) => !this.busyNodes.has(h.name) && !this.kills.has(h.name)),
    );
    if (!lt || !target) return;
    const result: PolicyLimitResult = { node: target.name, lifetime: lt.index };
    this.policyLimit = result;
    this.busyNodes.add(target.name);
    try {
      for (let i = 1; i <= DEFAULT_MAX_RESTARTS; i++) {
        const r = await this.killNode(target.name);
        if (r === undefined || r === 'failed-as-expected' || r.outcome !== 'recovered') {
          result.result = `kill ${i} did not restart normally (${typeof r === 'object' ? r.outcome : String(r)})`;
          return;
        }
      }
      const last = await this.killNode(target.name, true);
      const client = this.client;
      if (!client || this.lifetime !== lt) {
        result.result = 'interrupted by an engine kill';
        return;
      }
      const s = await client.call('status', {});
      const n = s.nodes.find((x) => x.name === target.name);
      result.failedAfterLimit = last === 'failed-as-expected';
      if (n?.reason !== undefined) result.reason = n.reason;
      result.reasonNamesLimit = (n?.reason ?? '').includes(
        `failed after ${DEFAULT_MAX_RESTARTS} restarts`,
      );
      const t = Date.now();
      const started = await client.call('nodeStart', { node: target.name });
      result.nodeStartState = started.state;
      result.nodeStartMs = Date.now() - t;
      this.kills.set(target.name, 0);
      result.result =
        result.failedAfterLimit === true && started.state === 'ready'
          ? 'as-expected'
          : 'unexpected';
      this.log(`restart limit check on ${target.name}: ${result.result}`);
    } catch (err) {
      result.result =
        this.lifetime === lt ? `error: ${errorText(err)}` : 'interrupted by an engine kill';
    } finally {
      this.busyNodes.delete(target.name);
    }
  }

  // ---- link flaps ----------------------------------------------------------------------

  private async flapperTask(): Promise<void> {
    while (!this.stopping) {
      await this.sleep(this.opts.flapEveryS * 1000 * (0.5 + this.rng()));
      if (!(await this.labUp())) break;
      const r = this.rng();
      let port: string | undefined;
      let owner: string | undefined;
      if (r < 0.2 && this.plan.trunks.length > 0) {
        const t = this.pick(this.plan.trunks);
        port = t ? this.pick(t.ports) : undefined;
      } else if (r < 0.35 && this.plan.guests.length > 0) {
        const g = this.pick(this.plan.guests);
        port = g?.port;
        owner = g?.name;
      } else {
        const h = this.pick(this.plan.hosts);
        port = h?.port;
        owner = h?.name;
      }
      if (!port || this.busyPorts.has(port) || (owner && this.busyNodes.has(owner))) continue;
      const epoch = this.epoch;
      this.busyPorts.add(port);
      const w: DownWindow = { port, from: Date.now() };
      this.windows.push(w);
      this.flaps.count++;
      try {
        const down = await this.cli(['link', port, 'down', '--lab', this.plan.name, '--json']);
        const okDown =
          down.code === 0 && (JSON.parse(down.stdout) as { up?: boolean }).up === false;
        await this.sleep(FLAP_DOWN_MS * (1 + this.rng()));
        if (this.interrupted(epoch)) {
          this.flaps.interrupted++;
          continue;
        }
        const up = await this.cli(['link', port, 'up', '--lab', this.plan.name, '--json']);
        const okUp = up.code === 0 && (JSON.parse(up.stdout) as { up?: boolean }).up === true;
        if (this.interrupted(epoch)) this.flaps.interrupted++;
        else if (!okDown || !okUp) {
          this.flaps.failed++;
          this.flaps.errors.push(`${port}: ${(down.stderr + up.stderr).trim()}`);
        }
      } catch (err) {
        if (this.interrupted(epoch)) this.flaps.interrupted++;
        else {
          this.flaps.failed++;
          this.flaps.errors.push(`${port}: ${errorText(err)}`);
        }
      } finally {
        w.to = Date.now() + FLAP_SETTLE_MS;
        this.busyPorts.delete(port);
      }
    }
  }

  // ---- pings ---------------------------------------------------------------------------

  /** True when a flap or a guest kill touched the path from `src` to `dst` during [from, to]. */
  private disturbed(src: SoakNode, dst: SoakNode, from: number, to: number): boolean {
    const ports = new Set([
      src.port,
      dst.port,
      ...trunksBetween(this.plan, src.switch, dst.switch).flatMap((t) => t.ports),
    ]);
    return this.windows.some(
      (w) => ports.has(w.port) && w.from <= to && (w.to === undefined || w.to >= from),
    );
  }

  private async pingTask(): Promise<void> {
    const everyone = [...this.plan.hosts, ...this.plan.guests];
    while (!this.stopping) {
      if (!(await this.labUp())) break;
      const client = this.client;
      const src = this.pick(this.plan.hosts);
      const dst = this.pick(everyone.filter((n) => n !== src));
      if (!client || !src || !dst) break;
      const v6 = this.rng() < 0.25;
      const deadline = Math.ceil(PING_COUNT * PING_INTERVAL_S) + 3;
      const argv = [
        'ping',
        v6 ? '-6' : '-4',
        '-n',
        '-q',
        '-c',
        String(PING_COUNT),
        '-i',
        String(PING_INTERVAL_S),
        '-W',
        '1',
        '-w',
        String(deadline),
        v6 ? dst.ipv6 : dst.ipv4,
      ];
      const epoch = this.epoch;
      const from = Date.now();
      try {
        const r = await client.call('exec', {
          node: src.name,
          argv,
          timeoutMs: (deadline + 10) * 1000,
        });
        const to = Date.now();
        const stdout = execText(r, r.stdout);
        const c = parsePing(stdout);
        if (this.interrupted(epoch)) {
          this.pings.interrupted++;
        } else if (!c) {
          this.pings.errors++;
          if (this.pings.errorSamples.length < 10)
            this.pings.errorSamples.push(
              `${src.name} -> ${dst.name}: ${(execText(r, r.stderr) || stdout).trim()}`,
            );
        } else {
          const add = (t: PingTally): void => {
            t.runs++;
            t.transmitted += c.transmitted;
            t.received += c.received;
          };
          add(this.pings.all);
          add(v6 ? this.pings.ipv6 : this.pings.ipv4);
          add(this.disturbed(src, dst, from, to) ? this.pings.disturbed : this.pings.undisturbed);
        }
      } catch (err) {
        if (this.interrupted(epoch) || this.client !== client) this.pings.interrupted++;
        else {
          this.pings.errors++;
          if (this.pings.errorSamples.length < 10)
            this.pings.errorSamples.push(`${src.name} -> ${dst.name}: ${errorText(err)}`);
        }
      }
      await this.sleep(200);
    }
  }

  // ---- captures ------------------------------------------------------------------------

  private async captureTask(): Promise<void> {
    let n = 0;
    await this.sleep(Math.min(this.opts.captureEveryS * 500, 30_000));
    while (!this.stopping) {
      if (!(await this.labUp())) break;
      const client = this.client;
      const lt = this.lifetime;
      const h = this.pick(
        this.plan.hosts.filter((x) => !this.busyNodes.has(x.name) && !this.busyPorts.has(x.port)),
      );
      const peer = this.pick(this.plan.hosts.filter((x) => x !== h));
      if (client && lt && h && peer) {
        const epoch = this.epoch;
        const link = `${h.port}--${h.switch}`;
        const file = join(this.work, `capture-${++n}.pcapng`);
        this.busyPorts.add(h.port);
        const rec: CaptureRecord = {
          lifetime: lt.index,
          link,
          packets: 0,
          icmpEcho: 0,
          counterDelta: 0,
          problems: [],
        };
        try {
          const before = await client.call('stats', {});
          const traffic = client
            .call('exec', {
              node: h.name,
              argv: [
                'ping',
                '-4',
                '-n',
                '-q',
                '-c',
                String(CAPTURE_S * 4),
                '-i',
                '0.25',
                '-w',
                String(CAPTURE_S + 3),
                peer.ipv4,
              ],
              timeoutMs: (CAPTURE_S + 15) * 1000,
            })
            .catch(() => undefined);
          const cap = await this.cli(
            ['capture', link, '--lab', this.plan.name, '-w', file, '--duration', String(CAPTURE_S)],
            (CAPTURE_S + 60) * 1000,
          );
          await traffic;
          const after = await client.call('stats', {});
          if (this.interrupted(epoch)) throw new Error('interrupted');
          rec.counterDelta = capturedFramesOf(after, h.port) - capturedFramesOf(before, h.port);
          const m = /(\d+) frames written/.exec(cap.stderr);
          if (m) rec.reported = Number(m[1]);
          if (cap.code !== 0) rec.problems.push(`capture exited ${cap.code}: ${cap.stderr.trim()}`);
          if (existsSync(file)) {
            const sum = summarizePcapng(readFileSync(file));
            rec.packets = sum.packets;
            rec.icmpEcho = sum.icmpEcho;
            if (sum.error) rec.problems.push(`pcapng: ${sum.error}`);
            if (sum.interfaces !== 1 || sum.linkTypes[0] !== 1)
              rec.problems.push(
                `pcapng: ${sum.interfaces} interfaces, link types ${sum.linkTypes.join(',')}`,
              );
            rec.tsharkPackets = await tsharkCount(file);
            if (rec.tsharkPackets !== undefined && rec.tsharkPackets !== sum.packets)
              rec.problems.push(
                `tshark reads ${rec.tsharkPackets} packets, the file has ${sum.packets}`,
              );
          } else rec.problems.push('no capture file');
          if (rec.reported !== undefined && rec.reported !== rec.packets)
            rec.problems.push(
              `the CLI reported ${rec.reported} frames, the file has ${rec.packets}`,
            );
          if (rec.packets > rec.counterDelta)
            rec.problems.push(
              `${rec.packets} packets captured but the port counted ${rec.counterDelta} frames`,
            );
          if (rec.icmpEcho === 0) rec.problems.push('no ICMP echo captured while pinging');
        } catch (err) {
          if (this.interrupted(epoch)) rec.interrupted = true;
          else rec.problems.push(errorText(err));
        } finally {
          this.busyPorts.delete(h.port);
          rmSync(file, { force: true });
        }
        this.captures.push(rec);
        if (rec.problems.length > 0 && !rec.interrupted)
          this.log(`capture of ${link}: ${rec.problems.join('; ')}`);
      }
      await this.sleep(this.opts.captureEveryS * 1000);
    }
  }

  // ---- sampling ------------------------------------------------------------------------

  private async samplerTask(): Promise<void> {
    let prev: { snap: CounterSnapshot; lifetime: number } | undefined;
    let i = 0;
    while (!this.stopping) {
      if (!(await this.labUp())) break;
      const lt = this.lifetime;
      const client = this.client;
      if (!lt || !client) break;
      const epoch = this.epoch;
      const kib = rssKiB(lt.enginePid);
      if (kib === undefined || isDead(lt.enginePid, lt.engineStart)) {
        if (this.epoch === epoch && !this.cycling) this.engineGone(lt);
        await this.sleep(500);
        continue;
      }
      this.rss.push({ t: this.now(), lifetime: lt.index, kib });
      try {
        let snap: CounterSnapshot;
        if (i++ % 6 === 5) {
          const r = await this.cli(['stats', '--lab', this.plan.name, '--json']);
          if (r.code !== 0) throw new Error(`netweave stats: ${r.stderr.trim()}`);
          snap = JSON.parse(r.stdout) as CounterSnapshot;
          this.counterSamplesViaCli++;
        } else {
          snap = await client.call('stats', {});
        }
        if (this.epoch === epoch) {
          this.counterSamples++;
          this.violations.push(...checkSnapshot(snap, lt.index, lt.switches, this.plan.trunks));
          if (prev?.lifetime === lt.index)
            this.violations.push(...checkPair(prev.snap, snap, lt.index, this.windows));
          prev = { snap, lifetime: lt.index };
          this.lastSnapshot.set(lt.index, snap);
        }
      } catch (err) {
        if (this.epoch === epoch && this.available)
          this.anomalies.push(`counter sample: ${errorText(err)}`);
      }
      await this.sleep(this.opts.sampleEveryS * 1000);
    }
  }

  private async progressTask(): Promise<void> {
    while (!this.stopping) {
      await this.sleep(60_000);
      if (this.stopping) break;
      const last = this.rss[this.rss.length - 1];
      this.log(
        `kills ${this.killRecords.length}, flaps ${this.flaps.count}, pings ${this.pings.all.received}/${this.pings.all.transmitted}, ` +
          `engine RSS ${last ? (last.kib / 1024).toFixed(1) : '-'} MiB, counter violations ${this.violations.length}, load ${loadavg()[0]?.toFixed(2)}`,
      );
    }
  }

  private async engineKillerTask(): Promise<void> {
    const n = this.opts.engineKills;
    const total = this.opts.minutes * 60_000;
    for (let i = 1; i <= n && !this.stopping; i++) {
      const at = (0.4 * total * i) / n;
      await this.sleep(at - this.now());
      if (!(await this.labUp())) break;
      if (this.cycling) await this.cycling;
      if (this.stopping) break;
      await this.cycleEngine('soak-kill');
    }
  }

  // ---- the run -------------------------------------------------------------------------

  async run(): Promise<number> {
    const o = this.opts;
    const guests = o.guests;
    const hosts = o.nodes - guests - o.switches;
    this.log(
      `work folder ${this.work} (runtime and logs); seed ${o.seed}; ${o.minutes} min, ${o.nodes} nodes: ${hosts} hosts, ${guests} QEMU guests (TCG: each costs CPU, so few), ${o.switches} switches; network ${o.network}`,
    );
    const kit = guests > 0 ? await this.guestKit() : undefined;
    this.plan = buildSoakLab({ hosts, guests, switches: o.switches }, kit);
    this.labFile = join(this.work, 'soak.yaml');
    writeFileSync(this.labFile, this.plan.yaml);
    await this.bringUp();
    this.t0 = Date.now();
    const first = this.lifetimes[0];
    if (first) first.from = 0;
    const tasks: Promise<void>[] = [];
    if (!this.stopping) {
      tasks.push(
        this.samplerTask(),
        this.killerTask(),
        this.policyLimitTask(),
        this.flapperTask(),
        this.captureTask(),
        this.engineKillerTask(),
        this.progressTask(),
        ...Array.from({ length: o.pingStreams }, () => this.pingTask()),
      );
      await this.sleep(o.minutes * 60_000);
    }
    this.requestStop(this.stopReason ?? 'time is up');
    const settled = await Promise.race([
      Promise.allSettled(tasks).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 90_000)),
    ]);
    if (!settled) this.anomalies.push('some soak tasks did not finish within 90 s of the stop');
    if (this.cycling) await this.cycling;
    const lt = this.lifetime;
    if (lt && lt.to === undefined) await this.endLifetime(lt, 'final');
    await this.cleanup();
    return this.report();
  }

  /** Takes down whatever is left and removes the work folder (after copying logs if asked). */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    this.client?.dispose();
    if (existsSync(labDir(SOAK_LAB_NAME))) {
      const r = await this.cli(['down', SOAK_LAB_NAME]);
      if (r.code !== 0) await cleanupLab(SOAK_LAB_NAME).catch(() => 0);
    }
    const leftovers = await findLeaks({
      labName: SOAK_LAB_NAME,
      labId: this.lifetime?.labId ?? '',
      runtimeBase: this.runtimeBase,
      journal: [],
    }).catch(() => []);
    this.finalLeaks = this.lifetime ? leftovers : [];
    if (this.opts.keepLogs !== undefined) {
      mkdirSync(this.opts.keepLogs, { recursive: true });
      await new Promise<void>((resolve) => {
        const c = spawn('cp', ['-a', `${this.logBase}/.`, this.opts.keepLogs ?? '.'], {
          stdio: 'ignore',
        });
        c.once('close', () => resolve());
        c.once('error', () => resolve());
      });
    }
    rmSync(this.work, { recursive: true, force: true });
  }

  private report(): number {
    const o = this.opts;
    const durationMs = this.now();
    const kdu = this.killDuringUpRecord;
    const allLeaks: (Leak & { lifetime: number | 'killed-during-up' })[] = [
      ...this.lifetimes.flatMap((l) => l.leaks.map((x) => ({ lifetime: l.index, ...x }))),
      ...(kdu?.leaks ?? []).map((x) => ({ lifetime: 'killed-during-up' as const, ...x })),
    ];
    // The engine killed during up: up fails, status calls it dead (unless up cleaned up
    // itself, leaving no lab to ask about), down works.
    const kduOk =
      kdu === undefined ||
      !kdu.killed ||
      (kdu.upExit !== 0 &&
        (kdu.statusAfterDeath === undefined || kdu.statusAfterDeath === 'stale') &&
        kdu.downOk === true);
    const kills = this.killRecords;
    const counted = kills.filter((k) => k.outcome !== 'interrupted');
    const outside = counted.filter((k) => !k.withinPolicy);
    const reasonMismatch = counted.filter((k) => k.reasonMatches === false);
    const byKind = (kind: 'host' | 'qemu'): Record<string, unknown> => {
      const ks = counted.filter((k) => k.kind === kind);
      const ms = ks.flatMap((k) => (k.recoveredMs !== undefined ? [k.recoveredMs] : []));
      return {
        kills: ks.length,
        restarted: ms.length,
        recoveredMedianMs: median(ms) ?? null,
        recoveredMaxMs: ms.length ? Math.max(...ms) : null,
      };
    };
    const rssKib = this.rss.map((s) => s.kib);
    const perLifetime = this.lifetimes.map((l) => {
      const xs = this.rss.filter((s) => s.lifetime === l.index).map((s) => s.kib);
      return {
        lifetime: l.index,
        samples: xs.length,
        minKiB: xs.length ? Math.min(...xs) : null,
        medianKiB: median(xs) ?? null,
        maxKiB: xs.length ? Math.max(...xs) : null,
      };
    });
    // The flatness measure: the longest sampled lifetime (the last one, by the schedule).
    let flat: RssFlatness | undefined;
    for (const l of this.lifetimes) {
      const f = rssFlatness(this.rss, l.index);
      if (!flat || f.spanMs > flat.spanMs) flat = f;
    }
    const byCheck: Record<string, number> = {};
    for (const v of this.violations) byCheck[v.check] = (byCheck[v.check] ?? 0) + 1;
    const drops = [...this.lastSnapshot.values()].map(dropTotals);
    const dropSum = drops.reduce<Record<string, number>>((acc, d) => {
      for (const [k, n] of Object.entries(d)) acc[k] = (acc[k] ?? 0) + n;
      return acc;
    }, {});
    const engineKills = this.lifetimes.filter((l) => l.endReason === 'soak-kill');
    const restartPolicyOk =
      outside.length === 0 &&
      reasonMismatch.length === 0 &&
      (this.policyLimit === undefined ||
        this.policyLimit.result === 'as-expected' ||
        String(this.policyLimit.result).startsWith('interrupted'));
    const acceptance = {
      noLeaks: { pass: allLeaks.length === 0, value: allLeaks.length, limit: 0 },
      noUnexpectedEngineCrash: {
        pass: this.crashes.length === 0,
        value: this.crashes.length,
        limit: 0,
      },
      rssFlat: {
        pass: flat?.flat === true,
        value: flat?.ratio ?? null,
        limit: 'last-window median / first-window median within 1 +- 0.2',
      },
      restartsWithinPolicy: {
        pass: restartPolicyOk,
        value: outside.length + reasonMismatch.length,
        limit: 0,
      },
      countersConsistent: {
        pass: this.violations.length === 0 && this.counterSamples > 0,
        value: this.violations.length,
        limit: 0,
      },
      engineKillsHandled: {
        pass:
          kduOk && engineKills.every((l) => l.statusAfterDeath === 'stale' && l.downOk === true),
        value:
          engineKills.filter((l) => l.statusAfterDeath !== 'stale' || l.downOk !== true).length +
          (kduOk ? 0 : 1),
        limit: 0,
      },
      ranToTheEnd: {
        pass: this.fatal === undefined && this.stopReason === 'time is up',
        value: this.stopReason ?? null,
      },
    };
    const pass = Object.values(acceptance).every((a) => a.pass);
    const result = {
      date: new Date(this.wallStart).toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
      profile: o.profile,
      options: o,
      durationS: Math.round(durationMs / 1000),
      wallS: Math.round((Date.now() - this.wallStart) / 1000),
      stopReason: this.stopReason ?? null,
      lab: {
        nodes: this.plan.nodeCount,
        hosts: this.plan.hosts.length,
        guests: this.plan.guests.length,
        switches: this.plan.switches.length,
        trunks: this.plan.trunks.map((t) => t.name),
        network: o.network,
        guestNote: `${this.plan.guests.length} QEMU test guest(s) (Debian kernel + busybox initramfs, TCG, virtio-net, restart: on-failure): kept few because each costs CPU under TCG on this machine`,
      },
      lifetimes: this.lifetimes.map((l) => ({
        index: l.index,
        enginePid: l.enginePid,
        upMs: l.upMs,
        fromS: Math.round(l.from / 1000),
        toS: l.to !== undefined ? Math.round(l.to / 1000) : null,
        endReason: l.endReason ?? null,
        statusAfterDeath: l.statusAfterDeath ?? null,
        statusFirst: l.statusFirst ?? null,
        statusStaleAfterMs: l.statusStaleAfterMs ?? null,
        downOk: l.downOk ?? null,
        downRemoved: l.downRemoved ?? null,
        leaks: l.leaks.length,
        engineLogErrors: l.engineLogErrors.slice(0, 10),
      })),
      upFailures: this.upFailures,
      nodeKills: {
        total: kills.length,
        interrupted: kills.length - counted.length,
        recovered: counted.filter((k) => k.outcome === 'recovered').length,
        withinPolicy: counted.filter((k) => k.withinPolicy).length,
        outsidePolicy: outside.length,
        reasonMismatch: reasonMismatch.length,
        policy: {
          maxRestartsPerStart: DEFAULT_MAX_RESTARTS,
          backoffMs: DEFAULT_BACKOFF_MS,
          maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
          boundMs: `min(${DEFAULT_BACKOFF_MS} x 2^(attempt-1), ${DEFAULT_MAX_BACKOFF_MS}) + ready timeout (guests ${GUEST_READY_TIMEOUT_S} s) + ${RESTART_SLACK_MS}`,
        },
        host: byKind('host'),
        qemu: byKind('qemu'),
        outside: [...outside, ...reasonMismatch].slice(0, 20),
      },
      restartLimitCheck: this.policyLimit ?? null,
      engineKills: {
        killedDuringUp: kdu ?? null,
        count: engineKills.length,
        statusReportedDead: engineKills.filter((l) => l.statusAfterDeath === 'stale').length,
        downOk: engineKills.filter((l) => l.downOk === true).length,
      },
      engineCrashes: { unexpected: this.crashes.length, details: this.crashes },
      leaks: { total: allLeaks.length, items: allLeaks, afterCleanup: this.finalLeaks },
      rss: {
        samples: rssKib.length,
        minKiB: rssKib.length ? Math.min(...rssKib) : null,
        medianKiB: median(rssKib) ?? null,
        maxKiB: rssKib.length ? Math.max(...rssKib) : null,
        perLifetime,
        flatness: flat ?? null,
      },
      pings: {
        streams: o.pingStreams,
        runs: this.pings.all.runs,
        transmitted: this.pings.all.transmitted,
        received: this.pings.all.received,
        successRate: rate(this.pings.all),
        undisturbedSuccessRate: rate(this.pings.undisturbed),
        undisturbed: this.pings.undisturbed,
        disturbedSuccessRate: rate(this.pings.disturbed),
        disturbed: this.pings.disturbed,
        ipv4SuccessRate: rate(this.pings.ipv4),
        ipv6SuccessRate: rate(this.pings.ipv6),
        interruptedRuns: this.pings.interrupted,
        errorRuns: this.pings.errors,
        errorSamples: this.pings.errorSamples,
      },
      linkFlaps: this.flaps,
      captures: {
        count: this.captures.length,
        withProblems: this.captures.filter((c) => c.problems.length > 0 && !c.interrupted).length,
        items: this.captures,
      },
      counters: {
        samples: this.counterSamples,
        viaCli: this.counterSamplesViaCli,
        checks: [
          "port-failed: no port reports a failed device (the counters' failure field, where the engine has it)",
          `drop-causes: each direction has exactly the drop causes ${DROP_CAUSES.join(', ')}, whole numbers >= 0`,
          'frame-size: an Ethernet port direction has between 14 and 1518 bytes per frame',
          'too-big: no too-big drops (the traffic is at most 1500-byte packets)',
          'switch-conservation: per switch of n ports, IN <= OUT <= (n-1) x IN with IN = sum(rx.frames - rx.no-destination), OUT = sum(tx.frames + tx drops of every cause)',
          'trunk-conservation: per patch cable X->Y, Y.rx(frames + port-down + too-big) <= X.tx.frames <= that + 1024 in flight',
          'monotonic: no counter decreases between two samples of one engine lifetime',
          'port-vanished: no port disappears within a lifetime',
          'port-down-unaccounted: port-down drops grow only on a port that was flapped or whose guest was killed around that interval (1 s slack)',
        ],
        violations: this.violations.length,
        violationsByCheck: byCheck,
        firstViolations: this.violations.slice(0, 20),
        dropTotals: dropSum,
      },
      anomalies: this.anomalies,
      acceptance,
      pass,
    };
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    if (o.out !== undefined) writeFileSync(o.out, `${json}\n`);
    const f = flat;
    const mib = (k: number | null | undefined): string =>
      k === null || k === undefined ? '-' : `${(k / 1024).toFixed(1)} MiB`;
    const lines = [
      `soak ${pass ? 'PASSED' : 'FAILED'}: ${(durationMs / 60_000).toFixed(1)} min, ${this.plan.nodeCount} nodes (${this.plan.hosts.length} hosts, ${this.plan.guests.length} QEMU guests, ${this.plan.switches.length} switches), network ${o.network}`,
      `  node kills ${kills.length}: ${counted.filter((k) => k.outcome === 'recovered').length} restarted within policy, ${outside.length} outside, ${kills.length - counted.length} interrupted by engine kills; restart-limit check: ${this.policyLimit?.result ?? 'not run'}`,
      `  engine kills ${engineKills.length} + ${kdu?.killed ? 1 : 0} during up (status said dead: ${engineKills.filter((l) => l.statusAfterDeath === 'stale').length}), unexpected engine crashes ${this.crashes.length}, leaked objects ${allLeaks.length}`,
      `  engine RSS min/median/max ${mib(result.rss.minKiB)} / ${mib(result.rss.medianKiB)} / ${mib(result.rss.maxKiB)}; flatness (lifetime ${f?.lifetime ?? '-'}) ratio ${f?.ratio ?? '-'}, slope ${f?.slopeKiBPerMin ?? '-'} KiB/min`,
      `  pings ${this.pings.all.received}/${this.pings.all.transmitted} (${rate(this.pings.all) ?? '-'}), undisturbed ${rate(this.pings.undisturbed) ?? '-'}, disturbed ${rate(this.pings.disturbed) ?? '-'}; flaps ${this.flaps.count} (${this.flaps.failed} failed); captures ${this.captures.length} (${result.captures.withProblems} with problems)`,
      `  counter samples ${this.counterSamples} (${this.counterSamplesViaCli} via the CLI), violations ${this.violations.length}${this.violations.length ? ` ${JSON.stringify(byCheck)}` : ''}`,
      ...Object.entries(acceptance)
        .filter(([, a]) => !a.pass)
        .map(([k, a]) => `  FAILED ${k}: ${JSON.stringify(a.value)}`),
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    if (this.stopReason === 'SIGINT') return 130;
    if (this.stopReason === 'SIGTERM') return 143;
    return pass ? 0 : 1;
  }
}

async function tsharkCount(file: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const c = spawn('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.once('error', () => resolve(undefined));
    c.once('close', (code) =>
      resolve(code === 0 ? out.split('\n').filter((l) => l.trim()).length : undefined),
    );
  });
}

async function main(): Promise<void> {
  let opts: SoakOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak: ${errorText(err)}\n${USAGE}\n`);
    process.exit(2);
  }
  const soak = new Soak(opts);
  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      signals++;
      if (signals === 1) soak.requestStop(sig);
      else soak.log(`${sig} again: still taking the lab down, please wait`);
    });
  }
  process.on('unhandledRejection', (err) => {
    soak.log(`unhandled rejection: ${errorText(err)}`);
    soak.requestStop('error');
  });
  let code: number;
  try {
    code = await soak.run();
  } catch (err) {
    soak.log(`soak failed: ${errorText(err)}`);
    code = 1;
  } finally {
    await soak.cleanup();
  }
  process.exit(code);
}

await main();
