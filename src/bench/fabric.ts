// Fabric benchmark: iperf3 TCP, UDP 64-byte frames per second and ping RTT between two host
// nodes through the fabric, against the same two hosts joined by a kernel bridge (offloads off:
// the fair comparison for a TAP without IFF_VNET_HDR; offloads on: for reference), in the same
// run. Every figure is measured `rounds` times; the runs of the paths are interleaved (for each
// figure: fabric, bridge, bridge with offloads, then the next figure), which of the fabric and
// the offloads-off bridge goes first alternates by round, and every run carries the machine's
// load. Everything the benchmark creates is removed when it ends, fails or is interrupted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupLab } from '../engine/host/cleanup.js';
import { execOutput } from '../engine/process/run.js';
import { findExecutable } from '../engine/process/executable.js';
import { launchLab, type LaunchedLab } from '../engine/launcher.js';
import { Fabric, MemoryPort } from '../engine/fabric/index.js';
import { quote } from './command.js';
import { benchFabricDrain } from './fabricDrain.js';
import { FigureRuns, roundTo, type Figure } from './figure.js';
import { KernelBridge } from './kernelBridge.js';
import { LoadMeter, processTicks, type Load } from './load.js';
import { recordOffloads, type Background, type Host, type MeasuredPath } from './measuredPath.js';
import { isInterrupted, onInterrupt, type Owned } from './owned.js';

/** Options of the fabric benchmark (`node dist/bench/run.js fabric [--quick] [--rounds N]`). */
export interface FabricBenchOptions {
  /** A smoke run: short measurements, one round unless `rounds` says otherwise. */
  quick?: boolean;
  /** Runs of every figure (default 3, the least a median means something with). */
  rounds?: number;
}

export interface Settings {
  rounds: number;
  /** Seconds each iperf3 run lasts: long enough to pass TCP slow start, short enough for CI. */
  iperfSeconds: number;
  /** Pings per RTT measurement, 2 ms apart. */
  pingCount: number;
  /** How long each run of the in-process switching benchmark lasts. */
  switchMs: number;
  /** Frames queued per run of the drain benchmark. */
  drainFrames: number;
}

export function settings(opts: FabricBenchOptions): Settings {
  const quick = opts.quick === true;
  return {
    rounds: Math.max(1, Math.floor(opts.rounds ?? (quick ? 1 : 3))),
    iperfSeconds: quick ? 1 : 5,
    pingCount: quick ? 20 : 500,
    switchMs: quick ? 100 : 2_000,
    drainFrames: quick ? 5_000 : 150_000,
  };
}

const LAB_NAME = 'bench-fabric';
const LAB = `name: ${LAB_NAME}
nodes:
  h1: { kind: host, interfaces: { eth0: { ipv4: [192.0.2.1/24] } } }
  h2: { kind: host, interfaces: { eth0: { ipv4: [192.0.2.2/24] } } }
  sw: { kind: switch }
links:
  - endpoints: [h1:eth0, sw]
  - endpoints: [h2:eth0, sw]
`;

/** How long the fabric lab may take to come up on a loaded machine. */
const LAB_UP_MS = 120_000;
/** How long an iperf3 server may take to listen. */
const LISTEN_MS = 15_000;
/** How long an iperf3 server (-1) may take to end after its client ended. */
const SERVER_END_MS = 10_000;
/** Margin on top of a measurement's own duration before its command is killed. */
const MARGIN_MS = 60_000;
/** Linux's USER_HZ: the unit of /proc CPU times. */
const USER_HZ = 100;

/** Every external command the fabric benchmark runs, and the Debian package that has it. */
const TOOLS: Record<string, string> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  bash: 'bash',
  ip: 'iproute2',
  ss: 'iproute2',
  ethtool: 'ethtool',
  iperf3: 'iperf3',
  ping: 'iputils-ping',
  python3: 'python3',
};

/** Fails in one sentence when a command the benchmark needs is missing. */
export async function preflight(): Promise<void> {
  for (const [tool, pkg] of Object.entries(TOOLS)) {
    const found = await findExecutable(tool, process.cwd(), process.env);
    if (!found.ok) {
      throw new Error(
        `the fabric benchmark needs ${tool}, which is not installed (${found.problem}); install it with: apt-get install ${pkg}`,
      );
    }
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the fabric benchmark needs root (its drain measurement opens TAPs in namespaces of its own)',
    );
  }
}

function progress(line: string): void {
  process.stderr.write(`bench fabric: ${line}\n`);
}

function checkInterrupted(): void {
  if (isInterrupted()) throw new Error('the benchmark was interrupted');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The fabric path: a netweave lab of two hosts and a switch (or the lab `yaml` names). */
export class FabricLab implements MeasuredPath {
  readonly name = 'fabric';
  readonly offloads: Record<string, string> = {};
  private disposed = false;

  private constructor(
    private readonly dir: string,
    private readonly lab: LaunchedLab,
    private readonly owned: Owned,
    private readonly labName: string,
  ) {}

  /** The lab's engine, for commands beyond exec (impairments). */
  get engine(): LaunchedLab['client'] {
    return this.lab.client;
  }

  /** Where the lab's run logs are (one per node: NODE.log). */
  get logDir(): string {
    return this.lab.record.logDir;
  }

  /** The engine's node process: the fabric's JavaScript and its TAP system calls. */
  get enginePid(): number {
    return this.lab.record.enginePid;
  }

  /** `hosts`: the host nodes whose eth0 offloads are recorded (the measured ends). */
  static async start(
    labName = LAB_NAME,
    yaml = LAB,
    hosts: readonly string[] = ['h1', 'h2'],
  ): Promise<FabricLab> {
    const dir = mkdtempSync(join(tmpdir(), 'nwbench-'));
    // Until launchLab fails, the lab of this name is this run's: launchLab refuses to start a
    // second engine for a running lab (another benchmark run), and that one is not ours to remove.
    let ours = true;
    const owned = onInterrupt(`the fabric lab "${labName}"`, async () => {
      if (ours) await cleanupLab(labName);
      rmSync(dir, { recursive: true, force: true });
    });
    let launched: LaunchedLab | undefined;
    try {
      const file = join(dir, `${labName}.yaml`);
      writeFileSync(file, yaml);
      try {
        launched = await launchLab(file);
      } catch (err) {
        ours = false; // launchLab removed whatever it had created
        throw err;
      }
      await running(launched);
      const lab = new FabricLab(dir, launched, owned, labName);
      for (const host of hosts) {
        const text = await lab.run(host, ['ethtool', '-k', 'eth0'], 30_000);
        recordOffloads(lab.offloads, `eth0@${host}`, text);
      }
      return lab;
    } catch (err) {
      if (launched !== undefined) {
        launched.client.dispose();
        await cleanupLab(labName);
      }
      rmSync(dir, { recursive: true, force: true });
      owned.release();
      throw new Error(`the fabric lab did not come up: ${errorText(err)}`, { cause: err });
    }
  }

  async run(host: string, argv: string[], timeoutMs: number): Promise<string> {
    const r = await this.lab.client.call('exec', { node: host, argv, timeoutMs });
    if (r.exitCode !== 0) {
      const said = execOutput(r, 'stderr').toString() || execOutput(r, 'stdout').toString();
      const how =
        r.signal !== null ? `was killed by ${r.signal}` : `failed with exit code ${r.exitCode}`;
      throw new Error(`${argv.join(' ')} (in the fabric lab's ${host}) ${how}: ${quote(said)}`);
    }
    return execOutput(r, 'stdout').toString();
  }

  start(host: string, argv: string[], timeoutMs: number): Background {
    return {
      done: this.run(host, argv, timeoutMs).then(
        () => undefined,
        (err: unknown) => errorText(err),
      ),
      // The engine kills it at its timeout, and taking the lab down kills it with the lab.
      stop: () => undefined,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.lab.client.dispose();
      await cleanupLab(this.labName);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
      this.owned.release();
    }
  }
}

/** Resolves once the lab is running; rejects when it fails, its engine goes, or it hangs. */
function running(launched: LaunchedLab): Promise<void> {
  const subs: { dispose(): unknown }[] = [];
  let timer: NodeJS.Timeout | undefined;
  return new Promise<void>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`it was not running after ${LAB_UP_MS / 1000} s`)),
      LAB_UP_MS,
    );
    subs.push(
      launched.client.on('labState', (st) => {
        if (st.state === 'running') resolve();
        if (st.state === 'failed') reject(new Error(st.reason ?? 'it failed'));
      }),
      launched.client.onClose(() => reject(new Error('its engine went away'))),
    );
  }).finally(() => {
    clearTimeout(timer);
    for (const sub of subs) void sub.dispose();
  });
}

/** The figures of one path. */
interface PathFigures {
  tcpGbps: FigureRuns;
  udp64FramesPerSecond: FigureRuns;
  udp64LossPercent: FigureRuns;
  rttMedianUs: FigureRuns;
  rttP99Us: FigureRuns;
  /** Fabric only: the engine process's CPU (percent of one core) during each iperf3 run. */
  engineCpuPercentTcp: FigureRuns;
  engineCpuPercentUdp64: FigureRuns;
}

function newFigures(): PathFigures {
  return {
    tcpGbps: new FigureRuns(3),
    udp64FramesPerSecond: new FigureRuns(0),
    udp64LossPercent: new FigureRuns(2),
    rttMedianUs: new FigureRuns(0),
    rttP99Us: new FigureRuns(0),
    engineCpuPercentTcp: new FigureRuns(1),
    engineCpuPercentUdp64: new FigureRuns(1),
  };
}

interface IperfJson {
  error?: string;
  end?: {
    sum_received?: { bits_per_second: number };
    sum?: { packets: number; lost_packets: number; seconds: number; lost_percent: number };
  };
}

/** A measurement window: its load, and the engine's CPU over it when the path has an engine. */
interface Window {
  load: Load;
  engineCpuPercent?: number;
}

export async function measured<T>(p: object, fn: () => Promise<T>): Promise<[T, Window]> {
  const engine = p instanceof FabricLab ? p.enginePid : undefined;
  const e0 = engine !== undefined ? processTicks(engine) : undefined;
  const t0 = process.hrtime.bigint();
  const meter = LoadMeter.begin();
  const value = await fn();
  const load = meter.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const e1 = engine !== undefined ? processTicks(engine) : undefined;
  const window: Window = { load };
  if (e0 !== undefined && e1 !== undefined && seconds > 0) {
    window.engineCpuPercent = ((e1 - e0) / USER_HZ / seconds) * 100;
  }
  return [value, window];
}

let nextPort = 0;

/** Who an iperf3 run goes between: the client's host, the server's host and its address. */
export interface IperfEnds<H extends string> {
  client: H;
  server: H;
  address: string;
}

/** The hosts a path runs commands on, as iperf() uses them. */
interface Hosts<H extends string> {
  readonly name: string;
  run(host: H, argv: string[], timeoutMs: number): Promise<string>;
  start(host: H, argv: string[], timeoutMs: number): Background;
}

/** h1 to h2, the pair every path has. */
export const H1_TO_H2: IperfEnds<Host> = { client: 'h1', server: 'h2', address: '192.0.2.2' };

/**
 * One iperf3 run: a one-off server (-1: it ends after this client) on a port of its own, the
 * client once the server listens, timed and load-measured, then the server's end.
 */
export async function iperf<H extends string>(
  p: Hosts<H>,
  s: Settings,
  args: string[],
  ends: IperfEnds<H>,
): Promise<[IperfJson, Window]> {
  const port = String(5201 + (nextPort++ % 100));
  const timeoutMs = s.iperfSeconds * 1000 + MARGIN_MS;
  const server = p.start(ends.server, ['iperf3', '-s', '-1', '-p', port], timeoutMs);
  let serverEnd: string | undefined = 'still running';
  void server.done.then((why) => {
    serverEnd = why;
  });
  try {
    const until = Date.now() + LISTEN_MS;
    for (;;) {
      if (serverEnd !== 'still running') {
        throw new Error(
          `the iperf3 server in ${p.name} ended before it listened: ${serverEnd ?? 'exit 0'}`,
        );
      }
      const ss = await p.run(ends.server, ['ss', '-Hltn', `sport = :${port}`], 30_000);
      if (ss.trim().length > 0) break;
      if (Date.now() > until) {
        throw new Error(
          `the iperf3 server in ${p.name} did not listen within ${LISTEN_MS / 1000} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const [out, window] = await measured(p, () =>
      p.run(
        ends.client,
        ['iperf3', '-c', ends.address, '-p', port, '-t', String(s.iperfSeconds), '-J', ...args],
        timeoutMs,
      ),
    );
    const json = JSON.parse(out) as IperfJson;
    if (json.error !== undefined) throw new Error(`iperf3 in ${p.name}: ${json.error}`);
    const why = await Promise.race([
      server.done,
      new Promise<string>((r) =>
        setTimeout(() => r('it did not end after its client'), SERVER_END_MS),
      ),
    ]);
    if (why !== undefined) progress(`note: the iperf3 server in ${p.name}: ${why}`);
    return [json, window];
  } finally {
    server.stop();
  }
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

type Metric = (p: MeasuredPath, f: PathFigures, s: Settings) => Promise<string>;

const tcp: Metric = async (p, f, s) => {
  const [json, w] = await iperf(p, s, [], H1_TO_H2);
  const bps = json.end?.sum_received?.bits_per_second;
  if (bps === undefined) throw new Error(`iperf3 TCP in ${p.name} reported no received total`);
  f.tcpGbps.add(bps / 1e9, w.load);
  if (w.engineCpuPercent !== undefined) f.engineCpuPercentTcp.add(w.engineCpuPercent, w.load);
  return `${(bps / 1e9).toFixed(3)} Gbit/s TCP`;
};

const udp64: Metric = async (p, f, s) => {
  // 18 bytes of UDP payload make a 60-byte Ethernet frame (64 with the FCS on a wire).
  const [json, w] = await iperf(p, s, ['-u', '-b', '0', '-l', '18'], H1_TO_H2);
  const sum = json.end?.sum;
  if (sum === undefined) throw new Error(`iperf3 UDP in ${p.name} reported no total`);
  const fps = (sum.packets - sum.lost_packets) / sum.seconds;
  f.udp64FramesPerSecond.add(fps, w.load);
  f.udp64LossPercent.add(sum.lost_percent, w.load);
  if (w.engineCpuPercent !== undefined) f.engineCpuPercentUdp64.add(w.engineCpuPercent, w.load);
  return `${Math.round(fps)} UDP 64-byte frames/s (${sum.lost_percent.toFixed(1)} % lost)`;
};

const ping: Metric = async (p, f, s) => {
  const [out, w] = await measured(p, () =>
    p.run(
      'h1',
      ['ping', '-n', '-c', String(s.pingCount), '-i', '0.002', '192.0.2.2'],
      s.pingCount * 1000 + MARGIN_MS,
    ),
  );
  const rtts = [...out.matchAll(/time=([\d.]+) ms/g)]
    .map((m) => Number(m[1]) * 1000)
    .sort((a, b) => a - b);
  if (rtts.length < s.pingCount / 2) {
    throw new Error(`ping in ${p.name}: only ${rtts.length} of ${s.pingCount} replies`);
  }
  const med = percentile(rtts, 50);
  f.rttMedianUs.add(med, w.load);
  f.rttP99Us.add(percentile(rtts, 99), w.load);
  return `RTT median ${Math.round(med)} us`;
};

const METRICS: [string, Metric][] = [
  ['tcp', tcp],
  ['udp64', udp64],
  ['ping', ping],
];

/** What the JSON says about one path. */
function pathJson(p: MeasuredPath, f: PathFigures): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tcpGbps: f.tcpGbps.toJSON(),
    udp64FramesPerSecond: f.udp64FramesPerSecond.toJSON(),
    udp64LossPercent: f.udp64LossPercent.toJSON(),
    rttMedianUs: f.rttMedianUs.toJSON(),
    rttP99Us: f.rttP99Us.toJSON(),
  };
  if (f.engineCpuPercentTcp.count > 0) out['engineCpuPercentTcp'] = f.engineCpuPercentTcp.toJSON();
  if (f.engineCpuPercentUdp64.count > 0) {
    out['engineCpuPercentUdp64'] = f.engineCpuPercentUdp64.toJSON();
  }
  out['offloads'] = p.offloads;
  return out;
}

/** Batch size of the in-process forwarding benchmark: what one TAP read typically yields. */
const SWITCH_BATCH = 64;

/**
 * The fabric's own cost without the kernel: frames injected into a learning switch between
 * two in-memory ports, learned unicast both ways. Shows how much of the budget JavaScript uses.
 */
function switchOnce(ms: number): { framesPerSecond: number; nsPerFrame: number } {
  const fabric = new Fabric();
  const sw = fabric.addSwitch('sw', {});
  let delivered = 0;
  const count = (frames: readonly Buffer[]): number => {
    delivered += frames.length;
    return frames.length;
  };
  const a = new MemoryPort({ id: 'a:eth0', linkType: 'ethernet', onTransmit: count });
  const b = new MemoryPort({ id: 'b:eth0', linkType: 'ethernet', onTransmit: count });
  fabric.addPort(a);
  fabric.addPort(b);
  sw.attach(a);
  sw.attach(b);
  const frame = (dst: number, src: number): Buffer => {
    const f = Buffer.alloc(60);
    f[5] = dst;
    f[11] = src;
    f[12] = 0x08;
    return f;
  };
  const ab = Array.from({ length: SWITCH_BATCH }, () => frame(2, 1));
  const ba = Array.from({ length: SWITCH_BATCH }, () => frame(1, 2));
  a.inject(ab.slice(0, 1));
  b.inject(ba.slice(0, 1));
  delivered = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) {
      a.inject(ab);
      b.inject(ba);
    }
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start);
  fabric.dispose();
  return {
    framesPerSecond: delivered / (ns / 1e9),
    nsPerFrame: ns / delivered,
  };
}

function switchInProcess(s: Settings): Record<string, Figure> {
  const fps = new FigureRuns(0);
  const ns = new FigureRuns(0);
  for (let i = 0; i < s.rounds; i++) {
    const meter = LoadMeter.begin();
    const r = switchOnce(s.switchMs);
    const load = meter.end();
    fps.add(r.framesPerSecond, load);
    ns.add(r.nsPerFrame, load);
  }
  return { framesPerSecond: fps.toJSON(), nsPerFrame: ns.toJSON() };
}

const ratio = (a: number, b: number): number => roundTo(a / b, 3);

const NOTES = [
  'every figure: {median, runs, load}; load holds, run for run, /proc/loadavg 1-minute value when the run began (loadavg1) and how the CPU time of the run was spent, in percent of the whole machine (all cores): otherCpuPercent (processes that are not the benchmark or its descendants: what else the machine was doing), ownCpuPercent (the benchmark, the lab engine, iperf3, ping), kernelThreadCpuPercent (ksoftirqd, kworkers: mostly the measured traffic), irqCpuPercent (interrupt time not charged to a task: mostly the measured traffic)',
  'the paths run interleaved in one run: for each round and each figure (tcp, udp64, ping) fabric, kernelBridgeOffloadsOff and kernelBridgeOffloadsOn run one after the other, the first two swapping places every other round; all three stay up for the whole comparison',
  'ratios are computed from the medians; ratios.perRound pairs the fabric with the offloads-off bridge run of the same round',
  'offloads: what `ethtool -k` read back on each interface of the path (the offloads-off bridge fails the benchmark unless all five are off); the fabric TAPs have no IFF_VNET_HDR, so the kernel cannot hand them TSO/GRO super-frames, though it still segments in software (GSO) before the TAP',
  'engineCpuPercent*: the lab engine process (the fabric) in percent of one core during each iperf3 run',
];

/** Runs the fabric benchmark; needs root, iperf3, ping, ethtool, ss, python3, unshare, nsenter. */
export async function benchFabric(opts: FabricBenchOptions = {}): Promise<Record<string, unknown>> {
  const s = settings(opts);
  await preflight();
  const paths: MeasuredPath[] = [];
  const figures = new Map<MeasuredPath, PathFigures>();
  let comparison: Record<string, unknown>;
  try {
    // The bridges first: they take a second, and a setup failure there fails fast.
    progress('starting the two kernel bridges and the fabric lab');
    const off = await KernelBridge.start('kernelBridgeOffloadsOff', false);
    paths.push(off);
    checkInterrupted();
    const on = await KernelBridge.start('kernelBridgeOffloadsOn', true);
    paths.push(on);
    checkInterrupted();
    const fabric = await FabricLab.start();
    paths.push(fabric);
    for (const p of paths) figures.set(p, newFigures());
    const perRound = {
      tcpFabricOverBridgeOffloadsOff: [] as number[],
      udp64FabricOverBridgeOffloadsOff: [] as number[],
      addedMedianRttUs: [] as number[],
    };
    for (let round = 0; round < s.rounds; round++) {
      const order = round % 2 === 0 ? [fabric, off, on] : [off, fabric, on];
      for (const [metric, measure] of METRICS) {
        for (const p of order) {
          checkInterrupted();
          const f = figures.get(p) as PathFigures;
          const said = await measure(p, f, s);
          progress(`round ${round + 1}/${s.rounds} ${metric} ${p.name}: ${said}`);
        }
      }
      const last = (r: FigureRuns): number => r.toJSON().runs.at(-1) ?? NaN;
      const [ff, fo] = [figures.get(fabric) as PathFigures, figures.get(off) as PathFigures];
      perRound.tcpFabricOverBridgeOffloadsOff.push(ratio(last(ff.tcpGbps), last(fo.tcpGbps)));
      perRound.udp64FabricOverBridgeOffloadsOff.push(
        ratio(last(ff.udp64FramesPerSecond), last(fo.udp64FramesPerSecond)),
      );
      perRound.addedMedianRttUs.push(Math.round(last(ff.rttMedianUs) - last(fo.rttMedianUs)));
    }
    const [ff, fo, fn] = [fabric, off, on].map((p) => figures.get(p) as PathFigures) as [
      PathFigures,
      PathFigures,
      PathFigures,
    ];
    comparison = {
      fabric: pathJson(fabric, ff),
      kernelBridgeOffloadsOff: pathJson(off, fo),
      kernelBridgeOffloadsOn: pathJson(on, fn),
      ratios: {
        tcpFabricOverBridgeOffloadsOff: ratio(ff.tcpGbps.median(), fo.tcpGbps.median()),
        tcpFabricOverBridgeOffloadsOn: ratio(ff.tcpGbps.median(), fn.tcpGbps.median()),
        udp64FabricOverBridgeOffloadsOff: ratio(
          ff.udp64FramesPerSecond.median(),
          fo.udp64FramesPerSecond.median(),
        ),
        addedMedianRttUs: Math.round(ff.rttMedianUs.median() - fo.rttMedianUs.median()),
        perRound,
      },
    };
  } finally {
    for (const p of paths.reverse()) {
      await p.dispose().catch((err: unknown) => {
        progress(`could not remove ${p.name}: ${errorText(err)}`);
      });
    }
  }
  checkInterrupted();
  progress('in-process switching');
  const switchFigures = switchInProcess(s);
  checkInterrupted();
  progress('drain of queued 64-byte frames');
  const drain = await benchFabricDrain({ runs: s.rounds, frames: s.drainFrames });
  return {
    settings: {
      rounds: s.rounds,
      iperfSeconds: s.iperfSeconds,
      pingCount: s.pingCount,
      ...(opts.quick === true ? { quick: true } : {}),
    },
    ...comparison,
    fabricSwitchInProcess: switchFigures,
    fabricDrain64: drain,
    targets: { tcpGbps: 1, udp64FramesPerSecond: 150_000, addedMedianRttUs: 50 },
    notes: NOTES,
  };
}
