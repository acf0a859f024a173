// The soak's view of the machine: running the netweave CLI, finding a node's process on the
// host from the engine's pid for it, reading an engine's memory, and looking for anything a
// lab left behind after `netweave down`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JournalObject } from '../engine/host/journal.js';
import { HOST_NETNS_PREFIX } from '../engine/host/netns.js';
import { taggedProcesses } from '../engine/host/procfs.js';
import { TAG_PREFIX } from '../engine/paths.js';

/** The CLI the soak drives, as a user would: bin/netweave.js of this checkout. */
export const NETWEAVE_BIN = fileURLToPath(new URL('../../bin/netweave.js', import.meta.url));

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs `netweave ARGS...` with the soak's environment; never rejects. */
export function runCli(
  args: readonly string[],
  opts: { timeoutMs: number; env: NodeJS.ProcessEnv },
): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    // Its own process group: Ctrl-C in the terminal stops the soak, which then takes the lab
    // down itself, instead of killing a `netweave up` halfway.
    const child = spawn(process.execPath, [NETWEAVE_BIN, ...args], {
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: `${stderr}${err.message}`,
        ms: performance.now() - t0,
        timedOut,
      });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
  });
}

/** Resident set size of a process in KiB (VmRSS), undefined when it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The pids of a process in each pid namespace it is in, outermost first (NSpid). */
function nsPids(pid: number): number[] | undefined {
  try {
    const m = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1]?.trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

/** A lab process found on the host. */
export interface HostProcess {
  /** Pid as this (the soak's) pid namespace sees it. */
  pid: number;
  startTime: string;
  cmdline: string;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * The host process of a node from the pid the engine reports for it (`status`): among the
 * processes tagged with the lab's id (NETWEAVE_LAB_ID, see procfs.ts), the one whose innermost
 * pid is `enginePid` (in isolated mode the engine sees its own pid namespace; in host mode
 * the two are the same). Undefined when no tagged process matches: the soak never signals a
 * process that is not the lab's.
 */
export function findNodeProcess(labId: string, enginePid: number): HostProcess | undefined {
  for (const p of taggedProcesses(labId)) {
    const ns = nsPids(p.pid);
    if (ns === undefined || ns[ns.length - 1] !== enginePid) continue;
    const st = procStat(p.pid);
    if (st === undefined || isDead(p.pid)) continue;
    return { pid: p.pid, startTime: st.startTime, cmdline: cmdlineOf(p.pid) };
  }
  return undefined;
}

/** Something a lab left on the machine after `netweave down`. */
export interface Leak {
  kind:
    | 'runtime-file'
    | 'netns'
    | 'mount'
    | 'interface'
    | 'tap'
    | 'process'
    | 'journal-object'
    | 'lock'
    | 'log-dir-missing';
  ref: string;
  detail?: string;
}

/** What the leak check looks for. */
export interface LeakQuery {
  labName: string;
  labId: string;
  /** The soak's private NETWEAVE_RUNTIME_DIR. */
  runtimeBase: string;
  /** Journal objects outstanding before `down` (read from the lab's journal.jsonl). */
  journal: readonly JournalObject[];
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      out.push(p);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch {
        // gone meanwhile
      }
    }
  };
  walk(dir);
  return out;
}

interface IpLink {
  ifname?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string };
}

async function ipJson(args: string[]): Promise<IpLink[]> {
  const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const c = spawn('ip', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.once('error', () => resolve({ code: null, stdout: '' }));
    c.once('close', (code) => resolve({ code, stdout }));
  });
  if (r.code !== 0) return [];
  try {
    return JSON.parse(r.stdout || '[]') as IpLink[];
  } catch {
    return [];
  }
}

async function ipNetnsList(): Promise<string[]> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'list'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.once('error', () => resolve([]));
    c.once('close', () =>
      resolve(
        stdout
          .split('\n')
          .map((l) => l.split(' ')[0] ?? '')
          .filter(Boolean),
      ),
    );
  });
}

/** The state letter and start time of a process (/proc/PID/stat), undefined when it is gone. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', startTime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * True when a process is gone, or a zombie (or being reaped) whose threads have all exited: dead,
 * only its pid is left (this machine's PID 1 reaps orphans late, so a killed engine can stay a
 * zombie for a while). A multi-threaded process whose main thread is a zombie while other threads
 * still exit is not dead yet: it still holds its files (an engine's listening socket).
 */
export function isDead(pid: number, startTime?: string): boolean {
  const st = procStat(pid);
  if (st === undefined) return true;
  if (startTime !== undefined && st.startTime !== startTime) return true;
  if (st.state !== 'Z' && st.state !== 'X') return false;
  try {
    return readdirSync(`/proc/${pid}/task`).length <= 1;
  } catch {
    return true;
  }
}

/**
 * Everything of the lab still on the machine: files under the soak's runtime directory; its
 * lock socket; namespaces named for the lab (/run/netns, `ip netns`) and their mounts;
 * interfaces in the machine's namespace whose alias carries the lab's tag ("netweave:<id>"), TAPs among them;
 * live processes tagged with the lab's id or naming the runtime directory on their command
 * line; and every object the lab's journal listed as outstanding before `down` (namespace,
 * interface, process, socket, file, directory) that still exists.
 */
export async function findLeaks(q: LeakQuery): Promise<Leak[]> {
  const leaks: Leak[] = [];
  const add = (l: Leak): void => {
    if (!leaks.some((x) => x.kind === l.kind && x.ref === l.ref)) leaks.push(l);
  };
  for (const f of listFiles(q.runtimeBase)) add({ kind: 'runtime-file', ref: f });
  const nsPrefix = `${HOST_NETNS_PREFIX}${q.labId}-`;
  if (existsSync('/run/netns')) {
    for (const n of readdirSync('/run/netns'))
      if (n.startsWith(nsPrefix)) add({ kind: 'netns', ref: n, detail: '/run/netns' });
  }
  for (const n of await ipNetnsList())
    if (n.startsWith(nsPrefix)) add({ kind: 'netns', ref: n, detail: 'ip netns list' });
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const mountPoint = line.split(' ')[4] ?? '';
      if (mountPoint.includes(`/${nsPrefix}`) || mountPoint.startsWith(q.runtimeBase))
        add({ kind: 'mount', ref: mountPoint });
    }
  } catch {
    // no mountinfo: nothing to check there
  }
  try {
    // The lab's lock (engine/host/labLock.ts, where the engine has it): an abstract socket
    // "@netweave/lock/<id>" that only a running `up` or `down` holds.
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const path = line.trim().split(/\s+/)[7] ?? '';
      // Node binds the whole sun_path: the name is followed by NULs, shown as '@'.
      const name = `@netweave/lock/${q.labId}`;
      if (path.startsWith(name) && /^@*$/.test(path.slice(name.length)))
        add({ kind: 'lock', ref: name });
    }
  } catch {
    // no /proc/net/unix: nothing to check there
  }
  const tag = `${TAG_PREFIX}:${q.labId}`;
  for (const l of await ipJson(['-j', '-d', 'link', 'show'])) {
    if (!l.ifname || !(l.ifalias ?? '').startsWith(tag)) continue;
    add({
      kind: l.linkinfo?.info_kind === 'tun' ? 'tap' : 'interface',
      ref: l.ifname,
      detail: l.ifalias,
    });
  }
  for (const p of taggedProcesses(q.labId)) {
    if (isDead(p.pid)) continue;
    add({ kind: 'process', ref: String(p.pid), detail: cmdlineOf(p.pid) });
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = cmdlineOf(Number(entry));
    if (cmd.includes(q.runtimeBase) && !isDead(Number(entry)))
      add({ kind: 'process', ref: entry, detail: cmd });
  }
  for (const o of q.journal) {
    switch (o.type) {
      case 'netns':
        if (o.mode === 'host' ? existsSync(`/run/netns/${o.ref}`) : existsSync(o.ref))
          add({ kind: 'journal-object', ref: `netns ${o.ref}` });
        break;
      case 'process':
        if (!isDead(Number(o.ref), o.startTime))
          add({
            kind: 'journal-object',
            ref: `process ${o.ref}`,
            detail: cmdlineOf(Number(o.ref)),
          });
        break;
      case 'socket':
      case 'file':
      case 'dir':
        if (existsSync(o.ref)) add({ kind: 'journal-object', ref: `${o.type} ${o.ref}` });
        break;
      case 'interface':
        // In a node's namespace (gone with it, checked above) or, in isolated mode, in the
        // engine's own; only an interface in the machine's namespace can outlive the lab.
        if (!o.netns && o.mode === 'host' && existsSync(`/sys/class/net/${o.ref}`))
          add({ kind: 'journal-object', ref: `interface ${o.ref}` });
        break;
      default:
        break;
    }
  }
  return leaks;
}
