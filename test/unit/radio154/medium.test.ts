// The radio-154 medium with MemoryPorts as the members' radios: who hears which frame under
// each delivery model, the seeded randomness, and the per-member counters.
import { describe, expect, it } from 'vitest';
import { ManualScheduler, MemoryPort } from '../../../src/engine/fabric/index.js';
import { RADIO_LOST, RadioMedium } from '../../../src/kinds/nodes/radio-154/engine/medium.js';
import {
  deliveryProbability,
  mulberry32,
  resolvePositions,
  type Position,
} from '../../../src/kinds/nodes/radio-154/engine/model.js';
import { parseImpairment, type Impairment } from '../../../src/shared/impairment.js';
import { radio154Schema } from '../../../src/kinds/nodes/radio-154/definition.js';

/** A member radio: a MemoryPort that records what it hears. */
class Radio extends MemoryPort {
  readonly heard: Buffer[] = [];
  constructor(node: string) {
    const heard: Buffer[] = [];
    super({
      id: `${node}:serial1`,
      linkType: 'ieee802154',
      onTransmit: (frames) => {
        heard.push(...frames);
      },
    });
    this.heard = heard;
  }
}

/** A medium of radios z1..zN under the settings `spec` (without kind). */
function medium(
  spec: Record<string, unknown>,
  n = 3,
  positions?: Map<string, Position>,
  seed = 42,
  scheduler?: ManualScheduler,
): { air: RadioMedium; radios: Radio[]; monitor: MemoryPort } {
  const parsed = radio154Schema.parse({ kind: 'radio-154', ...spec });
  const monitor = new MemoryPort({ id: 'air:monitor', linkType: 'ieee802154' });
  monitor.connect(() => undefined);
  const air = new RadioMedium({
    name: 'air',
    probability: deliveryProbability(parsed, positions),
    random: mulberry32(seed),
    monitor,
    seed,
    ...(scheduler ? { scheduler } : {}),
  });
  const radios = Array.from({ length: n }, (_, i) => new Radio(`z${i + 1}`));
  for (const r of radios) air.attach(r);
  return { air, radios, monitor };
}

/** An impairment from netem's words (valid in the tests). */
function imp(text: string): Impairment {
  const parsed = parseImpairment(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** `count` distinct frames. */
function frames(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from([0x41, 0x88, i & 0xff, i >> 8]));
}

function send(radio: Radio, batch: readonly Buffer[], perBatch = 16): void {
  for (let i = 0; i < batch.length; i += perBatch) radio.inject(batch.slice(i, i + perBatch));
}

describe('radio-154 medium', () => {
  it('delivery all: every other member hears every frame, the sender does not', () => {
    const { radios, monitor } = medium({});
    const [z1, z2, z3] = radios as [Radio, Radio, Radio];
    const batch = frames(10);
    send(z1, batch);
    expect(z2.heard).toEqual(batch);
    expect(z3.heard).toEqual(batch);
    expect(z1.heard).toEqual([]);
    expect(z1.rx.frames).toBe(10);
    expect(z2.tx.frames).toBe(10);
    expect(z2.extraCount(RADIO_LOST)).toBe(0);
    // The monitor hears each frame on the air once.
    expect(monitor.rx.frames).toBe(10);
  });

  it('matrix: probability 1 delivers every frame, 0 and unlisted pairs none, counted as lost', () => {
    const { radios } = medium({
      delivery: 'matrix',
      matrix: { z1: { z2: 1, z3: 0 }, z2: { z1: 1 } },
    });
    const [z1, z2, z3] = radios as [Radio, Radio, Radio];
    send(z1, frames(1000));
    send(z2, frames(300));
    expect(z2.heard.length).toBe(1000);
    expect(z3.heard.length).toBe(0);
    expect(z3.extraCount(RADIO_LOST)).toBe(1000 + 300); // z2 -> z3 is not listed: 0
    expect(z1.heard.length).toBe(300);
    expect(z1.extraCount(RADIO_LOST)).toBe(0);
    expect(z2.extraCount(RADIO_LOST)).toBe(0);
  });

  it('matrix: a probability between 0 and 1 delivers that share of frames (seeded, within 5 sigma)', () => {
    const n = 20000;
    for (const p of [0.1, 0.5, 0.9]) {
      const { radios } = medium({ delivery: 'matrix', matrix: { z1: { z2: p, z3: 1 - p } } });
      const [z1, z2, z3] = radios as [Radio, Radio, Radio];
      send(z1, frames(n));
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(z2.heard.length - n * p)).toBeLessThan(5 * sigma);
      expect(Math.abs(z3.heard.length - n * (1 - p))).toBeLessThan(5 * sigma);
      // Every frame is either heard or lost at each receiver.
      expect(z2.heard.length + z2.extraCount(RADIO_LOST)).toBe(n);
      expect(z3.heard.length + z3.extraCount(RADIO_LOST)).toBe(n);
      expect(z2.tx.frames).toBe(z2.heard.length);
    }
  });

  it('an impairment cuts one sender -> receiver pair, or every pair, on top of the model; clear lifts it', () => {
    const { air, radios } = medium({});
    const [z1, z2, z3] = radios as [Radio, Radio, Radio];
    air.setImpairment({ from: 'z1', to: 'z2' }, imp('loss=100%'));
    expect(air.describeImpairments()).toEqual(['z1->z2 loss=100%']);
    send(z1, frames(100));
    send(z2, frames(50));
    expect(z2.heard.length).toBe(0); // z1 -> z2 cut, counted where it was lost, as loss
    expect(z2.snapshot().tx.drops.loss).toBe(100);
    expect(z3.heard.length).toBe(150); // z1 -> z3 and z2 -> z3 untouched
    expect(z1.heard.length).toBe(50); // the other direction too
    // Half of every pair, seeded: within 5 sigma of half.
    air.setImpairment({ from: 'z1', to: 'z2' }, undefined);
    air.setImpairment(undefined, imp('loss=50% seed=7'));
    send(z1, frames(4000));
    const sigma = Math.sqrt(4000 * 0.25);
    expect(Math.abs(z2.heard.length - 2000)).toBeLessThan(5 * sigma);
    expect(z2.heard.length + z2.snapshot().tx.drops.loss).toBe(100 + 4000);
    // clear without a pair lifts everything: every frame is heard again.
    air.setImpairment(undefined, undefined);
    expect(air.describeImpairments()).toEqual([]);
    const before = z2.heard.length;
    send(z1, frames(10));
    expect(z2.heard.length - before).toBe(10);
  });

  it('delays one pair only, as netem on that pair would; the others hear at once', () => {
    const sched = new ManualScheduler();
    const { air, radios } = medium({}, 3, undefined, 42, sched);
    const [z1, z2, z3] = radios as [Radio, Radio, Radio];
    air.setImpairment({ from: 'z1', to: 'z2' }, imp('delay=20ms rate=250kbit'));
    send(z1, frames(3));
    expect(z3.heard.length).toBe(3);
    expect(z2.heard.length).toBe(0);
    sched.advance(19_999);
    expect(z2.heard.length).toBe(0);
    // 250 kbit/s: a 4-byte frame takes 128 us; the first leaves at 20 ms + 128 us.
    sched.advance(129);
    expect(z2.heard.length).toBe(1);
    sched.runAll();
    expect(z2.heard).toEqual(frames(3));
    // A member that leaves takes its pair stages with it: nothing is sent to it afterwards.
    const z2Off = new Radio('z2');
    const { air: air2, radios: r2 } = medium({}, 1, undefined, 42, sched);
    const leaving = air2.attach(z2Off);
    air2.setImpairment({ from: 'z1', to: 'z2' }, imp('delay=20ms'));
    send(r2[0] as Radio, frames(2));
    void leaving.dispose();
    sched.runAll();
    expect(z2Off.heard.length).toBe(0);
    // Lifting it drops what it still holds, as deleting a netem qdisc does.
    send(z1, frames(2));
    air.setImpairment({ from: 'z1', to: 'z2' }, undefined);
    sched.runAll();
    expect(z2.heard.length).toBe(3);
    expect(sched.pending).toBe(0);
  });

  it('the same seed repeats the same decisions; another seed does not', () => {
    const run = (seed: number): string => {
      const { radios } = medium(
        { delivery: 'matrix', matrix: { z1: { z2: 0.5 } } },
        2,
        undefined,
        seed,
      );
      send(radios[0] as Radio, frames(200));
      return (radios[1] as Radio).heard.map((f) => f.readUInt16BE(2)).join(',');
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });

  it("the medium's seed also repeats a pair impairment that has no seed of its own", () => {
    const run = (seed: number): string => {
      const { air, radios } = medium({}, 2, undefined, seed);
      air.setImpairment({ from: 'z1', to: 'z2' }, imp('loss=50%'));
      send(radios[0] as Radio, frames(200));
      return (radios[1] as Radio).heard.map((f) => f.readUInt16BE(2)).join(',');
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });

  it('range: members within range hear each other, farther ones do not (the range itself is in)', () => {
    const positions = new Map<string, Position>([
      ['z1', [0, 0]],
      ['z2', [90, 120]], // 150 from z1: exactly the range
      ['z3', [400, 0]],
    ]);
    const { radios } = medium({ delivery: 'range', range: 150 }, 3, positions);
    const [z1, z2, z3] = radios as [Radio, Radio, Radio];
    send(z1, frames(5));
    send(z3, frames(7));
    expect(z2.heard.length).toBe(5);
    expect(z3.heard.length).toBe(0);
    expect(z3.extraCount(RADIO_LOST)).toBe(5);
    expect(z1.heard.length).toBe(0);
    expect(z1.extraCount(RADIO_LOST)).toBe(7);
    expect(z2.extraCount(RADIO_LOST)).toBe(7);
  });

  it('a receiver whose port is down counts port-down, not lost', () => {
    const { radios } = medium({});
    const [z1, z2] = radios as [Radio, Radio, Radio];
    z2.setUp(false);
    send(z1, frames(4));
    expect(z2.heard.length).toBe(0);
    expect(z2.tx.portDown).toBe(4);
    expect(z2.extraCount(RADIO_LOST)).toBe(0);
  });

  it('a member taken off the air (link disposed) neither hears nor is heard', async () => {
    const { air, radios } = medium({}, 2);
    const [z1] = radios as [Radio, Radio];
    const z3 = new Radio('z3');
    const membership = air.attach(z3);
    expect(air.members).toEqual(['z1', 'z2', 'z3']);
    await membership.dispose();
    expect(air.members).toEqual(['z1', 'z2']);
    send(z1, frames(3));
    expect(z3.heard.length).toBe(0);
    z3.inject(frames(1));
    expect(z3.rx.noDestination).toBe(1);
  });

  it('refuses a port that carries other frames, and a node that is a member already', () => {
    const { air } = medium({}, 1);
    expect(() => air.attach(new MemoryPort({ id: 'h1:eth0', linkType: 'ethernet' }))).toThrow(
      /carries 802.15.4 frames; port h1:eth0 carries ethernet/,
    );
    const again = new MemoryPort({ id: 'z1:serial2', linkType: 'ieee802154' });
    expect(() => air.attach(again)).toThrow(/node z1 is already a member of radio air/);
  });
});

describe('radio-154 positions', () => {
  const spec = radio154Schema.parse({
    kind: 'radio-154',
    delivery: 'range',
    range: 100,
    positions: { z1: [5, 6] },
  });
  const layout = { version: 1 as const, nodes: { z1: { x: 0, y: 0 }, z2: { x: 10, y: 20 } } };

  it('takes positions written under the node first, then the canvas layout', () => {
    const got = resolvePositions('air', spec, ['z1', 'z2'], layout);
    expect(got).toEqual(
      new Map([
        ['z1', [5, 6]],
        ['z2', [10, 20]],
      ]),
    );
  });

  it('names the members without a position in one sentence', () => {
    expect(resolvePositions('air', spec, ['z1', 'z2', 'z3'], layout)).toBe(
      'radio-154 "air" uses delivery: range but member z3 has no position; place it on the canvas or add positions: {z3: [x, y]} under nodes.air',
    );
    expect(resolvePositions('air', spec, ['z1', 'z3', 'z4'], undefined)).toMatch(
      /members z3, z4 have no position; place them on the canvas/,
    );
  });
});

describe('mulberry32', () => {
  it('gives numbers in [0, 1) with a mean near 0.5', () => {
    const r = mulberry32(1);
    const xs = Array.from({ length: 10000 }, () => r());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.02);
  });
});
