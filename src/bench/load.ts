// The machine's load during one measurement, so that every figure can be read next to what
// else the machine was doing: the 1-minute load average when the measurement began, and how
// the CPU time of the measurement's window was split between the benchmark's own process tree,
// kernel threads, interrupts and everything else on the machine.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** PF_KTHREAD in /proc/<pid>/stat's flags: the task is a kernel thread. */
const PF_KTHREAD = 0x00200000;

/** The load around one measurement. CPU figures are percent of the whole machine (all cores). */
export interface Load {
  /** /proc/loadavg's 1-minute value when the measurement began. */
  loadavg1: number;
  /** Processes that are not the benchmark's (its own process and all its descendants). */
  otherCpuPercent: number;
  /** The benchmark's process tree: the bench, the lab engine, iperf3, ping, ... */
  ownCpuPercent: number;
  /** Kernel threads (ksoftirqd, kworkers): often the measured traffic itself. */
  kernelThreadCpuPercent: number;
  /** Hard and soft interrupt time not charged to any task: mostly the measured traffic. */
  irqCpuPercent: number;
}

interface CpuTotals {
  /** Every tick of every CPU (idle included). */
  total: number;
  /** Ticks in tasks: user, nice, system. */
  tasks: number;
  /** Ticks in irq and softirq context. */
  irq: number;
}

/** Parses the "cpu" line of /proc/stat. */
export function parseProcStat(text: string): CpuTotals {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no "cpu" line');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1).map(Number);
  return {
    total: user + nice + system + idle + iowait + irq + softirq + steal,
    tasks: user + nice + system,
    irq: irq + softirq,
  };
}

/** Fields of /proc/<pid>/stat the meter uses. */
export interface TaskStat {
  ppid: number;
  flags: number;
  /** utime + stime of the task itself. */
  ownTicks: number;
  /** cutime + cstime: its children that it has waited for. */
  childTicks: number;
  /** Field 22, the start time in ticks since boot: tells a reused pid apart. */
  start: number;
}

/** Parses /proc/<pid>/stat (the command name may contain spaces and parentheses). */
export function parseTaskStat(text: string): TaskStat {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i] ?? 0);
  // f[0] is field 3 (state): field k is f[k - 3].
  return {
    ppid: n(1),
    flags: n(6),
    ownTicks: n(11) + n(12),
    childTicks: n(13) + n(14),
    start: n(19),
  };
}

function readStat(pid: number): TaskStat | undefined {
  try {
    return parseTaskStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone
  }
}

/** CPU ticks (utime + stime) of one process, undefined when it is gone. */
export function processTicks(pid: number): number | undefined {
  return readStat(pid)?.ownTicks;
}

interface Snapshot {
  cpu: CpuTotals;
  /** The benchmark's tree: its tasks' own ticks plus the ticks of children they reaped. */
  own: number;
  /** Ticks of every kernel thread, by "pid:start". */
  kthreads: Map<string, number>;
}

function snapshot(root: number): Snapshot {
  const kthreads = new Map<string, number>();
  const children = new Map<number, number[]>();
  const stats = new Map<number, TaskStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const st = readStat(pid);
    if (st === undefined) continue;
    if ((st.flags & PF_KTHREAD) !== 0) {
      kthreads.set(`${pid}:${st.start}`, st.ownTicks);
      continue;
    }
    stats.set(pid, st);
    const kids = children.get(st.ppid) ?? [];
    kids.push(pid);
    children.set(st.ppid, kids);
  }
  // A child's ticks move into its parent's cutime/cstime when the parent reaps it, so the sum
  // over the live tree of own + reaped-children ticks only grows by the tree's work.
  let own = 0;
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = stats.get(pid);
    if (st === undefined) continue;
    own += st.ownTicks + st.childTicks;
    queue.push(...(children.get(pid) ?? []));
  }
  return { cpu: parseProcStat(readFileSync('/proc/stat', 'utf8')), own, kthreads };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Measures the load over a window: begin() before the measurement, end() after it. */
export class LoadMeter {
  private readonly loadavg1: number;
  private readonly first: Snapshot;

  private constructor(private readonly root: number) {
    this.loadavg1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    this.first = snapshot(root);
  }

  /** Starts a window; `root` is the benchmark's own process (default: this one). */
  static begin(root: number = process.pid): LoadMeter {
    return new LoadMeter(root);
  }

  /** Ends the window and tells how its CPU time was spent. */
  end(): Load {
    const last = snapshot(this.root);
    const total = last.cpu.total - this.first.cpu.total;
    let kthreads = 0;
    for (const [key, ticks] of last.kthreads)
      kthreads += ticks - (this.first.kthreads.get(key) ?? 0);
    const own = Math.max(0, last.own - this.first.own);
    const tasks = last.cpu.tasks - this.first.cpu.tasks;
    const others = Math.max(0, tasks - own - kthreads);
    const pct = (ticks: number): number => (total > 0 ? round1((ticks / total) * 100) : 0);
    return {
      loadavg1: this.loadavg1,
      otherCpuPercent: pct(others),
      ownCpuPercent: pct(Math.min(own, tasks)),
      kernelThreadCpuPercent: pct(Math.max(0, kthreads)),
      irqCpuPercent: pct(last.cpu.irq - this.first.cpu.irq),
    };
  }
}
