// A lab engine started before `netweave up` has loaded or validated anything.
//
// Before the launcher knows what to start, the CLI spends about 150 ms starting Node, loading
// its modules and validating the file; the engine then needs about as long again for its own
// start-up, and only then deploys. `bin/netweave.js up` therefore starts the engine process at
// once (the same daemon.cjs, inside the same unshare in isolated mode), as a "warm" engine that
// only loads its modules, then waits for one line on its stdin: the arguments the launcher would
// have given it and the topology it validated. It is started with the lab's tags in its
// environment (the lab name and network mode read from the file's top-level keys, before the
// file is validated), so that it is found and removed like any engine of the lab. launchLab hands
// the lab to it when name and network mode are what validation says and nothing else has to be
// given at spawn (the outside link's lifetime FIFO, leftovers of an earlier run to remove first);
// otherwise the warm engine is killed and a fresh one started as before.
//
// Until it is told to go, a warm engine owns nothing: no lab directory, socket or interface.
// The CLI kills one it did not use before it exits; should the CLI die first, the warm engine
// exits when its stdin ends and removes its own log.
//
// NETWEAVE_WARM_ENGINE=0 turns it off (the engine is then started once the CLI is ready). This
// module is loaded by bin/netweave.js before the CLI: it imports only Node's own modules.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetworkMode } from '../shared/kinds.js';
import type { Topology } from '../shared/topology/index.js';
import { LAB_DIR_ENV, LAB_TAG_ENV, labDir, labId, logBase } from './paths.js';

/** The daemon's flag for a warm start; its stdin then carries a WarmGo line. */
export const WARM_FLAG = '--warm';
/** The daemon's flag naming the warm engine's own log, removed when it exits unused. */
export const WARM_LOG_FLAG = '--warm-log';

/** What a warm engine is told on its stdin (one JSON line) when it gets a lab. */
export interface WarmGo {
  /** The daemon arguments launchLab would have spawned it with. */
  args: string[];
  /**
   * The topology launchLab validated (plain JSON data): the engine deploys exactly what was
   * checked and spends no time of the start reading and validating the file again. Trusted as
   * it comes from the engine's own parent, like its arguments.
   */
  topology?: Topology;
}

/** A started warm engine, until launchLab takes it or discards it. */
export interface WarmEngine {
  child: ChildProcess;
  /** The lab id it is tagged with. */
  labId: string;
  network: NetworkMode;
  /** The topology file it was started for, absolute. */
  file: string;
  /** Its stdout and stderr, until launchLab moves the file to the run's engine.log. */
  log: string;
}

const SLOT = Symbol.for('netweave.warmEngine');
type Slot = { [SLOT]?: WarmEngine };

/**
 * The engine entry point: the bundle's stub dist/engine/daemon.cjs (scripts/bundle.mjs), or
 * tsc's daemon.js where there is no bundle (a build that skipped bundling).
 */
function daemonPath(): string {
  const bundled = fileURLToPath(new URL('./daemon.cjs', import.meta.url));
  return existsSync(bundled) ? bundled : fileURLToPath(new URL('./daemon.js', import.meta.url));
}

/**
 * The engine process's argv. Isolated: a user namespace (we are "root" only inside it), its
 * own network namespace (the lab's host side), a private mount namespace (node namespaces are
 * bind mounts that die with it) and a pid namespace whose init is the engine: if the engine is
 * killed, the kernel kills every process of the lab with it.
 */
export function engineCommand(network: NetworkMode, daemonArgs: readonly string[]): string[] {
  const engine = [process.execPath, daemonPath(), ...daemonArgs];
  return network === 'isolated' ? [...ISOLATED_UNSHARE, '--', ...engine] : engine;
}

/**
 * Variables of the CLI's environment that Node reads while it starts, which the engine process
 * itself has no use for. NODE_EXTRA_CA_CERTS makes Node read and parse the named certificate
 * file before any of our code runs (about 60 ms per process on this machine kind, measured with
 * `node -e 0`), and the engine's start is on the critical path of every `netweave up`; the
 * engine makes no TLS connection. The value travels under a name of ours and the engine puts it
 * back (restoreEngineEnv) so that what it starts for the user (host node shells, exec) gets the
 * user's environment unchanged.
 */
const DEFERRED_ENV: readonly string[] = ['NODE_EXTRA_CA_CERTS'];
const DEFERRED_PREFIX = 'NETWEAVE_DEFERRED_';

/** The engine process's environment: the CLI's with Node's start-up variables deferred, plus tags. */
export function engineEnv(tags: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...tags };
  for (const name of DEFERRED_ENV) {
    const value = env[name];
    if (value === undefined) continue;
    delete env[name];
    env[`${DEFERRED_PREFIX}${name}`] = value;
  }
  return env;
}

/** In the engine, at its start: puts back what engineEnv deferred, for the processes it starts. */
export function restoreEngineEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of DEFERRED_ENV) {
    const value = env[`${DEFERRED_PREFIX}${name}`];
    if (value === undefined) continue;
    delete env[`${DEFERRED_PREFIX}${name}`];
    env[name] = value;
  }
}

/**
 * unshare(1) as an isolated lab's engine runs under: its own user (mapped to root), network,
 * mount and pid namespaces with their own /proc; everything inside dies with its first process.
 */
export const ISOLATED_UNSHARE: readonly string[] = [
  'unshare',
  '--user',
  '--map-root-user',
  '--net',
  '--mount',
  '--pid',
  '--fork',
  '--kill-child',
  '--mount-proc',
];

/** A top-level `key: value` of a YAML file, read without a YAML parser (a guess, checked later). */
function topLevel(text: string, key: string): string | undefined {
  const re = new RegExp(`^${key}:[ \\t]*(["']?)([A-Za-z0-9][A-Za-z0-9_-]*)\\1[ \\t]*(#.*)?$`, 'm');
  return re.exec(text)?.[2];
}

/** The top-level `name:` of a topology file, read as guessLab does; undefined when it has none. */
export function fileLabName(file: string): string | undefined {
  try {
    return topLevel(readFileSync(file, 'utf8'), 'name');
  } catch {
    return undefined;
  }
}

/** The lab name and network mode `up ARGS` will most likely use: the flag, else the file. */
export function guessLab(
  args: readonly string[],
  file: string,
): { name: string; network: NetworkMode } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const name = topLevel(text, 'name');
  if (name === undefined) return undefined;
  const i = args.findIndex((a) => a === '--network' || a.startsWith('--network='));
  const flag = i < 0 ? undefined : args[i]?.includes('=') ? args[i]?.split('=')[1] : args[i + 1];
  const network = flag ?? topLevel(text, 'network') ?? 'isolated';
  return network === 'host' || network === 'isolated' ? { name, network } : undefined;
}

/**
 * Starts a warm engine for `netweave up ARGS` (ARGS after "up"). Never throws: without a warm
 * engine the launch starts one the usual way.
 */
export function startWarmEngine(args: readonly string[]): void {
  const slot = globalThis as Slot;
  if (slot[SLOT] !== undefined || process.env['NETWEAVE_WARM_ENGINE'] === '0') return;
  const file = args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '--network');
  if (file === undefined || args.includes('--help') || args.includes('-h')) return;
  try {
    const path = resolve(file);
    const lab = guessLab(args, path);
    if (lab === undefined) return;
    const base = logBase();
    mkdirSync(base, { recursive: true });
    const log = join(base, `.warm-engine-${process.pid}.log`);
    const out = openSync(log, 'w', 0o600);
    const [cmd, ...rest] = engineCommand(lab.network, [
      WARM_FLAG,
      '--file',
      path,
      WARM_LOG_FLAG,
      log,
    ]) as [string, ...string[]];
    const id = labId(lab.name);
    const child = spawn(cmd, rest, {
      detached: true,
      stdio: ['pipe', out, out],
      env: engineEnv({ [LAB_TAG_ENV]: id, [LAB_DIR_ENV]: labDir(lab.name) }),
    });
    closeSync(out);
    child.unref();
    // A warm engine that failed to start is simply not used.
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    slot[SLOT] = { child, labId: id, network: lab.network, file: path, log };
  } catch {
    // no warm engine: the launch starts one
  }
}

/**
 * The warm engine, if one is waiting for exactly this lab (`file`, `id`, `network`). It stays
 * the waiting one until goWarmEngine hands it the lab: one still waiting is killed by
 * discardWarmEngine (launchLab when it will not use it, the CLI before it exits).
 */
export function takeWarmEngine(
  file: string,
  id: string,
  network: NetworkMode,
): WarmEngine | undefined {
  const w = (globalThis as Slot)[SLOT];
  if (w === undefined) return undefined;
  const fits = w.file === file && w.labId === id && w.network === network;
  if (!fits || w.child.exitCode !== null || w.child.signalCode !== null || !w.child.stdin) {
    return undefined;
  }
  return w;
}

/** How long discardWarmEngine waits for the killed process to be reaped. */
const DISCARD_WAIT_MS = 2_000;

/**
 * Kills the warm engine still waiting, if any (it owns nothing but its log), and resolves once
 * it is gone: nothing tagged with the lab is left when the caller goes on.
 */
export async function discardWarmEngine(): Promise<void> {
  const slot = globalThis as Slot;
  const w = slot[SLOT];
  delete slot[SLOT];
  if (w === undefined) return;
  const { child } = w;
  const pid = child.pid;
  if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((res) => {
      const timer = setTimeout(res, DISCARD_WAIT_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        res();
      });
    });
    try {
      // Its own process group (detached): unshare and the engine under it.
      process.kill(-pid, 'SIGKILL');
      await gone;
    } catch {
      // already gone
    }
  }
  rmSync(w.log, { force: true });
}

/** Hands the lab to the waiting warm engine: its log becomes `engineLog`, then it gets its go. */
export function goWarmEngine(w: WarmEngine, engineLog: string, go: WarmGo): void {
  renameSync(w.log, engineLog);
  w.child.stdin?.end(`${JSON.stringify(go)}\n`);
  // Handed over: no longer the waiting one that discardWarmEngine kills.
  const slot = globalThis as Slot;
  if (slot[SLOT] === w) delete slot[SLOT];
}

/** A WarmGo from its JSON line; undefined for anything else. */
export function parseWarmGo(line: string): WarmGo | undefined {
  try {
    const go = JSON.parse(line) as Partial<WarmGo> | null;
    const args = go?.args;
    if (!Array.isArray(args) || !args.every((a): a is string => typeof a === 'string')) {
      return undefined;
    }
    const topology = go?.topology;
    const isObject = typeof topology === 'object' && topology !== null && !Array.isArray(topology);
    return { args, ...(isObject ? { topology } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * In a warm engine: the first line of stdin as a WarmGo, or undefined when stdin ends first
 * (nobody will give it a lab).
 */
export function readWarmGo(
  input: NodeJS.ReadableStream = process.stdin,
): Promise<WarmGo | undefined> {
  return new Promise((res) => {
    let text = '';
    const done = (go: WarmGo | undefined): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      input.pause();
      res(go);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) done(parseWarmGo(text.slice(0, nl)));
    };
    const onEnd = (): void => done(undefined);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
  });
}
