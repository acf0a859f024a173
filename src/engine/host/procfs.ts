// Reading processes from /proc: start times (so a reused pid is never killed) and lab tags.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { LAB_DIR_ENV, LAB_TAG_ENV } from '../paths.js';

/**
 * The start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. A zombie
 * (state Z, or X while it is being reaped) is gone: it has died and only waits for its parent to
 * read its status, which after `kill -9` of an engine can take a second or more.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

/** True when the process exists and, if a start time is given, is the same process. */
export function isSameProcessAlive(pid: number, startTime?: string): boolean {
  const st = processStartTime(pid);
  if (st === undefined) return false;
  return startTime === undefined || st === startTime;
}

/** A process that carries a lab's tag. */
export interface TaggedProcess {
  pid: number;
  labId: string;
  /** The runtime directory of the lab that started it, when the process says so. */
  labDir?: string;
}

/**
 * One user's (by default this user's) processes whose environment carries the lab tag (any
 * lab when labId is omitted). Other users' processes are never listed, even for root.
 */
export function taggedProcesses(
  labId?: string,
  uid: number = process.getuid?.() ?? 0,
): TaggedProcess[] {
  const out: TaggedProcess[] = [];
  const idPrefix = `${LAB_TAG_ENV}=`;
  const dirPrefix = `${LAB_DIR_ENV}=`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let env: string;
    try {
      if (statSync(`/proc/${pid}`).uid !== uid) continue;
      env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    let id: string | undefined;
    let dir: string | undefined;
    for (const kv of env.split('\0')) {
      if (kv.startsWith(idPrefix)) id = kv.slice(idPrefix.length);
      else if (kv.startsWith(dirPrefix)) dir = kv.slice(dirPrefix.length);
    }
    if (id !== undefined && (labId === undefined || id === labId)) {
      out.push({ pid, labId: id, ...(dir !== undefined ? { labDir: dir } : {}) });
    }
  }
  return out;
}

/** The children of a process, as the kernel lists them. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Sends a signal; returns false when the process is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
