// Console flood through the real engine (issue 12): a host node's shell prints 100 MB of
// numbered lines as fast as its pty takes them. Measured: how fast the engine hands the output
// to a client that keeps up (the engine -> service hop, in events and MB/s), whether the run log
// got every line, and how much the engine's resident memory grew meanwhile. What the app then
// shows of it is the UI benchmark's console figure.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FabricLab } from './fabric.js';
import { FigureRuns, type Figure } from './figure.js';
import { LoadMeter } from './load.js';

/** Options of the console flood (`node dist/bench/run.js consoleFlood [--quick]`). */
export interface ConsoleFloodOptions {
  quick?: boolean;
  rounds?: number;
}

/** Result of the console flood. */
export interface ConsoleFloodResult {
  /** Lines printed per run, and their bytes as the program wrote them (before the pty's CRs). */
  lines: number;
  bytes: number;
  /** MB of console text per second that reached the engine's client. */
  clientMbPerSecond: Figure;
  /** consoleData events per MB (fewer is cheaper for the service and the app). */
  eventsPerMb: number[];
  /** Largest growth of the engine's resident memory during a run, MB. */
  engineRssGrowthMb: number[];
  /** True when the run log held every line, in order, each run. */
  logComplete: boolean[];
}

const LAB = `name: bench-console
nodes:
  h1: { kind: host }
`;
/** Lines of the flood: `seq` prints about 9 bytes each at this count, some 100 MB. */
const FULL_LINES = 11_500_000;
const QUICK_LINES = 1_000_000;
/** How long a flood may take on a loaded machine before the run fails. */
const FLOOD_MS = 600_000;
const RSS_SAMPLE_MS = 50;

/** Resident memory of a process in MB (VmRSS). */
function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The bytes `seq 1 n` writes. */
function seqBytes(n: number): number {
  let bytes = 0;
  for (let digits = 1, from = 1; from <= n; digits++, from *= 10) {
    bytes += (Math.min(n, from * 10 - 1) - from + 1) * (digits + 1);
  }
  return bytes;
}

/** True when the log has the lines 1..n in order between the markers (CRs from the pty). */
async function logHasEveryLine(file: string, start: string, n: number): Promise<boolean> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let inside = false;
  let next = 1;
  for await (const raw of lines) {
    const line = raw.replace(/\r+$/, '');
    if (!inside) {
      inside = line === start;
      continue;
    }
    if (line === String(next)) next++;
    else if (next > n) break;
    else if (line.length > 0) return false;
  }
  return next === n + 1;
}

/** Runs the flood `rounds` times in one lab (needs root, as every lab benchmark). */
export async function benchConsoleFlood(
  opts: ConsoleFloodOptions = {},
): Promise<ConsoleFloodResult> {
  const lines = opts.quick === true ? QUICK_LINES : FULL_LINES;
  const rounds = Math.max(1, opts.rounds ?? (opts.quick === true ? 1 : 3));
  const lab = await FabricLab.start('bench-console', LAB, []);
  const mbps = new FigureRuns(1);
  const eventsPerMb: number[] = [];
  const growth: number[] = [];
  const complete: boolean[] = [];
  try {
    const client = lab.engine;
    const pid = lab.enginePid;
    const log = join(lab.logDir, 'h1.log');
    for (let round = 1; round <= rounds; round++) {
      const tag = `FLOOD-${process.pid}-${round}`;
      let chars = 0;
      let events = 0;
      let seen = '';
      let resolveDone: () => void = () => undefined;
      const done = new Promise<void>((r) => (resolveDone = r));
      const sub = client.on('consoleData', (e) => {
        if (e.node !== 'h1') return;
        chars += e.data.length;
        events++;
        // The marker is computed by the shell, so the echoed command line does not match it.
        seen = (seen + e.data).slice(-200);
        if (seen.includes(`${tag}-END-${2 * round}`)) resolveDone();
      });
      const rssBefore = rssMb(pid);
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), RSS_SAMPLE_MS);
      const meter = LoadMeter.begin();
      const t0 = performance.now();
      const timeout = setTimeout(resolveDone, FLOOD_MS);
      await client.call('consoleWrite', {
        node: 'h1',
        data: `echo ${tag}-START; seq 1 ${lines}; echo ${tag}-END-$((${round}*2))\r`,
      });
      await done;
      clearTimeout(timeout);
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      await sub.dispose();
      if (!seen.includes(`${tag}-END-${2 * round}`)) {
        throw new Error(`the console flood did not end within ${FLOOD_MS / 1000} s`);
      }
      const mb = chars / 1e6;
      mbps.add(mb / seconds, meter.end());
      eventsPerMb.push(Math.round(events / mb));
      growth.push(Math.round((rssPeak - rssBefore) * 10) / 10);
      // The engine may still be writing the log's last chunks: wait until it stops growing.
      let size = -1;
      while (statSync(log).size !== size) {
        size = statSync(log).size;
        await new Promise((r) => setTimeout(r, 300));
      }
      complete.push(size > seqBytes(lines) && (await logHasEveryLine(log, `${tag}-START`, lines)));
      process.stderr.write(
        `bench consoleFlood: round ${round}/${rounds}: ${(mb / seconds).toFixed(1)} MB/s, ${events} events, RSS +${growth.at(-1)} MB, log complete: ${complete.at(-1)}\n`,
      );
    }
    return {
      lines,
      bytes: seqBytes(lines),
      clientMbPerSecond: mbps.toJSON(),
      eventsPerMb,
      engineRssGrowthMb: growth,
      logComplete: complete,
    };
  } finally {
    await lab.dispose();
  }
}
