// The fabric's link impairments (issue 10) on a ManualScheduler: no real sleeps, exact times.
import { afterEach, describe, expect, it } from 'vitest';
import {
  EthernetSwitch,
  Fabric,
  ManualScheduler,
  MemoryPort,
  frameNote,
  TimerfdScheduler,
  type ImpairmentScheduler,
  type Port,
} from '../../../src/engine/fabric/index.js';
import { parseImpairment, type Impairment } from '../../../src/shared/impairment.js';
import { ethernetFrame } from './helpers.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

function spec(text: string): Impairment {
  const r = parseImpairment(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** A frame from A to B carrying its number `n` (bytes 14-17); `bytes` long in all. */
function numbered(n: number, bytes = 100, src = A, dst = B): Buffer {
  const frame = ethernetFrame(dst, src, bytes - 14);
  frame.writeUInt32BE(n, 14);
  return frame;
}

function numberOf(frame: Buffer): number {
  return frame.readUInt32BE(14);
}

interface Delivery {
  at: number;
  frame: Buffer;
}

/** A port whose device records every frame it takes, with the scheduler's time. */
class TimedPort extends MemoryPort {
  readonly got: Delivery[];
  readonly batches: (readonly Buffer[])[];

  constructor(id: string, sched: ManualScheduler) {
    const got: Delivery[] = [];
    const batches: (readonly Buffer[])[] = [];
    super({
      id,
      linkType: 'ethernet',
      onTransmit: (frames) => {
        batches.push(frames);
        for (const frame of frames) got.push({ at: sched.now(), frame });
      },
    });
    this.got = got;
    this.batches = batches;
  }

  numbers(): number[] {
    return this.got.map((d) => numberOf(d.frame));
  }
}

const ports: { dispose(): void }[] = [];
/** A port or timerfd scheduler of one test, disposed after it. */
function track<T extends { dispose(): void }>(owned: T): T {
  ports.push(owned);
  return owned;
}
afterEach(() => {
  for (const p of ports.splice(0)) p.dispose();
});

function setup(
  text: string,
  direction: 'rx' | 'tx' = 'tx',
): { sched: ManualScheduler; port: TimedPort } {
  const sched = new ManualScheduler();
  const port = track(new TimedPort('h1:eth0', sched));
  port.setImpairment(direction, spec(text), { scheduler: sched });
  return { sched, port };
}

/** Sends frames 0..count-1 one at a time, `spacingUs` apart, starting at the current time. */
function sendSpaced(sched: ManualScheduler, port: Port, count: number, spacingUs: number): number {
  const start = sched.now();
  for (let i = 0; i < count; i++) {
    sched.advanceTo(start + i * spacingUs);
    port.send([numbered(i)]);
  }
  return start;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function stddev(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

/** Binomial bounds: n*p within `sds` standard deviations. */
function expectBinomial(count: number, n: number, p: number, sds = 5): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(count).toBeGreaterThanOrEqual(n * p - sds * sd);
  expect(count).toBeLessThanOrEqual(n * p + sds * sd);
}

/** Which of frames 0..n-1 did not arrive. */
function missing(port: TimedPort, n: number): number[] {
  const seen = new Set(port.numbers());
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i)) out.push(i);
  return out;
}

describe('unimpaired and inert ports', () => {
  it('keep the fast path: the very same batch array reaches the device and the switch', () => {
    const sched = new ManualScheduler();
    const port = track(new TimedPort('h1:eth0', sched));
    expect(port.egress.stages).toHaveLength(0);
    expect(port.ingress.stages).toHaveLength(0);
    const batch = [numbered(1), numbered(2)];
    port.send(batch);
    expect(port.batches[0]).toBe(batch);
    let handed: readonly Buffer[] | undefined;
    port.connect((frames) => {
      handed = frames;
    });
    port.inject(batch);
    expect(handed).toBe(batch);
  });

  it('install no stage for a spec that does nothing, and still report it', () => {
    const { port } = setup('loss=0% duplicate=0% delay=0ms limit=10 seed=3');
    expect(port.egress.stages).toHaveLength(0);
    expect(port.impairment('tx')).toEqual({
      loss: 0,
      duplicate: 0,
      delayUs: 0,
      limit: 10,
      seed: 3,
    });
    expect(port.impairmentStatus('tx')).toEqual({
      spec: port.impairment('tx'),
      text: 'delay=0us loss=0% duplicate=0% limit=10 seed=3',
      active: false,
    });
    const batch = [numbered(1)];
    port.send(batch);
    expect(port.batches[0]).toBe(batch);
    port.setImpairment('tx', {});
    expect(port.impairment('tx')).toBeUndefined();
    expect(port.impairmentStatus('tx')).toBeUndefined();
  });
});

describe('delay and jitter', () => {
  it('delays every frame by exactly the delay', () => {
    const { sched, port } = setup('delay=20ms');
    port.send([numbered(0)]);
    sched.advanceTo(1000);
    port.send([numbered(1)]);
    sched.advanceTo(5000);
    port.send([numbered(2), numbered(3)]);
    sched.advanceTo(19_999);
    expect(port.got).toHaveLength(0);
    expect(port.impairmentStatus('tx')?.counters?.held).toBe(4);
    sched.runAll();
    expect(port.got.map((d) => [numberOf(d.frame), d.at])).toEqual([
      [0, 20_000],
      [1, 21_000],
      [2, 25_000],
      [3, 25_000],
    ]);
    // Frames due together leave as one batch.
    expect(port.batches.map((b) => b.length)).toEqual([1, 1, 2]);
    expect(port.tx.frames).toBe(4);
    expect(port.tx.drops).toBe(0);
  });

  function delays(text: string, n: number): { delays: number[]; order: number[] } {
    // 10 us apart for 20 ms: about 2000 held at once, beyond the default limit of 1000.
    const { sched, port } = setup(`${text} limit=20000`);
    const spacing = 10;
    sendSpaced(sched, port, n, spacing);
    sched.runAll();
    expect(port.got).toHaveLength(n);
    // Delays in sending order; `order` is the order of arrival.
    const byNumber = new Array<number>(n);
    for (const d of port.got) byNumber[numberOf(d.frame)] = d.at - numberOf(d.frame) * spacing;
    return { delays: byNumber, order: port.numbers() };
  }

  function overtakes(order: readonly number[]): number {
    let n = 0;
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) n++;
    return n;
  }

  it('spreads a uniform jitter over delay ± jitter, and lets frames overtake (no rate)', () => {
    const { delays: d, order } = delays('delay=20ms jitter=5ms seed=1', 10_000);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(15_000);
    expect(Math.max(...d)).toBeLessThan(25_000);
    expect(mean(d)).toBeGreaterThan(19_850);
    expect(mean(d)).toBeLessThan(20_150);
    // Uniform over ±5 ms: standard deviation 5/sqrt(3) ms; every decile is populated.
    expect(stddev(d)).toBeGreaterThan(2_750);
    expect(stddev(d)).toBeLessThan(3_020);
    for (let k = 0; k < 10; k++) {
      const lo = 15_000 + k * 1000;
      const inDecile = d.filter((x) => x >= lo && x < lo + 1000).length;
      expectBinomial(inDecile, d.length, 0.1);
    }
    expect(overtakes(order)).toBeGreaterThan(100);
  });

  it('shapes a normal jitter: mean delay, sigma jitter, cut at 4 sigma', () => {
    const { delays: d } = delays('delay=20ms jitter=5ms distribution=normal seed=2', 10_000);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...d)).toBeLessThanOrEqual(40_000);
    expect(mean(d)).toBeGreaterThan(19_800);
    expect(mean(d)).toBeLessThan(20_200);
    expect(stddev(d)).toBeGreaterThan(4_750);
    expect(stddev(d)).toBeLessThan(5_250);
    // About 68% within one sigma.
    expectBinomial(d.filter((x) => Math.abs(x - 20_000) < 5_000).length, d.length, 0.6827);
  });

  it('shapes a pareto jitter: from delay - 2/3 jitter, with a long tail', () => {
    const { delays: d } = delays('delay=20ms jitter=5ms distribution=pareto seed=3', 10_000);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(20_000 - (2 / 3) * 5_000 - 1);
    expect(Math.max(...d)).toBeLessThanOrEqual(20_000 + 4 * 5_000);
    expect(mean(d)).toBeGreaterThan(19_500);
    expect(mean(d)).toBeLessThan(20_500);
    // Skewed: most frames below the mean, a few far above it.
    expect(d.filter((x) => x < 20_000).length).toBeGreaterThan(d.length / 2);
    expect(d.filter((x) => x > 30_000).length).toBeGreaterThan(10);
  });

  it('correlates successive jitter values as netem does', () => {
    const lag1 = (text: string): number => {
      const { delays: d } = delays(text, 5_000);
      const m = mean(d);
      let num = 0;
      let den = 0;
      for (let i = 0; i < d.length; i++) {
        den += (d[i]! - m) ** 2;
        if (i > 0) num += (d[i]! - m) * (d[i - 1]! - m);
      }
      return num / den;
    };
    expect(Math.abs(lag1('delay=20ms jitter=5ms seed=4'))).toBeLessThan(0.1);
    expect(lag1('delay=20ms jitter=5ms correlation=75% seed=4')).toBeGreaterThan(0.5);
  });

  it('never reorders when a rate is set, whatever the jitter', () => {
    const { order } = delays('delay=20ms jitter=5ms rate=100mbit seed=5', 5_000);
    expect(overtakes(order)).toBe(0);
  });
});

describe('loss', () => {
  function lossRun(text: string, n: number, batch: number): { port: TimedPort; dropped: number[] } {
    const { port } = setup(text);
    for (let i = 0; i < n; i += batch) {
      const frames: Buffer[] = [];
      for (let j = i; j < Math.min(n, i + batch); j++) frames.push(numbered(j));
      port.send(frames);
    }
    return { port, dropped: missing(port, n) };
  }

  it('drops 10% of 20,000 frames within binomial bounds, counted as loss only', () => {
    const { port, dropped } = lossRun('loss=10% seed=42', 20_000, 100);
    expectBinomial(dropped.length, 20_000, 0.1);
    const drops = port.tx.snapshot().drops;
    expect(drops.loss).toBe(dropped.length);
    expect(port.tx.drops).toBe(dropped.length);
    expect(port.tx.frames).toBe(20_000 - dropped.length);
  });

  it('drops the same frame numbers for the same seed, however the frames are batched', () => {
    const a = lossRun('loss=10% seed=42', 20_000, 100).dropped;
    const b = lossRun('loss=10% seed=42', 20_000, 1).dropped;
    const c = lossRun('loss=10% seed=42', 20_000, 20_000).dropped;
    const other = lossRun('loss=10% seed=43', 20_000, 100).dropped;
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(other).not.toEqual(a);
  });

  it('keeps loss decisions independent of timing and of the other impairments', () => {
    // All at once: the limit drops most frames. Spaced out: nothing overflows.
    const crowded = setup('loss=10% delay=1ms limit=5 seed=9');
    crowded.port.send(Array.from({ length: 2_000 }, (_, i) => numbered(i)));
    crowded.sched.runAll();
    const relaxed = setup('loss=10% delay=1ms limit=5 corrupt=50% seed=9');
    sendSpaced(relaxed.sched, relaxed.port, 2_000, 1_000);
    relaxed.sched.runAll();
    expect(crowded.port.tx.limit).toBeGreaterThan(1_000);
    expect(relaxed.port.tx.limit).toBe(0);
    expect(crowded.port.tx.loss).toBe(relaxed.port.tx.loss);
    expect(crowded.port.tx.loss + crowded.port.tx.limit + crowded.port.tx.frames).toBe(2_000);
  });

  it('loses in bursts with Gilbert-Elliott: mean burst 1/r, loss rate p/(p+r)', () => {
    const n = 200_000;
    const bursts = (dropped: readonly number[]): number[] => {
      const lengths: number[] = [];
      let run = 0;
      for (let i = 0; i < dropped.length; i++) {
        run++;
        if (dropped[i + 1] !== dropped[i]! + 1) {
          lengths.push(run);
          run = 0;
        }
      }
      return lengths;
    };
    const ge = lossRun('loss=gemodel:1%,25% seed=7', n, 1000).dropped;
    // p/(p+r) = 1/26.
    expect(ge.length / n).toBeGreaterThan(0.0385 * 0.9);
    expect(ge.length / n).toBeLessThan(0.0385 * 1.1);
    const geBurst = mean(bursts(ge));
    expect(geBurst).toBeGreaterThan(3.7);
    expect(geBurst).toBeLessThan(4.3);
    // Random loss at the same rate: bursts of about one frame.
    const random = lossRun('loss=3.85% seed=7', n, 1000).dropped;
    expect(mean(bursts(random))).toBeLessThan(1.1);
  });

  it('loses in the good state with 1-k and spares frames in the bad state with h', () => {
    // Never leaves the good state: loss is 1-k.
    const good = lossRun('loss=gemodel:0%,100%,100%,5% seed=1', 20_000, 500).dropped;
    expectBinomial(good.length, 20_000, 0.05);
    // Always bad after the first frame: loss is 1-h.
    const bad = lossRun('loss=gemodel:100%,0%,50%,0% seed=1', 20_000, 500).dropped;
    expectBinomial(bad.length, 20_000, 0.5);
  });
});

describe('rate, queue and limit', () => {
  it('sends frames at the configured bit rate, back to back', () => {
    // 125-byte frames at 1 mbit/s: one per millisecond.
    const { sched, port } = setup('rate=1mbit');
    port.send(Array.from({ length: 10 }, (_, i) => numbered(i, 125)));
    sched.runAll();
    expect(port.got.map((d) => d.at)).toEqual([
      1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000,
    ]);
    expect(port.numbers()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('moves rate * time bits through a backlog', () => {
    const { sched, port } = setup('rate=8mbit');
    // 1000-byte frames at 8 mbit/s: one per millisecond.
    port.send(Array.from({ length: 900 }, (_, i) => numbered(i, 1000)));
    sched.advanceTo(500_000);
    const bits = port.got.reduce((sum, d) => sum + d.frame.length * 8, 0);
    expect(bits).toBe(8_000_000 * 0.5);
    sched.runAll();
    expect(port.got).toHaveLength(900);
    expect(port.got.at(-1)?.at).toBe(900_000);
  });

  it('adds the delay before the rate as netem: max(previous, now + delay) + size / rate', () => {
    const { sched, port } = setup('delay=10ms rate=1mbit');
    port.send([numbered(0, 125), numbered(1, 125)]);
    sched.advanceTo(20_000);
    port.send([numbered(2, 125)]);
    sched.runAll();
    expect(port.got.map((d) => d.at)).toEqual([11_000, 12_000, 31_000]);
  });

  it('tail-drops frames beyond the rate queue in frames as rate-queue', () => {
    const { sched, port } = setup('rate=1mbit queue=5');
    port.send(Array.from({ length: 10 }, (_, i) => numbered(i, 125)));
    sched.runAll();
    // One frame in transmission, five waiting.
    expect(port.numbers()).toEqual([0, 1, 2, 3, 4, 5]);
    const drops = port.tx.snapshot().drops;
    expect(drops['rate-queue']).toBe(4);
    expect(port.tx.drops).toBe(4);
    // Drained, the queue takes frames again.
    port.send(Array.from({ length: 3 }, (_, i) => numbered(10 + i, 125)));
    sched.runAll();
    expect(port.got).toHaveLength(9);
  });

  it('tail-drops frames beyond the rate queue in bytes as rate-queue', () => {
    const { sched, port } = setup('rate=1mbit queue=500b');
    port.send(Array.from({ length: 10 }, (_, i) => numbered(i, 125)));
    // Frame 0 in transmission and 1-4 waiting (500 bytes): 5-9 do not fit.
    expect(port.tx.rateQueue).toBe(5);
    sched.advanceTo(2_500);
    // At 2.5 ms frame 2 is in transmission and 3-4 wait: room for two more 125-byte frames.
    port.send([numbered(10, 125), numbered(11, 125), numbered(12, 125)]);
    sched.runAll();
    expect(port.numbers()).toEqual([0, 1, 2, 3, 4, 10, 11]);
    expect(port.tx.rateQueue).toBe(6);
    expect(port.tx.drops).toBe(6);
  });

  it('counts frames beyond the limit as limit', () => {
    const { sched, port } = setup('delay=10ms limit=100');
    port.send(Array.from({ length: 150 }, (_, i) => numbered(i)));
    expect(port.impairmentStatus('tx')?.counters?.held).toBe(100);
    sched.runAll();
    expect(port.got).toHaveLength(100);
    expect(port.tx.limit).toBe(50);
    expect(port.tx.drops).toBe(50);
    expect(port.numbers()).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("holds at most netem's default 1000 frames", () => {
    const { sched, port } = setup('delay=10ms');
    port.send(Array.from({ length: 1200 }, (_, i) => numbered(i)));
    sched.runAll();
    expect(port.got).toHaveLength(1000);
    expect(port.tx.limit).toBe(200);
  });
});

describe('duplicate, corrupt and reorder', () => {
  it('duplicates about the given share, as distinct frame objects with the same bytes', () => {
    const { port } = setup('duplicate=10% seed=11');
    const n = 20_000;
    for (let i = 0; i < n; i += 50) {
      port.send(Array.from({ length: 50 }, (_, j) => numbered(i + j)));
    }
    const duplicated = port.extraCount('duplicated');
    expectBinomial(duplicated, n, 0.1);
    expect(port.got).toHaveLength(n + duplicated);
    expect(port.tx.frames).toBe(n + duplicated);
    expect(port.impairmentStatus('tx')?.counters?.duplicated).toBe(duplicated);
    const copies = port.got.filter((d) => frameNote(d.frame)?.includes('duplicate'));
    expect(copies).toHaveLength(duplicated);
    const first = copies[0]!.frame;
    const original = port.got.find((d) => d.frame !== first && d.frame.equals(first));
    expect(original).toBeDefined();
    expect(frameNote(first)).toBe('netweave impairment on h1:eth0 tx: duplicate');
  });

  it('corrupts about the given share by flipping exactly one bit of a copy', () => {
    const { port } = setup('corrupt=10% seed=12');
    const n = 20_000;
    const sent = Array.from({ length: n }, (_, i) => numbered(i));
    const pristine = sent.map((f) => Buffer.from(f));
    for (let i = 0; i < n; i += 100) port.send(sent.slice(i, i + 100));
    expect(port.got).toHaveLength(n);
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      const got = port.got[i]!.frame;
      // The borrowed frame was never written.
      expect(sent[i]!.equals(pristine[i]!)).toBe(true);
      let bits = 0;
      for (let b = 0; b < got.length; b++) {
        let x = got[b]! ^ pristine[i]![b]!;
        for (; x !== 0; x &= x - 1) bits++;
      }
      expect(bits).toBeLessThanOrEqual(1);
      if (bits === 1) {
        flipped++;
        expect(got).not.toBe(sent[i]);
        expect(frameNote(got)).toMatch(
          /^netweave impairment on h1:eth0 tx: corrupted, bit \d of byte \d+ flipped$/,
        );
      }
    }
    expect(flipped).toBe(port.extraCount('corrupted'));
    expectBinomial(flipped, n, 0.1);
    expect(port.tx.drops).toBe(0);
  });

  it('sends the reordered share at once and delays the rest', () => {
    const { sched, port } = setup('delay=10ms reorder=25% seed=13');
    const n = 4_000;
    sendSpaced(sched, port, n, 100);
    sched.runAll();
    expect(port.got).toHaveLength(n);
    const immediate = port.got.filter((d) => d.at === numberOf(d.frame) * 100);
    const delayed = port.got.filter((d) => d.at === numberOf(d.frame) * 100 + 10_000);
    expect(immediate.length + delayed.length).toBe(n);
    expectBinomial(immediate.length, n, 0.25);
    expect(port.extraCount('reordered')).toBe(immediate.length);
  });

  it('reorders at most every gap-th frame', () => {
    const { sched, port } = setup('delay=10ms reorder=50% gap=5 seed=14');
    sendSpaced(sched, port, 2_000, 100);
    sched.runAll();
    const reordered = port.got
      .filter((d) => d.at === numberOf(d.frame) * 100)
      .map((d) => numberOf(d.frame));
    expect(reordered.length).toBeGreaterThan(100);
    for (let i = 1; i < reordered.length; i++) {
      expect(reordered[i]! - reordered[i - 1]!).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('changing and clearing live', () => {
  it('clearing delivers the held frames at once, in order, and removes the stage', () => {
    const { sched, port } = setup('delay=50ms');
    sendSpaced(sched, port, 5, 1000);
    sched.advanceTo(10_000);
    expect(port.got).toHaveLength(0);
    port.setImpairment('tx', undefined);
    expect(port.got.map((d) => [numberOf(d.frame), d.at])).toEqual([
      [0, 10_000],
      [1, 10_000],
      [2, 10_000],
      [3, 10_000],
      [4, 10_000],
    ]);
    expect(port.egress.stages).toHaveLength(0);
    expect(sched.pending).toBe(0);
    const batch = [numbered(5)];
    port.send(batch);
    expect(port.batches.at(-1)).toBe(batch);
    expect(port.tx.frames).toBe(6);
    expect(port.tx.drops).toBe(0);
  });

  it('changing keeps held frames at their times (as tc qdisc change) and reports the spec', () => {
    const { sched, port } = setup('delay=50ms seed=5');
    port.send([numbered(0)]);
    const stage = port.egress.stages[0];
    sched.advanceTo(1_000);
    port.setImpairment('tx', spec('delay=10ms'));
    expect(port.egress.stages).toEqual([stage]);
    sched.advanceTo(2_000);
    port.send([numbered(1)]);
    sched.runAll();
    expect(port.got.map((d) => [numberOf(d.frame), d.at])).toEqual([
      [1, 12_000],
      [0, 50_000],
    ]);
    expect(port.impairmentStatus('tx')).toEqual({
      spec: { delayUs: 10_000 },
      text: 'delay=10ms',
      active: true,
      // The seed continues: the change carried none.
      seed: 5,
      counters: { held: 0, duplicated: 0, corrupted: 0, reordered: 0 },
    });
  });

  it('changing to an inert spec flushes like clearing', () => {
    const { sched, port } = setup('delay=50ms');
    port.send([numbered(0)]);
    port.setImpairment('tx', spec('loss=0%'));
    expect(port.got).toHaveLength(1);
    expect(port.egress.stages).toHaveLength(0);
    expect(port.impairmentStatus('tx')?.active).toBe(false);
    expect(sched.pending).toBe(0);
  });

  it('keeps the spec as set, whatever the caller does with its object', () => {
    const { port } = setup('loss=1%');
    const mine: Impairment = { loss: { p: 1, r: 25, oneMinusH: 100, oneMinusK: 0 } };
    port.setImpairment('tx', mine);
    (mine.loss as { p: number }).p = 50;
    expect(port.impairment('tx')).toEqual({
      loss: { p: 1, r: 25, oneMinusH: 100, oneMinusK: 0 },
    });
  });

  it('refuses an invalid spec in one sentence naming the port, and keeps the old one', () => {
    const { port } = setup('delay=5ms');
    expect(() => port.setImpairment('tx', { loss: 200 })).toThrow(
      /^port h1:eth0: loss must be a percentage from 0 to 100/,
    );
    expect(port.impairment('tx')).toEqual({ delayUs: 5000 });
  });

  it('counts frames released after the port went down as port-down, not as an impairment drop', () => {
    const { sched, port } = setup('delay=10ms');
    port.send([numbered(0), numbered(1)]);
    port.setUp(false);
    sched.runAll();
    expect(port.tx.portDown).toBe(2);
    expect(port.tx.loss + port.tx.limit + port.tx.rateQueue).toBe(0);
  });

  it('stops its timer and forgets held frames when the port is disposed', () => {
    const { sched, port } = setup('delay=10ms');
    port.send([numbered(0)]);
    expect(sched.pending).toBe(1);
    port.dispose();
    expect(sched.pending).toBe(0);
    sched.runAll();
    expect(port.got).toHaveLength(0);
  });
});

describe('both directions', () => {
  function lan(sched: ManualScheduler): { h1: TimedPort; h2: TimedPort; sw: EthernetSwitch } {
    const sw = new EthernetSwitch({ name: 'sw', clock: () => sched.now() / 1000 });
    const h1 = track(new TimedPort('h1:eth0', sched));
    const h2 = track(new TimedPort('h2:eth0', sched));
    sw.attach(h1);
    sw.attach(h2);
    return { h1, h2, sw };
  }

  it('impairs what a host sends before it enters the switch (rx), counting drops on rx', () => {
    const sched = new ManualScheduler();
    const { h1, h2, sw } = lan(sched);
    h1.setImpairment('rx', spec('delay=5ms loss=50% seed=21'), { scheduler: sched });
    h1.inject(Array.from({ length: 1000 }, (_, i) => numbered(i, 100, A, B)));
    // Counted as received at once; nothing reached the switch yet.
    expect(h1.rx.frames).toBe(1000);
    expect(h2.got).toHaveLength(0);
    sched.runAll();
    expectBinomial(h1.rx.loss, 1000, 0.5);
    expect(h2.got).toHaveLength(1000 - h1.rx.loss);
    expect(h2.got.every((d) => d.at === 5_000)).toBe(true);
    expect(h1.rx.drops).toBe(h1.rx.loss);
    expect(h2.tx.drops).toBe(0);
    // The other direction is not impaired.
    h2.inject([numbered(7, 100, B, A)]);
    expect(h1.got.map((d) => numberOf(d.frame))).toEqual([7]);
    sw.dispose();
  });

  it('impairs each direction of a point-to-point link on its own', () => {
    const sched = new ManualScheduler();
    const fabric = new Fabric({ scheduler: sched });
    const a = fabric.addPort(new TimedPort('a:eth0', sched));
    const b = fabric.addPort(new TimedPort('b:eth0', sched));
    fabric.connect(a, b);
    // "a->b" is a's rx, "b->a" a's tx.
    fabric.impair('a:eth0', 'rx', spec('delay=10ms'));
    fabric.impair('a:eth0', 'tx', spec('delay=20ms'));
    a.inject([numbered(1)]);
    b.inject([numbered(2)]);
    sched.runAll();
    expect(b.got.map((d) => [numberOf(d.frame), d.at])).toEqual([[1, 10_000]]);
    expect(a.got.map((d) => [numberOf(d.frame), d.at])).toEqual([[2, 20_000]]);
    expect(fabric.impairments().map((i) => [i.port, i.direction, i.status.text])).toEqual([
      ['a:eth0', 'rx', 'delay=10ms'],
      ['a:eth0', 'tx', 'delay=20ms'],
    ]);
    expect(() => fabric.impair('c:eth0', 'tx', spec('delay=1ms'))).toThrow(
      'the fabric has no port c:eth0',
    );
    fabric.impair('a:eth0', 'rx', undefined);
    expect(fabric.impairments()).toHaveLength(1);
    fabric.dispose();
    expect(sched.pending).toBe(0);
  });
});

describe('schedulers', () => {
  it('never sends a frame early when the timer fires before its time', () => {
    const sched = new ManualScheduler();
    // A timer that fires up to 700 us early, as a coarse real timer may.
    const early: ImpairmentScheduler = {
      now: () => sched.now(),
      schedule: (callback, delayUs) =>
        sched.schedule(callback, Math.max(delayUs - 700, Math.min(delayUs, 100))),
    };
    const port = track(new TimedPort('h1:eth0', sched));
    port.setImpairment('tx', spec('delay=2ms rate=1mbit'), { scheduler: early });
    port.send([numbered(0, 125), numbered(1, 125)]);
    sched.runAll();
    expect(port.got.map((d) => d.at)).toEqual([3_000, 4_000]);
  });

  it('keeps firing the engine scheduler’s timers after one of them threw', async () => {
    const sched = track(new TimerfdScheduler());
    const fired: string[] = [];
    const thrown: unknown[] = [];
    const onUncaught = (err: unknown): void => {
      thrown.push(err);
    };
    // The throw reaches the process as an uncaught exception, as from any timer callback.
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      sched.schedule(() => {
        fired.push('first');
        throw new Error('boom');
      }, 100);
      sched.schedule(() => fired.push('second'), 2_000);
      const until = Date.now() + 20_000;
      while (fired.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
    expect(fired).toEqual(['first', 'second']);
    expect(thrown).toHaveLength(1);
    expect(sched.pending).toBe(0);
  });

  it('runs the engine scheduler on a timerfd: due order, never early, cancel, idle when done', async () => {
    const sched = track(new TimerfdScheduler());
    const dues = new Map<string, number>();
    const fired: { name: string; late: number }[] = [];
    const at = (name: string, delayUs: number): (() => void) => {
      const due = sched.now() + delayUs;
      dues.set(name, due);
      return sched.schedule(() => fired.push({ name, late: sched.now() - due }), delayUs);
    };
    at('3ms', 3_000);
    at('1.5ms', 1_500);
    at('0.2us', 0.2);
    const cancel = at('cancelled', 500);
    cancel();
    // A timer scheduled from a running timer's callback runs too.
    sched.schedule(() => at('chained', 200), 2_000);
    const until = Date.now() + 20_000;
    while (fired.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    dues.delete('cancelled');
    const byDue = [...dues].sort((a, b) => a[1] - b[1]).map(([name]) => name);
    const report = JSON.stringify({ fired, dues: [...dues] });
    expect(
      fired.map((f) => f.name),
      report,
    ).toEqual(byDue);
    for (const f of fired) expect(f.late, `${f.name}: ${report}`).toBeGreaterThanOrEqual(0);
    expect(sched.pending).toBe(0);
  });
});
