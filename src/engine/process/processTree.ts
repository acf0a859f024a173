// Signalling everything a pty process started. A pty child is a session leader (forkpty(3)
// calls setsid), so its children share its process group and session: signalling the group
// reaches a shell's background jobs, and the session scan reaches jobs an interactive shell
// moved to groups of their own.
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** Name of a signal number ("SIGKILL" for 9), or "SIG<n>" for a number this OS does not name. */
export function signalName(signo: number): string {
  for (const [name, value] of Object.entries(constants.signals)) {
    if (value === signo) return name;
  }
  return `SIG${signo}`;
}

/**
 * Sends a signal; false when the target is gone (ESRCH) or not ours to signal (EPERM, e.g. a
 * setuid program the shell started).
 */
function trySignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw err;
  }
}

/** Pids of every process whose session id is `sid`, read from /proc (empty where /proc is absent). */
export function sessionMembers(sid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp session ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[3]) === sid) members.push(Number(entry));
  }
  return members;
}

/**
 * Signals the process group and every other member of the session led by `leader`. Returns
 * true if any process received the signal. Pass `leaderAlive: false` once the leader has been
 * reaped: its pid may then be reused, so only the group and session (whose ids stay reserved
 * while they have members) are signalled.
 */
export function signalSession(leader: number, signal: NodeJS.Signals, leaderAlive = true): boolean {
  if (!Number.isInteger(leader) || leader <= 1) {
    throw new RangeError(`refusing to signal the session of pid ${leader}`);
  }
  let any = trySignal(-leader, signal);
  for (const pid of sessionMembers(leader)) {
    if (pid !== leader) any = trySignal(pid, signal) || any;
  }
  // The leader alone, in case it left its own group (setpgid after start).
  if (leaderAlive) any = trySignal(leader, signal) || any;
  return any;
}
