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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

describe('link impairments', () => {
  it('delays one direction by the file setting, shown in status; clearing restores at once', async () => {
    const before = median(await rtts());
    expect(before).toBeGreaterThanOrEqual(50);
    expect(before).toBeLessThan(55 + 20); // 50 ms ± timer granularity and a loaded machine
    const st = JSON.parse((await env.run(['status', LAB, '--json'])).stdout) as LabStatus;
    const link = st.links.find((l) => l.id === LINK);
    expect(link?.impair?.['a->b']?.text).toBe('delay=50ms');
    expect(link?.impair?.['b->a']).toBeUndefined();
    const cleared = await env.run(['impair', LINK, '--clear']);
    expect(cleared.stdout.trim()).toBe(`${LINK}: no impairment`);
    expect(median(await rtts())).toBeLessThan(20);
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

  it('holds TCP to the set rate', async () => {
    await env.run(['impair', LINK, '--dir', 'ab', 'rate=10mbit']);
    const server = await env.run(['exec', 'h2', '--', 'iperf3', '-s', '-1', '-D']);
    expect(server.code, server.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    const r = await env.run(['exec', 'h1', '--', 'iperf3', '-c', '192.0.2.2', '-t', '4', '-J']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    const mbit = report.end.sum_received.bits_per_second / 1e6;
    expect(mbit).toBeGreaterThan(9);
    expect(mbit).toBeLessThan(10.5);
    await env.run(['impair', LINK, '--clear']);
  });

  it('limits the rate and counts a full queue as limit', async () => {
    await env.run(['impair', LINK, '--dir', 'ab', 'rate=1mbit', 'limit=5']);
    const before = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    // 200 pings of 1400 bytes in a burst: 11 Mbit of traffic into a 1 Mbit/s link of 5 frames.
    await env.run([
      'exec',
      'h1',
      '--',
      'ping',
      '-c',
      '200',
      '-i',
      '0.002',
      '-s',
      '1400',
      '-W',
      '1',
      '192.0.2.2',
    ]);
    const after = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    const limit = portCounters(after, 'h1:eth0').rx.drops.limit;
    expect(limit - portCounters(before, 'h1:eth0').rx.drops.limit).toBeGreaterThan(10);
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
