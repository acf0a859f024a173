// Fabric benchmark: iperf3 TCP, UDP 64-byte frames per second and ping RTT between two host
// nodes through the fabric, against the same two namespaces joined by a kernel bridge.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupLab } from '../engine/host/cleanup.js';
import { execOutput } from '../engine/process/run.js';
import { launchLab } from '../engine/launcher.js';
import { Fabric, MemoryPort } from '../engine/fabric/index.js';
import { benchFabricDrain } from './fabricDrain.js';

/** Seconds each iperf3 run lasts: long enough to pass TCP slow start, short enough for CI. */
const IPERF_SECONDS = 5;
/** Pings per RTT measurement; 2 ms apart so that the run takes about a second. */
const PING_COUNT = 500;

const LAB = `name: bench-fabric
nodes:
  h1: { kind: host, interfaces: { eth0: { ipv4: [192.0.2.1/24] } } }
  h2: { kind: host, interfaces: { eth0: { ipv4: [192.0.2.2/24] } } }
  sw: { kind: switch }
links:
  - endpoints: [h1:eth0, sw]
  - endpoints: [h2:eth0, sw]
`;

/** What one path (fabric or bridge) achieved. */
export interface PathResult {
  tcpGbps: number;
  udp64FramesPerSecond: number;
  udp64LossPercent: number;
  rttMedianUs: number;
  rttP99Us: number;
}

/** A command runner in one of the two hosts. */
type Runner = (host: 'h1' | 'h2', argv: string[]) => Promise<string>;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

interface IperfJson {
  end: {
    sum_received?: { bits_per_second: number };
    sum?: { packets: number; lost_packets: number; seconds: number; lost_percent: number };
  };
}

async function measure(run: Runner): Promise<PathResult> {
  await run('h2', ['iperf3', '-s', '-D', '-p', '5201']);
  await new Promise((r) => setTimeout(r, 500));
  const tcp = JSON.parse(
    await run('h1', ['iperf3', '-c', '192.0.2.2', '-p', '5201', '-t', String(IPERF_SECONDS), '-J']),
  ) as IperfJson;
  // 18 bytes of UDP payload make a 60-byte Ethernet frame (64 with the FCS on a wire).
  const udp = JSON.parse(
    await run('h1', [
      'iperf3',
      '-c',
      '192.0.2.2',
      '-p',
      '5201',
      '-u',
      '-b',
      '0',
      '-l',
      '18',
      '-t',
      String(IPERF_SECONDS),
      '-J',
    ]),
  ) as IperfJson;
  const ping = await run('h1', ['ping', '-c', String(PING_COUNT), '-i', '0.002', '192.0.2.2']);
  const rtts = [...ping.matchAll(/time=([\d.]+) ms/g)]
    .map((m) => Number(m[1]) * 1000)
    .sort((a, b) => a - b);
  const sum = udp.end.sum;
  return {
    tcpGbps: (tcp.end.sum_received?.bits_per_second ?? 0) / 1e9,
    udp64FramesPerSecond: sum ? Math.round((sum.packets - sum.lost_packets) / sum.seconds) : 0,
    udp64LossPercent: sum?.lost_percent ?? 0,
    rttMedianUs: percentile(rtts, 50),
    rttP99Us: percentile(rtts, 99),
  };
}

function exec(argv: string[], timeoutMs = 120_000): Promise<string> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (e, out, err) =>
      e ? reject(new Error(`${argv.join(' ')}: ${err || e.message}`)) : resolve(out),
    );
  });
}

function cpuTicks(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), system: Number(f[12]) };
}

async function throughFabric(): Promise<
  PathResult & { engineCpu: { userPercent: number; systemPercent: number } }
> {
  const dir = mkdtempSync(join(tmpdir(), 'nwbench-'));
  const file = join(dir, 'bench-fabric.yaml');
  writeFileSync(file, LAB);
  try {
    const launched = await launchLab(file);
    await new Promise<void>((resolve, reject) => {
      launched.client.on('labState', (s) => {
        if (s.state === 'running') resolve();
        if (s.state === 'failed') reject(new Error(s.reason));
      });
    });
    const c = launched.client;
    const run: Runner = async (host, argv) => {
      const r = await c.call('exec', { node: host, argv, timeoutMs: 120_000 });
      if (r.exitCode !== 0)
        throw new Error(
          `${argv.join(' ')} in ${host}: ${execOutput(r, 'stderr').toString() || execOutput(r, 'stdout').toString()}`,
        );
      return execOutput(r, 'stdout').toString();
    };
    const pid = launched.record.enginePid;
    const before = cpuTicks(pid);
    const t0 = Date.now();
    const result = await measure(run);
    const wall = (Date.now() - t0) / 1000;
    const after = cpuTicks(pid);
    const hz = 100; // USER_HZ on Linux
    launched.client.dispose();
    return {
      ...result,
      engineCpu: {
        userPercent: Math.round(((after.user - before.user) / hz / wall) * 100),
        systemPercent: Math.round(((after.system - before.system) / hz / wall) * 100),
      },
    };
  } finally {
    await cleanupLab('bench-fabric');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The kernel-bridge reference: the same two namespaces (inside a private user + network
 * namespace, so nothing touches the machine's own) joined by veth pairs and a bridge.
 */
async function throughBridge(offloads: boolean): Promise<PathResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nwbench-br-'));
  // A fixed script: no user input reaches it. It prepares the namespaces and then waits, so
  // the measurements can enter them with nsenter while it holds them.
  const script = `set -e
cd "$1"
touch a b
unshare --net=a true
unshare --net=b true
ip link add br0 type bridge
ip link set br0 up
for n in a b; do
  ip link add v$n type veth peer name p$n
  ip link set p$n netns ./$n
  ip link set v$n master br0 up
  nsenter --net=$n ip link set lo up
  nsenter --net=$n ip link set p$n name eth0
  nsenter --net=$n ip link set eth0 up
  ${offloads ? '' : 'ethtool -K v$n tso off gso off gro off tx off rx off >/dev/null 2>&1 || true; nsenter --net=$n ethtool -K eth0 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true'}
done
nsenter --net=a ip addr add 192.0.2.1/24 dev eth0
nsenter --net=b ip addr add 192.0.2.2/24 dev eth0
echo ready > ready
exec sleep 600
`;
  writeFileSync(join(dir, 'setup.sh'), script);
  const { spawn } = await import('node:child_process');
  const holder = spawn(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--net',
      '--mount',
      '--fork',
      '--kill-child',
      'bash',
      join(dir, 'setup.sh'),
      dir,
    ],
    { stdio: 'ignore' },
  );
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        readFileSync(join(dir, 'ready'));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('the bridge reference did not come up');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const holderPid = holder.pid ?? 0;
    const run: Runner = (host, argv) =>
      exec([
        'nsenter',
        '--preserve-credentials',
        '--user',
        '--mount',
        `--target=${childOf(holderPid)}`,
        '--',
        'nsenter',
        `--net=${join(dir, host === 'h1' ? 'a' : 'b')}`,
        '--',
        ...argv,
      ]);
    return await measure(run);
  } finally {
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function childOf(pid: number): number {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  return Number(kids[0] ?? pid);
}

/** Batch size of the in-process forwarding benchmark: what one TAP read typically yields. */
const SWITCH_BATCH = 64;
/** How long the in-process forwarding benchmark runs. */
const SWITCH_BENCH_MS = 2_000;

/**
 * The fabric's own cost without the kernel: frames injected into a learning switch between
 * two in-memory ports, learned unicast both ways. Shows how much of the budget JavaScript uses.
 */
function switchOnly(): { framesPerSecond: number; nsPerFrame: number } {
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
  const end = start + BigInt(SWITCH_BENCH_MS) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) {
      a.inject(ab);
      b.inject(ba);
    }
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start);
  void fabric.dispose();
  return {
    framesPerSecond: Math.round(delivered / (ns / 1e9)),
    nsPerFrame: Math.round(ns / delivered),
  };
}

/** Runs the fabric benchmark; needs iperf3 and ping. */
export async function benchFabric(): Promise<Record<string, unknown>> {
  const fabric = await throughFabric();
  const bridgeNoOffload = await throughBridge(false);
  const bridge = await throughBridge(true);
  const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
  return {
    fabric,
    fabricSwitchInProcess: switchOnly(),
    fabricDrain64: await benchFabricDrain(),
    kernelBridgeOffloadsOff: bridgeNoOffload,
    kernelBridgeOffloadsOn: bridge,
    ratios: {
      tcpFabricOverBridgeOffloadsOff: ratio(fabric.tcpGbps, bridgeNoOffload.tcpGbps),
      udp64FabricOverBridge: ratio(
        fabric.udp64FramesPerSecond,
        bridgeNoOffload.udp64FramesPerSecond,
      ),
      addedMedianRttUs: Math.round(fabric.rttMedianUs - bridgeNoOffload.rttMedianUs),
    },
    targets: { tcpGbps: 1, udp64FramesPerSecond: 150_000, addedMedianRttUs: 50 },
  };
}
