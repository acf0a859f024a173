// Impairment benchmark (issue 10): what an impairment stage costs and how exact its delay is,
// on a real lab (two hosts on a switch whose h1 link is impaired live with linkImpair; two more
// hosts on a second switch carry a full-rate background stream through the same engine).
//   - throughput kept with delay=1ms each way against no impairment (target: 90 %);
//   - throughput kept with a configured-but-idle stage (loss=0%) against none (target: 95 %);
//   - delay accuracy: what a ping's RTT gained with delay=X on the h1 -> sw direction, against X
//     (median and p99 of the error), at 1 ms and 50 ms, unloaded and under the background stream.
// The arms of each figure alternate within every round; every run carries the machine's load.
import type { LinkDirection } from '../shared/topology/index.js';
import {
  FabricLab,
  H1_TO_H2,
  iperf,
  measured,
  percentile,
  preflight,
  settings,
  type FabricBenchOptions,
  type Settings,
} from './fabric.js';
import { FigureRuns, roundTo, type Figure } from './figure.js';
import { isInterrupted } from './owned.js';

const LAB_NAME = 'bench-impair';
const LAB = `name: ${LAB_NAME}
nodes:
  h1: { kind: host, interfaces: { eth0: { ipv4: [192.0.2.1/24] } } }
  h2: { kind: host, interfaces: { eth0: { ipv4: [192.0.2.2/24] } } }
  h3: { kind: host, interfaces: { eth0: { ipv4: [198.51.100.3/24] } } }
  h4: { kind: host, interfaces: { eth0: { ipv4: [198.51.100.4/24] } } }
  sw1: { kind: switch }
  sw2: { kind: switch }
links:
  - endpoints: [h1:eth0, sw1]
  - endpoints: [h2:eth0, sw1]
  - endpoints: [h3:eth0, sw2]
  - endpoints: [h4:eth0, sw2]
`;
/** The impaired link; a->b is h1 -> sw1 (the way a ping's request goes). */
const LINK = 'h1:eth0--sw1';
const H3_TO_H4 = { client: 'h3', server: 'h4', address: '198.51.100.4' };
/** Ping interval for the delay measurement (root may go below 200 ms). */
const PING_INTERVAL_S = '0.01';
/** Margin before a command of the benchmark is killed. */
const MARGIN_MS = 60_000;
/** Targets of issue 10. */
const TARGETS = { throughputKeptWithDelay1ms: 0.9, throughputKeptWithIdleStage: 0.95 };

function progress(line: string): void {
  process.stderr.write(`bench impair: ${line}\n`);
}

function checkInterrupted(): void {
  if (isInterrupted()) throw new Error('the benchmark was interrupted');
}

/** Sets the impairment of LINK (both directions unless `dir`), or clears it. */
async function impair(
  lab: FabricLab,
  spec: string | undefined,
  dir?: LinkDirection,
): Promise<void> {
  await lab.engine.call('linkImpair', {
    link: LINK,
    ...(dir !== undefined ? { dir } : {}),
    ...(spec !== undefined ? { spec } : { clear: true }),
  });
}

/** TCP throughput h1 -> h2 in Gbit/s, with its window's load. */
async function tcpGbps(lab: FabricLab, s: Settings, into: FigureRuns): Promise<number> {
  const [json, w] = await iperf(lab, s, [], H1_TO_H2);
  const bps = json.end?.sum_received?.bits_per_second;
  if (bps === undefined) throw new Error('iperf3 TCP reported no received total');
  into.add(bps / 1e9, w.load);
  return bps / 1e9;
}

/** RTTs (us) of `count` pings h1 -> h2, 10 ms apart. */
async function rtts(lab: FabricLab, count: number): Promise<number[]> {
  const out = await lab.run(
    'h1',
    ['ping', '-n', '-c', String(count), '-i', PING_INTERVAL_S, '192.0.2.2'],
    count * 1000 + MARGIN_MS,
  );
  const all = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
  if (all.length < count / 2) throw new Error(`ping: only ${all.length} of ${count} replies`);
  return all;
}

/** The background: a full-rate TCP stream h3 -> h4 through the same engine, for `seconds`. */
function background(lab: FabricLab, s: Settings, seconds: number): Promise<unknown> {
  return iperf(lab, { ...s, iperfSeconds: seconds }, [], H3_TO_H4);
}

/** Error of the delay frames got (RTT gained over the baseline median) against `delayUs`. */
async function delayError(
  lab: FabricLab,
  delayUs: number,
  count: number,
  loaded: boolean,
  s: Settings,
): Promise<Record<string, number>> {
  const stream = loaded
    ? background(lab, s, Math.ceil((2 * count * 0.01 + delayUs / 1e6) * 2) + 2)
    : undefined;
  // Let the stream reach full rate before measuring under it.
  if (stream) await new Promise((r) => setTimeout(r, 1000));
  const [result, window] = await measured(lab, async () => {
    const base = [...(await rtts(lab, count))].sort((a, b) => a - b);
    await impair(lab, `delay=${delayUs / 1000}ms`, 'a->b');
    try {
      const got = await rtts(lab, count);
      const baseline = percentile(base, 50);
      const errors = got.map((r) => Math.abs(r - baseline - delayUs)).sort((a, b) => a - b);
      return { baseline, errors };
    } finally {
      await impair(lab, undefined);
    }
  });
  await stream;
  return {
    baselineRttMedianUs: Math.round(result.baseline),
    medianErrorUs: Math.round(percentile(result.errors, 50)),
    p99ErrorUs: Math.round(percentile(result.errors, 99)),
    loadavg1: window.load.loadavg1,
    otherCpuPercent: window.load.otherCpuPercent,
  };
}

/** Runs the impairment benchmark; needs root, iperf3, ping, ss. */
export async function benchImpair(opts: FabricBenchOptions = {}): Promise<Record<string, unknown>> {
  const s = settings(opts);
  await preflight();
  const pings = opts.quick === true ? 50 : 300;
  progress('starting the lab');
  const lab = await FabricLab.start(LAB_NAME, LAB);
  try {
    const none = new FigureRuns(3);
    const delay1ms = new FigureRuns(3);
    const idle = new FigureRuns(3);
    const noneForIdle = new FigureRuns(3);
    for (let round = 0; round < s.rounds; round++) {
      // Which arm goes first alternates by round.
      const arms: [string, string | undefined, FigureRuns][] = [
        ['none', undefined, none],
        ['delay=1ms each way', 'delay=1ms', delay1ms],
        ['none', undefined, noneForIdle],
        ['loss=0%', 'loss=0%', idle],
      ];
      const order = round % 2 === 0 ? arms : [arms[1], arms[0], arms[3], arms[2]];
      for (const arm of order) {
        if (arm === undefined) continue;
        const [what, spec, into] = arm;
        checkInterrupted();
        await impair(lab, spec);
        try {
          const gbps = await tcpGbps(lab, s, into);
          progress(`round ${round + 1}/${s.rounds} TCP with ${what}: ${gbps.toFixed(3)} Gbit/s`);
        } finally {
          await impair(lab, undefined);
        }
      }
    }
    const accuracy: Record<string, Record<string, Record<string, number>>> = {};
    for (const delayUs of [1000, 50_000]) {
      const key = `${delayUs / 1000}ms`;
      const byLoad: Record<string, Record<string, number>> = {};
      accuracy[key] = byLoad;
      for (const loaded of [false, true]) {
        checkInterrupted();
        const r = await delayError(lab, delayUs, pings, loaded, s);
        byLoad[loaded ? 'underBackgroundStream' : 'unloaded'] = r;
        progress(
          `delay ${key} ${loaded ? 'under a full-rate stream' : 'unloaded'}: error median ${r['medianErrorUs']} us, p99 ${r['p99ErrorUs']} us`,
        );
      }
    }
    const kept = (a: FigureRuns, b: FigureRuns): number => roundTo(a.median() / b.median(), 3);
    const withDelay = kept(delay1ms, none);
    const withIdle = kept(idle, noneForIdle);
    const fig = (f: FigureRuns): Figure => f.toJSON();
    return {
      settings: { rounds: s.rounds, iperfSeconds: s.iperfSeconds, pingsPerRun: pings },
      tcpGbps: {
        none: fig(none),
        delay1msEachWay: fig(delay1ms),
        noneBeforeIdleStage: fig(noneForIdle),
        idleStageLoss0: fig(idle),
      },
      throughputKeptWithDelay1ms: withDelay,
      throughputKeptWithIdleStage: withIdle,
      delayAccuracy: accuracy,
      targets: TARGETS,
      meetsTargets: {
        throughputKeptWithDelay1ms: withDelay >= TARGETS.throughputKeptWithDelay1ms,
        throughputKeptWithIdleStage: withIdle >= TARGETS.throughputKeptWithIdleStage,
      },
      notes: [
        'lab: h1 and h2 on sw1, h3 and h4 on sw2, one engine; the link h1:eth0--sw1 is impaired live (linkImpair), cleared after each run',
        'tcpGbps: iperf3 TCP h1 -> h2 (medians of the rounds; arms alternate which goes first); throughputKept* = median with / median without',
        'delayAccuracy: pings h1 -> h2 every 10 ms; baseline RTT median without impairment, then delay=X on h1 -> sw1 only; error = |RTT - baseline median - X| per ping, median and p99; underBackgroundStream: an iperf3 TCP stream h3 -> h4 at full rate through the same engine during both ping runs',
      ],
    };
  } finally {
    await lab.dispose();
  }
}
