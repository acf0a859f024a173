// The fabric's frame-rate ceiling, measured as ENVIRONMENT.md suggests: queue 64-byte frames in
// a TAP while the fabric does not read it, then time how fast the fabric drains them through a
// learning switch into a second TAP. iperf3's UDP sender cannot outrun the fabric on 2 cores,
// so it measures the sender; this measures the fabric (TAP read, switching, TAP write and the
// receiving kernel's input path).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Fabric, TapPort } from '../engine/fabric/index.js';
import { runChecked } from '../engine/process/run.js';

/** Frames queued per run: enough for a timing well above timer resolution. */
const FRAMES = 150_000;
/** The TAP's queue must hold every queued frame while the fabric is paused. */
const TX_QUEUE_LEN = FRAMES * 2;
/** A drain is over when no frame moved for this long. */
const IDLE_MS = 300;

/** Result of the drain measurement. */
export interface DrainResult {
  queued: number;
  delivered: number;
  framesPerSecond: number;
  frameBytes: number;
}

function inNs(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

function sendBurst(ns: string): Promise<void> {
  // A fixed generator: FRAMES datagrams of 18 bytes (a 60-byte Ethernet frame) to the peer.
  const program = [
    'import socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    "p = b'x' * 18",
    `for _ in range(${FRAMES}):`,
    '    try:',
    "        s.sendto(p, ('192.0.2.2', 9))",
    '    except OSError:',
    '        pass',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, 'python3', '-c', program], { timeout: 120_000 }, (e) =>
      e ? reject(new Error(`the frame generator failed: ${e.message}`)) : resolve(),
    );
  });
}

/** Runs the drain measurement in two namespaces of its own (needs root). */
export async function benchFabricDrain(): Promise<DrainResult> {
  const tag = randomBytes(3).toString('hex');
  const [a, b] = [`nwbench-${tag}-a`, `nwbench-${tag}-b`];
  const fabric = new Fabric();
  try {
    await runChecked(['ip', 'netns', 'add', a]);
    await runChecked(['ip', 'netns', 'add', b]);
    const pa = TapPort.open({ id: 'a:eth0', ifname: 'eth0', netnsPath: `/run/netns/${a}` });
    const pb = TapPort.open({ id: 'b:eth0', ifname: 'eth0', netnsPath: `/run/netns/${b}` });
    fabric.addPort(pa);
    fabric.addPort(pb);
    const sw = fabric.addSwitch('sw', {});
    sw.attach(pa);
    sw.attach(pb);
    const macB = '02:00:00:00:00:0b';
    await runChecked(
      inNs(a, ['ip', 'link', 'set', 'eth0', 'txqueuelen', String(TX_QUEUE_LEN), 'up']),
    );
    await runChecked(inNs(a, ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0']));
    await runChecked(inNs(b, ['ip', 'link', 'set', 'eth0', 'address', macB, 'up']));
    await runChecked(inNs(b, ['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0']));
    await runChecked(
      inNs(a, [
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
      ]),
    );
    await new Promise((r) => setTimeout(r, 500)); // let link-up chatter pass
    pa.pauseReading();
    const before = pb.snapshot().tx.frames;
    await sendBurst(a);
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
    const delivered = count - before;
    const seconds = Number(last - t0) / 1e9;
    return {
      queued: FRAMES,
      delivered,
      framesPerSecond: seconds > 0 ? Math.round(delivered / seconds) : 0,
      frameBytes: 60,
    };
  } finally {
    fabric.dispose();
    for (const ns of [a, b]) await runChecked(['ip', 'netns', 'del', ns]).catch(() => undefined);
  }
}
