// Link impairments on a running lab (issue 10), through the CLI as a user drives them: the
// file's impairment is in force from the start, `netweave impair` changes and clears it at
// once, status and stats show it per direction, and drops are counted by their own cause.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import { CliEnv, leftovers, pingArgs, portCounters, twoHostLab } from '../helpers/cli.js';

const env = new CliEnv();
const files = join(env.runtime, '..', 'files');
mkdirSync(files, { recursive: true });
const LAB = 'impair';
const LINK = 'h1:eth0--sw';

beforeAll(async () => {
  const f = twoHostLab(files, LAB, '', '    impair: {a->b: delay=50ms}\n');
  const r = await env.run(['up', f, '--detach']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await env.run(['down', LAB]);
  expect(await leftovers(env, LAB)).toEqual([]);
  env.dispose();
});

/** Ping RTTs in ms (after one warm-up ping, so ARP is not in them). */
async function rtts(count = 10): Promise<number[]> {
  await env.run(['exec', 'h1', '--', 'ping', '-c', '1', '-W', '2', '192.0.2.2']);
  const r = await env.run(pingArgs('h1', '192.0.2.2', count));
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
}

/**
 * iperf3 from h1 to a one-shot server on h2 (`-J` report); retries while the server is not
 * listening yet, for at most 10 s.
 */
async function iperf(args: string[]): Promise<string> {
  const server = await env.run(['exec', 'h2', '--', 'iperf3', '-s', '-1', '-D']);
  expect(server.code, server.stderr).toBe(0);
  const until = Date.now() + 10_000;
  for (;;) {
    const r = await env.run(['exec', 'h1', '--', 'iperf3', '-c', '192.0.2.2', '-J', ...args]);
    if (r.code === 0) return r.stdout;
    if (Date.now() > until || !/unable to connect|Connection refused/i.test(r.stdout + r.stderr)) {
      throw new Error(`iperf3 ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

describe('link impairments', () => {
  it('delays one direction by the file setting, shown in status; clearing restores at once', async () => {
    const delayed = median(await rtts());
    expect(delayed).toBeGreaterThanOrEqual(50);
    const st = JSON.parse((await env.run(['status', LAB, '--json'])).stdout) as LabStatus;
    const link = st.links.find((l) => l.id === LINK);
    expect(link?.impair?.['a->b']?.text).toBe('delay=50ms');
    expect(link?.impair?.['b->a']).toBeUndefined();
    const cleared = await env.run(['impair', LINK, '--clear']);
    expect(cleared.stdout.trim()).toBe(`${LINK}: no impairment`);
    const plain = median(await rtts());
    expect(plain).toBeLessThan(20);
    // The RTT rose by the delay, 50 ms ± 5 ms (medians of ten pings each).
    expect(delayed - plain).toBeGreaterThanOrEqual(45);
    expect(delayed - plain).toBeLessThanOrEqual(55);
  });

  it('spreads the delay by the jitter: delay=50ms jitter=10ms puts RTTs over 40-60 ms, sd about 5.8 ms', async () => {
    const plain = median(await rtts());
    await env.run(['impair', LINK, '--dir', 'ab', 'delay=50ms', 'jitter=10ms', 'seed=3']);
    const r = await rtts(40);
    await env.run(['impair', LINK, '--clear']);
    // Uniform jitter: delay ± jitter, a standard deviation of 10/sqrt(3) = 5.8 ms.
    const extra = r.map((ms) => ms - plain);
    const mean = extra.reduce((a, b) => a + b, 0) / extra.length;
    const sd = Math.sqrt(extra.reduce((a, b) => a + (b - mean) ** 2, 0) / extra.length);
    // The stage never delivers early, so the least RTT is a hard bound; a loaded machine can
    // only add time, to a few samples, so the upper bound is on the 90th percentile.
    expect(Math.min(...r), r.join(' ')).toBeGreaterThanOrEqual(40);
    const p90 = [...extra].sort((a, b) => a - b)[Math.floor(extra.length * 0.9)] ?? Infinity;
    expect(p90, r.join(' ')).toBeLessThanOrEqual(60 + 5);
    expect(mean, r.join(' ')).toBeGreaterThan(45);
    expect(mean, r.join(' ')).toBeLessThan(55);
    expect(sd, r.join(' ')).toBeGreaterThan(3);
    expect(sd, r.join(' ')).toBeLessThan(8.5);
  });

  it('sets a delay live on the way back (b->a) and counts loss as loss', async () => {
    const set = await env.run(['impair', LINK, '--dir', 'b->a', 'delay=30ms']);
    expect(set.stdout.trim()).toBe(`${LINK}: b->a delay=30ms`);
    const back = median(await rtts());
    expect(back).toBeGreaterThanOrEqual(30);
    expect(back).toBeLessThan(30 + 20);
    await env.run(['impair', LINK, '--clear']);

    const before = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    await env.run(['impair', LINK, '--dir', 'ab', 'loss=30%', 'seed=7']);
    const r = await env.run([
      'exec',
      'h1',
      '--',
      'ping',
      '-c',
      '100',
      '-i',
      '0.02',
      '-W',
      '1',
      '192.0.2.2',
    ]);
    const lost = 100 - Number(/(\d+) received/.exec(r.stdout)?.[1] ?? NaN);
    // 30 % of 100 requests: well inside 5 standard deviations (4.6 frames each).
    expect(lost).toBeGreaterThan(30 - 23);
    expect(lost).toBeLessThan(30 + 23);
    const after = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    const c = portCounters(after, 'h1:eth0');
    const b = portCounters(before, 'h1:eth0');
    const lossDrops = c.rx.drops.loss - b.rx.drops.loss;
    expect(lossDrops).toBeGreaterThanOrEqual(lost);
    // Never counted as another cause.
    expect(c.rx.drops['queue-full'] + c.rx.drops['port-down']).toBe(
      b.rx.drops['queue-full'] + b.rx.drops['port-down'],
    );
    const stats = await env.run(['stats']);
    expect(stats.stdout).toContain(`impairment on ${LINK}: a->b loss=30% seed=7`);
    await env.run(['impair', LINK, '--clear']);
  });

  it('loses 10% of 2,000 pings within binomial bounds, and the same ones again with the same seed', async () => {
    // h1 sends nothing but the pings in the a->b direction, whose frames the seeded loss
    // decides on one by one: no IPv6 (router solicitations, MLD reports) and permanent
    // neighbour entries both ways (no ARP request of h1, nor reply of h1 to h2).
    const v6 = (off: 0 | 1): string[] => [
      'sysctl',
      '-q',
      '-w',
      `net.ipv6.conf.all.disable_ipv6=${off}`,
    ];
    expect((await env.run(['exec', 'h1', '--', ...v6(1)])).code).toBe(0);
    const macOf = async (node: string): Promise<string> =>
      (
        JSON.parse(
          (await env.run(['exec', node, '--', 'ip', '-j', 'link', 'show', 'eth0'])).stdout,
        ) as { address: string }[]
      )[0]?.address ?? '';
    for (const [node, peer, peerNode] of [
      ['h1', '192.0.2.2', 'h2'],
      ['h2', '192.0.2.1', 'h1'],
    ] as const) {
      const neigh = ['ip', 'neigh', 'replace', peer, 'lladdr', await macOf(peerNode)];
      const set = await env.run(['exec', node, '--', ...neigh, 'nud', 'permanent', 'dev', 'eth0']);
      expect(set.code, set.stderr).toBe(0);
    }
    const lost = async (): Promise<number[]> => {
      await env.run(['impair', LINK, '--dir', 'ab', 'loss=10%', 'seed=5']);
      const ping = ['ping', '-c', '2000', '-i', '0.002', '-W', '1', '192.0.2.2'];
      const r = await env.run(['exec', 'h1', '--', ...ping], { timeoutMs: 60_000 });
      await env.run(['impair', LINK, '--clear']);
      const answered = new Set([...r.stdout.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
      return Array.from({ length: 2000 }, (_, i) => i + 1).filter((seq) => !answered.has(seq));
    };
    const first = await lost();
    const again = await lost();
    await env.run(['exec', 'h1', '--', ...v6(0)]);
    // 10 % of 2,000: 200 ± 5 standard deviations (13.4 each).
    expect(first.length).toBeGreaterThan(200 - 67);
    expect(first.length).toBeLessThan(200 + 67);
    expect(again).toEqual(first);
  });

  it('holds TCP to the set rate', async () => {
    await env.run(['impair', LINK, '--dir', 'ab', 'rate=10mbit']);
    const r = await iperf(['-t', '4']);
    const report = JSON.parse(r) as { end: { sum_received: { bits_per_second: number } } };
    const mbit = report.end.sum_received.bits_per_second / 1e6;
    expect(mbit).toBeGreaterThan(9);
    expect(mbit).toBeLessThan(10.5);
    await env.run(['impair', LINK, '--clear']);
  });

  it('limits the rate and counts a full queue as limit', async () => {
    await env.run(['impair', LINK, '--dir', 'ab', 'rate=1mbit', 'limit=5']);
    const before = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    // A second of UDP at 20 Mbit/s into a 1 Mbit/s link that queues 5 frames: about 1,800
    // datagrams of 1,400 bytes offered, fewer than 100 of them can leave.
    await iperf(['-u', '-b', '20M', '-l', '1400', '-t', '1']);
    const after = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    const [a, b] = [portCounters(after, 'h1:eth0').rx, portCounters(before, 'h1:eth0').rx];
    expect(a.drops.limit - b.drops.limit).toBeGreaterThan(1_000);
    // Never counted as another cause.
    expect(a.drops.loss + a.drops['queue-full']).toBe(b.drops.loss + b.drops['queue-full']);
    await env.run(['impair', LINK, '--clear']);
  });

  it('refuses a bad setting in one sentence and changes nothing', async () => {
    const r = await env.run(['impair', LINK, 'delay=20']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'netweave: delay "20" needs a time unit: write a time like delay=20ms (units us, ms, s).',
    );
    const none = await env.run(['impair', 'no-such-link', 'delay=1ms']);
    expect(none.stderr).toContain('no link "no-such-link" in this lab; links are');
  });
});
