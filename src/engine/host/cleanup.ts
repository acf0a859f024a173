// Takes a lab down from what is on the machine: its engine (if alive), then whatever the
// journal and the ownership tags show. Works after kill -9 and without the topology file.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  isRuntimeChild,
  LAB_FILES,
  labDir,
  labId as labIdOf,
  runtimeBase,
  TAG_PREFIX,
} from '../paths.js';
import { runCommand } from '../process/run.js';
import { SocketEngineClient } from '../rpc/client.js';
import { restoreInterface } from './attachedInterface.js';
import { undoHostChange } from '../services/nat.js';
import { liveLabs, readOutstanding, type JournalObject } from './journal.js';
import { withLabLock } from './labLock.js';
import { HOST_NETNS_PREFIX, removeNetnsObject } from './netns.js';
import { isSameProcessAlive, signal, taggedProcesses } from './procfs.js';

/** What the launcher records about a running engine (engine.json in the lab directory). */
export interface EngineRecord {
  lab: string;
  labId: string;
  network: 'isolated' | 'host';
  file?: string;
  /** Host-visible pid of the engine's node process and its start time. */
  enginePid: number;
  engineStart?: string;
  /** Host-visible pid of the namespace launcher (unshare) and its start time. */
  launcherPid?: number;
  launcherStart?: string;
  logDir: string;
  startedAt: string;
}

/** How long a graceful `down` through the engine socket may take before the engine is killed. */
const GRACEFUL_DOWN_MS = 30_000;
/** How long to wait for a killed engine to disappear (its pid namespace goes with it). */
const KILL_WAIT_MS = 5_000;

/** Reads a lab's engine record, if there is one. */
export function readEngineRecord(name: string): EngineRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(labDir(name), LAB_FILES.state), 'utf8')) as EngineRecord;
  } catch {
    return undefined;
  }
}

/** True when the lab's engine process is alive. */
export function engineAlive(rec: EngineRecord | undefined): boolean {
  return !!rec && isSameProcessAlive(rec.enginePid, rec.engineStart);
}

/** Names of every lab with a runtime directory for this user. */
export function listLabDirs(): string[] {
  const base = runtimeBase();
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}

async function waitGone(pids: { pid: number; start?: string }[], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pids.every((p) => !isSameProcessAlive(p.pid, p.start))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.every((p) => !isSameProcessAlive(p.pid, p.start));
}

/**
 * Stops a lab's engine: graceful down over its socket, else SIGKILL (its pid namespace dies).
 * Answers what the engine's own down removed, and whether it was still deploying the lab (its
 * deploy was stopped).
 */
async function stopEngine(
  name: string,
  rec: EngineRecord | undefined,
): Promise<{ removed: number; interrupted: boolean }> {
  const sock = join(labDir(name), LAB_FILES.socket);
  let interrupted = false;
  let removed = 0;
  if (engineAlive(rec) && existsSync(sock)) {
    try {
      const client = await SocketEngineClient.connect(sock);
      try {
        const r = await Promise.race([
          client.call('down', {}),
          new Promise<never>((_, rej) =>
            setTimeout(() => rej(new Error('timeout')), GRACEFUL_DOWN_MS),
          ),
        ]);
        interrupted = r.interrupted === true;
        removed = r.removed;
      } finally {
        client.dispose();
      }
    } catch {
      // fall through to the kill below
    }
  }
  if (!rec) return { removed, interrupted };
  const procs = [
    { pid: rec.enginePid, start: rec.engineStart },
    ...(rec.launcherPid ? [{ pid: rec.launcherPid, start: rec.launcherStart }] : []),
  ];
  if (await waitGone(procs, 2_000)) return { removed, interrupted };
  for (const p of procs) if (isSameProcessAlive(p.pid, p.start)) signal(p.pid, 'SIGKILL');
  await waitGone(procs, KILL_WAIT_MS);
  return { removed, interrupted };
}

/** Removes one journaled object of lab `labId`; resolves true when something was removed. */
async function removeObject(o: JournalObject, labId: string): Promise<boolean> {
  switch (o.type) {
    case 'netns':
      await removeNetnsObject(o);
      return true;
    case 'interface': {
      // In the engine's own namespace (isolated mode): it died with the engine. Never look for
      // it by name here, in the machine's namespace, where another interface may bear it.
      if (o.mode === 'isolated' && !o.netns) return false;
      const argv = ['ip', 'link', 'del', 'dev', o.ref];
      const r = await runCommand(argv, o.netns ? { netns: o.netns } : {}).catch(() => undefined);
      return r?.exitCode === 0;
    }
    case 'attached-interface':
      // Borrowed, not owned: give it back out of the lab's bridge, never delete it.
      return o.restore ? restoreInterface(o.ref, o.restore) : false;
    case 'process': {
      const pid = Number(o.ref);
      if (!isSameProcessAlive(pid, o.startTime)) return false;
      signal(pid, 'SIGKILL');
      return true;
    }
    case 'sysctl':
    case 'nft-table':
    case 'firewall-rule':
      // Host settings changed by a segment's NAT: put back (isolated ones died with the engine).
      // A setting another live lab still needs is handed over to it instead (see nat.ts).
      return o.mode === 'host' ? undoHostChange(o, labId) : false;
    case 'socket':
    case 'file':
      if (!existsSync(o.ref)) return false;
      rmSync(o.ref, { force: true });
      return true;
    case 'dir':
      if (!existsSync(o.ref)) return false;
      rmSync(o.ref, { recursive: true, force: true });
      return true;
  }
}

/**
 * Takes a lab down completely: the engine, every journaled object, every process carrying the
 * lab's tag, and the runtime directory. Returns the number of objects removed.
 */
export async function cleanupLab(name: string): Promise<number> {
  return (await takeLabDown(name)).removed;
}

/** What taking a lab down did. */
export interface TakeDownResult {
  /** Objects removed. */
  removed: number;
  /** The lab was still starting: its deploy was stopped. */
  interrupted: boolean;
}

/**
 * cleanupLab, also telling whether the lab was still starting. Holds the lab's lock
 * (labLock.ts), so it never runs while an `up` of the same lab starts its engine; `what` names
 * this command to another one that has to wait.
 */
export function takeLabDown(name: string, what = `down ${name}`): Promise<TakeDownResult> {
  return withLabLock(name, what, () => takeLabDownLocked(name));
}

async function takeLabDownLocked(name: string): Promise<TakeDownResult> {
  // labDir() refuses a name that is not one folder directly inside the runtime root; the
  // runtime directory is checked again right before it is removed.
  const dir = labDir(name);
  const rec = readEngineRecord(name);
  const id = rec?.labId ?? labIdOf(name);
  // What the engine removed itself, then what is left of the lab (a killed engine leaves all).
  const stopped = await stopEngine(name, rec);
  const interrupted = stopped.interrupted;
  let removed = stopped.removed;
  for (const p of taggedProcesses(id)) {
    if (p.labDir !== undefined && p.labDir !== dir) continue; // a namesake in another runtime dir
    if (signal(p.pid, 'SIGKILL')) removed++;
  }
  const outstanding = readOutstanding(join(dir, LAB_FILES.journal)).reverse();
  for (const o of outstanding) {
    try {
      if (await removeObject(o, id)) removed++;
    } catch {
      // keep going: one stubborn object must not keep the rest alive
    }
  }
  if (existsSync(dir)) {
    if (!isRuntimeChild(dir)) {
      throw new Error(
        `refusing to remove ${dir}: it is not a folder directly inside ${runtimeBase()}`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
    removed++;
  }
  return { removed, interrupted };
}

/** Host-mode namespaces and interfaces that carry a netweave tag, with their lab id. */
async function taggedHostObjects(): Promise<
  { type: 'netns' | 'interface'; ref: string; labId: string }[]
> {
  const out: { type: 'netns' | 'interface'; ref: string; labId: string }[] = [];
  if (existsSync('/run/netns')) {
    for (const name of readdirSync('/run/netns')) {
      const m = new RegExp(`^${HOST_NETNS_PREFIX}([0-9a-f]{8})-`).exec(name);
      if (m?.[1]) out.push({ type: 'netns', ref: name, labId: m[1] });
    }
  }
  const r = await runCommand(['ip', '-j', '-d', 'link', 'show']);
  if (r.exitCode === 0) {
    try {
      const links = JSON.parse(r.stdout) as { ifname?: string; ifalias?: string }[];
      for (const l of links) {
        const m = new RegExp(`^${TAG_PREFIX}:([0-9a-f]{8})`).exec(l.ifalias ?? '');
        if (m?.[1] && l.ifname) out.push({ type: 'interface', ref: l.ifname, labId: m[1] });
      }
    } catch {
      // no JSON from ip: nothing to sweep there
    }
  }
  return out;
}

/** Ids of labs whose engine is alive, whatever runtime directory they run from. */
function liveLabIds(): Set<string> {
  return new Set(liveLabs().map((l) => l.labId));
}

/**
 * Takes down every lab of this user and sweeps every orphan it can identify by tag (named
 * namespaces, tagged interfaces, tagged processes) whose lab has no live engine.
 */
export async function cleanupAll(): Promise<{ labs: string[]; orphans: number }> {
  const labs = listLabDirs();
  for (const name of labs) await cleanupLab(name);
  let orphans = 0;
  // Labs of other runtime directories may be running: only what no live engine owns goes.
  const live = liveLabIds();
  for (const p of taggedProcesses()) {
    if (!live.has(p.labId) && signal(p.pid, 'SIGKILL')) orphans++;
  }
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) {
    for (const o of await taggedHostObjects()) {
      if (live.has(o.labId)) continue;
      try {
        if (await removeObject({ type: o.type, ref: o.ref, mode: 'host' }, o.labId)) orphans++;
      } catch {
        // keep sweeping
      }
    }
  }
  return { labs, orphans };
}
