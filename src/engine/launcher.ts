// Starts a lab's engine process in the right namespaces and connects to it.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError } from '../shared/contract.js';
import type { NetworkMode } from '../shared/kinds.js';
import type { Topology } from '../shared/topology/index.js';
import { formatProblem } from '../shared/topology/problem.js';
import { hostModeRefusal } from './host/caps.js';
import { cleanupLab, engineAlive, readEngineRecord, type EngineRecord } from './host/cleanup.js';
import { Journal } from './host/journal.js';
import { withLabLock } from './host/labLock.js';
import { childPids, isSameProcessAlive, processStartTime } from './host/procfs.js';
import { LAB_DIR_ENV, LAB_FILES, LAB_TAG_ENV, labDir, labId, logBase } from './paths.js';
import { SocketEngineClient } from './rpc/client.js';
import { loadTopologyFile } from './topology/index.js';
import { findExecutable } from './process/executable.js';
import { OUTSIDE_IF_ENV } from './services/nat.js';
import {
  discardWarmEngine,
  engineCommand,
  engineEnv,
  goWarmEngine,
  takeWarmEngine,
} from './warmEngine.js';
import {
  chooseOutsideTool,
  needsOutsideLink,
  openLifetimeFifo,
  OUTSIDE_IFNAME,
  startOutsideLink,
} from './services/outside.js';

/** How long the engine process may take to open its socket before the launch is called failed. */
const ENGINE_START_TIMEOUT_MS = 30_000;
/** How many per-run log folders are kept per lab; older ones are removed at the next launch. */
export const KEPT_LOG_RUNS = 5;

/** Options of a launch. */
export interface LaunchOptions {
  /** Overrides the file's `network`. */
  network?: NetworkMode;
  /** Called with one-line notices (e.g. leftovers of an earlier run removed). */
  notice?: (line: string) => void;
  /** The file's topology, when the caller has validated it already. */
  topology?: Topology;
}

/** A launched lab: its record and a connected client. */
export interface LaunchedLab {
  topology: Topology;
  record: EngineRecord;
  client: SocketEngineClient;
}

/** Loads and validates a topology file, throwing one EngineError that lists every problem. */
export async function loadOrThrow(file: string): Promise<Topology> {
  const loaded = await loadTopologyFile(file);
  if (!loaded.ok) {
    throw new EngineError(
      'topology',
      loaded.problems.map(formatProblem).join('\n'),
      loaded.problems,
    );
  }
  return loaded.topology;
}

/** What unshare(1) prints when the process it forked was killed by a signal (util-linux 2.38). */
const UNSHARE_SIGNAL_LINE = /^unshare: sigprocmask unblock failed/;

/** True when the engine's log shows it was killed by a signal (isolated mode: unshare says so). */
export function engineKilled(logFile: string): boolean {
  try {
    return readFileSync(logFile, 'utf8')
      .split('\n')
      .some((l) => UNSHARE_SIGNAL_LINE.test(l));
  } catch {
    return false;
  }
}

/**
 * Why a lab's engine ended after it was connected, in words for "failed to start: ...": waits
 * (briefly) for its processes to be gone so their last words are in the log.
 */
export async function engineGoneReason(record: EngineRecord): Promise<string> {
  const procs = [
    { pid: record.enginePid, start: record.engineStart },
    ...(record.launcherPid ? [{ pid: record.launcherPid, start: record.launcherStart }] : []),
  ];
  await waitFor(
    () => (procs.every((p) => !isSameProcessAlive(p.pid, p.start)) ? true : undefined),
    2_000,
  );
  const log = join(record.logDir, 'engine.log');
  if (engineKilled(log)) return 'its engine process was killed by a signal';
  const last = engineEndReason(log, 1);
  return last.startsWith('netweave engine:')
    ? `its engine stopped: ${last.slice('netweave engine:'.length).trim()}`
    : `its engine stopped unexpectedly (see ${JSON.stringify(log)})`;
}

/**
 * Why an engine ended, from the last lines of its log: its own words, or that it was killed.
 * unshare's complaint after its child was killed is not a reason a user can act on; what it
 * means is said instead.
 */
export function engineEndReason(logFile: string, n = 5): string {
  let lines: string[];
  try {
    lines = readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    lines = [];
  }
  const killed = lines.some((l) => UNSHARE_SIGNAL_LINE.test(l));
  const own = lines.filter((l) => !UNSHARE_SIGNAL_LINE.test(l)).slice(-n);
  if (killed) {
    const said = own.filter((l) => l.startsWith('netweave engine:')).slice(-1);
    return ['the engine process was killed by a signal', ...said].join('; ');
  }
  return own.join('\n') || 'it ended without a word in its log';
}

async function waitFor<T>(
  probe: () => T | undefined,
  ms: number,
  stepMs = 25,
): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) return undefined;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Removes all but the newest KEPT_LOG_RUNS - 1 run folders of a lab. */
function pruneLogs(labLogs: string): void {
  if (!existsSync(labLogs)) return;
  const runs = readdirSync(labLogs).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - (KEPT_LOG_RUNS - 1)))) {
    rmSync(join(labLogs, old), { recursive: true, force: true });
  }
}

/**
 * Launches a lab from a topology file: validates it, removes leftovers of an earlier run of
 * the same lab, starts the engine process and connects to it. Deploy progress then arrives as
 * events on the returned client.
 */
export async function launchLab(file: string, opts: LaunchOptions = {}): Promise<LaunchedLab> {
  const path = resolve(file);
  const topology = opts.topology ?? (await loadOrThrow(path));
  const network: NetworkMode = opts.network ?? topology.network ?? 'isolated';
  if (network === 'host') {
    const refusal = hostModeRefusal();
    if (refusal) throw new EngineError('permission', refusal);
  }
  for (const tool of network === 'isolated' ? ['unshare', 'ip'] : ['ip']) {
    if (!(await findExecutable(tool, process.cwd(), process.env)).ok) {
      throw new EngineError(
        'missing-binary',
        `${tool} is not installed; install util-linux and iproute2 (apt install util-linux iproute2)`,
      );
    }
  }
  // Isolated labs with NAT need a way out that only a process outside their namespaces can
  // give: slirp4netns or pasta, started below once the engine's pid is known (outside.ts).
  const outside = needsOutsideLink(topology, network) ? await chooseOutsideTool() : undefined;
  return withLabLock(
    topology.name,
    `up ${file}`,
    () => launchLocked(path, topology, network, outside, opts),
    opts.notice ? { notice: opts.notice } : {},
  );
}

/** The part of launchLab that runs holding the lab's lock (labLock.ts). */
async function launchLocked(
  path: string,
  topology: Topology,
  network: NetworkMode,
  outside: Awaited<ReturnType<typeof chooseOutsideTool>> | undefined,
  opts: LaunchOptions,
): Promise<LaunchedLab> {
  const name = topology.name;
  const dir = labDir(name);
  const id = labId(name);
  // The engine `bin/netweave.js up` started while this process was loading, if it was started
  // for this very lab. Not when something must happen before the engine starts (leftovers of
  // an earlier run removed: they are found by the same tag) or be given to it at spawn (the
  // outside link's lifetime FIFO).
  let warm = takeWarmEngine(path, id, network);
  if (warm === undefined || outside !== undefined || existsSync(dir)) {
    await discardWarmEngine();
    warm = undefined;
  }
  const existing = readEngineRecord(name);
  if (engineAlive(existing)) {
    await discardWarmEngine();
    throw new EngineError(
      'busy',
      `lab "${name}" is already running (engine pid ${existing?.enginePid}); stop it with \`netweave down ${name}\``,
    );
  }
  if (existsSync(dir)) {
    const removed = await cleanupLab(name);
    opts.notice?.(`removed ${removed} leftover objects of an earlier run of lab "${name}"`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const labLogs = join(logBase(), name);
  pruneLogs(labLogs);
  const logDir = join(labLogs, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(logDir, { recursive: true });
  const engineLog = join(logDir, 'engine.log');

  const daemonArgs = [
    '--file',
    path,
    '--lab-dir',
    dir,
    '--log-dir',
    logDir,
    '--network',
    network,
    '--lab-id',
    id,
  ];
  const journal = new Journal(join(dir, LAB_FILES.journal));
  journal.willCreate({ type: 'dir', ref: dir });
  const tagEnv = engineEnv({ [LAB_TAG_ENV]: id, [LAB_DIR_ENV]: dir });
  let child: ChildProcess | undefined;
  if (warm !== undefined) {
    try {
      goWarmEngine(warm, engineLog, { args: daemonArgs, topology });
      child = warm.child;
    } catch {
      await discardWarmEngine();
    }
  }
  const lifetime = outside !== undefined ? openLifetimeFifo(dir) : undefined;
  if (child === undefined) {
    const out = openSync(engineLog, 'a');
    const [cmd, ...args] = engineCommand(network, daemonArgs) as [string, ...string[]];
    child = spawn(cmd, args, {
      detached: true,
      // fd 3: the engine's end of the outside link's lifetime FIFO (it must stay open).
      stdio: ['ignore', out, out, ...(lifetime ? [lifetime.engineFd] : [])],
      env: { ...tagEnv, ...(lifetime ? { [OUTSIDE_IF_ENV]: OUTSIDE_IFNAME } : {}) },
    });
    closeSync(out);
    lifetime?.closeEngineEnd();
    child.unref();
  }
  const launcherPid = child.pid;
  if (launcherPid === undefined) {
    throw new EngineError('internal', `could not start the engine process for lab "${name}"`);
  }
  // A warm engine could have ended already (its exit event then came and went).
  let exited = child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => {
    exited = true;
  });
  const enginePid =
    network === 'isolated'
      ? await waitFor(() => (exited ? -1 : childPids(launcherPid)[0]), ENGINE_START_TIMEOUT_MS)
      : launcherPid;
  if (enginePid === undefined || enginePid < 0) {
    lifetime?.close();
    await cleanupLab(name);
    throw new EngineError(
      'internal',
      `the engine of lab "${name}" did not start: ${engineEndReason(engineLog)}`,
    );
  }
  const record: EngineRecord = {
    lab: name,
    labId: id,
    network,
    file: path,
    enginePid,
    logDir,
    startedAt: new Date().toISOString(),
  };
  const engineStart = processStartTime(enginePid);
  if (engineStart) record.engineStart = engineStart;
  if (network === 'isolated') {
    record.launcherPid = launcherPid;
    const ls = processStartTime(launcherPid);
    if (ls) record.launcherStart = ls;
    journal.willCreate({
      type: 'process',
      ref: String(launcherPid),
      ...(ls ? { startTime: ls } : {}),
    });
  }
  journal.willCreate({
    type: 'process',
    ref: String(enginePid),
    ...(engineStart ? { startTime: engineStart } : {}),
  });
  writeFileSync(join(dir, LAB_FILES.state), `${JSON.stringify(record, null, 2)}\n`, {
    mode: 0o600,
  });
  if (lifetime && outside !== undefined) {
    try {
      const pids = await startOutsideLink({
        choice: outside,
        enginePid,
        exitFd: lifetime.exitFd,
        labDir: dir,
        logDir,
        env: tagEnv,
      });
      for (const pid of pids) {
        const st = processStartTime(pid);
        journal.willCreate({ type: 'process', ref: String(pid), ...(st ? { startTime: st } : {}) });
      }
      appendFileSync(
        engineLog,
        `netweave: the lab reaches the outside through ${outside.tool} (pid ${pids.at(-1)})\n`,
      );
    } catch (err) {
      await cleanupLab(name);
      throw err;
    } finally {
      lifetime.close();
    }
  }

  const sock = join(dir, LAB_FILES.socket);
  const client = await waitForClient(sock, () => exited);
  if (!client) {
    const why = engineEndReason(engineLog);
    await cleanupLab(name);
    throw new EngineError(
      'internal',
      `the engine of lab "${name}" stopped before it was ready: ${why}`,
    );
  }
  return { topology, record, client };
}

async function waitForClient(
  sock: string,
  exited: () => boolean,
): Promise<SocketEngineClient | undefined> {
  const until = Date.now() + ENGINE_START_TIMEOUT_MS;
  while (Date.now() < until && !exited()) {
    if (existsSync(sock)) {
      try {
        return await SocketEngineClient.connect(sock);
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/** Connects to a running lab's engine, or explains in one sentence why it cannot. */
export async function connectLab(name: string): Promise<SocketEngineClient> {
  const rec = readEngineRecord(name);
  if (!engineAlive(rec)) {
    throw new EngineError(
      'not-running',
      `lab "${name}" is not running; start it with \`netweave up FILE\``,
    );
  }
  try {
    return await SocketEngineClient.connect(join(labDir(name), LAB_FILES.socket));
  } catch {
    throw new EngineError(
      'not-running',
      `the engine of lab "${name}" does not answer; remove it with \`netweave down ${name}\``,
    );
  }
}
