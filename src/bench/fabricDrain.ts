// The fabric's frame-rate ceiling, measured the way the team's machine notes suggest: queue 64-byte frames in
// a TAP while the fabric does not read it, then time how fast the fabric drains them through a
// learning switch into a second TAP. iperf3's UDP sender cannot outrun the fabric on 2 cores,
// so it measures the sender; this measures the fabric (TAP read, switching, TAP write and the
// receiving kernel's input path).
//
// The two namespaces are held by two `unshare --net` processes of the benchmark's own (no
// /run/netns entry): they end when the benchmark closes their stdin or dies, and their
// namespaces, TAPs included, go with them.
import { spawn, type ChildProcess } from 'node:child_process';
import { Fabric, TapPort } from '../engine/fabric/index.js';
import { run, STEP_MS } from './command.js';
import { FigureRuns, type Figure } from './figure.js';
import { LoadMeter } from './load.js';
import { onInterrupt, ownChild } from './owned.js';

/** A drain is over when no frame moved for this long. */
const IDLE_MS = 300;
/** How long a namespace holder may take to start. */
const HOLDER_START_MS = 15_000;

/** Options of the drain measurement. */
export interface DrainOptions {
  /** Drains measured (the median is reported). */
  runs: number;
  /** Frames queued per drain: enough for a timing well above timer resolution. */
  frames: number;
}

/** Result of the drain measurement. */
export interface DrainResult {
  queued: number;
  frameBytes: number;
  /** Frames that reached the second TAP, run for run. */
  delivered: number[];
  framesPerSecond: Figure;
}

/** The generator: `count` datagrams of 18 bytes (a 60-byte Ethernet frame) to the peer. */
function generator(count: number): string {
  return [
    'import socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    "p = b'x' * 18",
    `for _ in range(${count}):`,
    '    try:',
    "        s.sendto(p, ('192.0.2.2', 9))",
    '    except OSError:',
    '        pass',
  ].join('\n');
}

/** A network namespace held by a process that waits for its stdin to close. */
class Netns {
  private constructor(private readonly holder: ChildProcess) {}

  /** The namespace, as a path setns() and nsenter take. */
  get path(): string {
    return `/proc/${this.holder.pid}/ns/net`;
  }

  static async create(): Promise<Netns> {
    // unshare execs sh in the new namespace: the holder's pid is in it.
    const holder = spawn('unshare', ['--net', '--', 'sh', '-c', 'echo ready; read -r _ || true'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    ownChild(holder, 'a namespace of the drain benchmark');
    // Closing stdin is how the holder is told to end; a holder already gone is no error.
    holder.stdin.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        holder.kill('SIGKILL');
        reject(new Error('the drain benchmark could not create a network namespace in time'));
      }, HOLDER_START_MS);
      holder.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        if (/^ready$/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      holder.stderr.on('data', (c: Buffer) => {
        if (err.length < 4096) err += c.toString('utf8');
      });
      holder.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`the drain benchmark could not run unshare: ${e.message}`));
      });
      holder.once('exit', (code, signal) => {
        clearTimeout(timer);
        const why = err.trim() || `unshare ended (${signal ?? `exit ${code}`})`;
        reject(new Error(`the drain benchmark could not create a network namespace: ${why}`));
      });
    });
    return new Netns(holder);
  }

  /** Runs argv in the namespace; rejects in one sentence unless it exits 0. */
  run(argv: string[], timeoutMs = STEP_MS): Promise<string> {
    return run(['nsenter', `--net=${this.path}`, '--', ...argv], {
      timeoutMs,
      label: `${argv[0] ?? ''} in the drain benchmark's namespace`,
    });
  }

  /** Ends the holder (and with it the namespace) and waits for it. */
  async close(): Promise<void> {
    const h = this.holder;
    if (h.exitCode !== null || h.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => h.once('exit', () => resolve()));
    h.stdin?.end();
    const timer = setTimeout(() => h.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

/** Runs the drain measurement in two namespaces of its own (needs root). */
export async function benchFabricDrain(opts: DrainOptions): Promise<DrainResult> {
  const fabric = new Fabric();
  const spaces: Netns[] = [];
  const owned = onInterrupt('the drain benchmark', async () => {
    fabric.dispose();
    for (const ns of spaces) await ns.close();
  });
  try {
    const a = await Netns.create();
    spaces.push(a);
    const b = await Netns.create();
    spaces.push(b);
    const pa = TapPort.open({ id: 'a:eth0', ifname: 'eth0', netnsPath: a.path });
    const pb = TapPort.open({ id: 'b:eth0', ifname: 'eth0', netnsPath: b.path });
    fabric.addPort(pa);
    fabric.addPort(pb);
    const sw = fabric.addSwitch('sw', {});
    sw.attach(pa);
    sw.attach(pb);
    const macB = '02:00:00:00:00:0b';
    // The TAP's queue must hold every queued frame while the fabric is paused.
    const txQueueLen = String(opts.frames * 2);
    await a.run(['ip', 'link', 'set', 'eth0', 'txqueuelen', txQueueLen, 'up']);
    await a.run(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
    await b.run(['ip', 'link', 'set', 'eth0', 'address', macB, 'up']);
    await b.run(['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
    await a.run([
      'ip',
      'neigh',
      'replace',
      '192.0.2.2',
      'lladdr',
      macB,
      'dev',
      'eth0',
      'nud',
      'permanent',
    ]);
    await new Promise((r) => setTimeout(r, 500)); // let link-up chatter pass
    const fps = new FigureRuns(0);
    const delivered: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      pa.pauseReading();
      const before = pb.snapshot().tx.frames;
      await a.run(['python3', '-c', generator(opts.frames)], 120_000);
      const meter = LoadMeter.begin();
      const t0 = process.hrtime.bigint();
      let last = t0;
      let count = before;
      pa.resumeReading();
      await new Promise<void>((resolve) => {
        const poll = (): void => {
          const now = process.hrtime.bigint();
          const c = pb.snapshot().tx.frames;
          if (c !== count) {
            count = c;
            last = now;
          }
          if (Number(now - last) / 1e6 > IDLE_MS) resolve();
          else setImmediate(poll);
        };
        setImmediate(poll);
      });
      const load = meter.end();
      const seconds = Number(last - t0) / 1e9;
      delivered.push(count - before);
      fps.add(seconds > 0 ? (count - before) / seconds : 0, load);
    }
    return { queued: opts.frames, frameBytes: 60, delivered, framesPerSecond: fps.toJSON() };
  } finally {
    fabric.dispose();
    for (const ns of spaces) await ns.close();
    owned.release();
  }
}
