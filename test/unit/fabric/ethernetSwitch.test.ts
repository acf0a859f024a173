import { afterEach, describe, expect, it } from 'vitest';
import { EthernetSwitch } from '../../../src/engine/fabric/index.js';
import { BROADCAST, RecordingPort, ethernetFrame } from './helpers.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const C = '02:00:00:00:00:0c';
const UNKNOWN = '02:00:00:00:00:99';
const MULTICAST = '33:33:00:00:00:01';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A switch with three recording ports and a hand-driven clock. */
function setup(agingMs = 300_000) {
  const clock = { now: 1_000_000 };
  const sw = new EthernetSwitch({ name: 'sw1', agingMs, clock: () => clock.now });
  const p1 = new RecordingPort('h1:eth0');
  const p2 = new RecordingPort('h2:eth0');
  const p3 = new RecordingPort('h3:eth0');
  for (const p of [p1, p2, p3]) sw.attach(p);
  cleanups.push(() => {
    sw.dispose();
    for (const p of [p1, p2, p3]) p.dispose();
  });
  return { clock, sw, p1, p2, p3 };
}

describe('EthernetSwitch', () => {
  it('floods broadcast, multicast and unknown unicast to every other port, never back', () => {
    const { p1, p2, p3 } = setup();
    const frames = [
      ethernetFrame(BROADCAST, A),
      ethernetFrame(MULTICAST, A),
      ethernetFrame(UNKNOWN, A),
    ];
    p1.inject(frames);
    expect(p1.delivered).toHaveLength(0);
    expect(p2.delivered).toEqual(frames);
    expect(p3.delivered).toEqual(frames);
    expect(p1.rx.frames).toBe(3);
    expect(p2.tx.frames).toBe(3);
    expect(p3.tx.frames).toBe(3);
  });

  it('learns source addresses and sends known unicast to exactly one port', () => {
    const { sw, p1, p2, p3 } = setup();
    p2.inject([ethernetFrame(BROADCAST, B)]); // learns B on p2
    const before3 = p3.tx.frames;
    p1.inject([ethernetFrame(B, A, 100)]);
    expect(p2.delivered.at(-1)?.length).toBe(114);
    expect(p2.tx.frames).toBe(1);
    expect(p2.tx.bytes).toBe(114);
    expect(p3.tx.frames).toBe(before3); // nothing leaked to the third port
    expect(p1.rx.frames).toBe(1);
    expect(p1.rx.bytes).toBe(114);
    expect(sw.macTable().map((e) => [e.mac, e.port])).toEqual(
      expect.arrayContaining([
        [B, 'h2:eth0'],
        [A, 'h1:eth0'],
      ]),
    );
  });

  it('does not learn a group (multicast) source address', () => {
    const { sw, p1 } = setup();
    p1.inject([ethernetFrame(BROADCAST, MULTICAST)]);
    expect(sw.macTable()).toEqual([]);
  });

  it('relearns an address that moved to another port', () => {
    const { p1, p2, p3 } = setup();
    p2.inject([ethernetFrame(BROADCAST, B)]);
    p3.inject([ethernetFrame(BROADCAST, B)]); // B moved to p3
    const p2Before = p2.tx.frames;
    p1.inject([ethernetFrame(B, A)]);
    expect(p3.delivered.at(-1)?.subarray(0, 6).toString('hex')).toBe(B.replaceAll(':', ''));
    expect(p2.tx.frames).toBe(p2Before);
  });

  it('drops a frame whose destination was learned on its ingress port (no-destination on rx)', () => {
    const { p1, p2, p3 } = setup();
    p1.inject([ethernetFrame(BROADCAST, C)]); // C lives behind p1
    const p2Before = p2.tx.frames;
    const p3Before = p3.tx.frames;
    p1.inject([ethernetFrame(C, A)]);
    expect(p1.rx.snapshot().drops['no-destination']).toBe(1);
    expect(p2.tx.frames).toBe(p2Before);
    expect(p3.tx.frames).toBe(p3Before);
  });

  it('floods again once a learned address has aged out', () => {
    const { clock, sw, p1, p2, p3 } = setup(10_000);
    p2.inject([ethernetFrame(BROADCAST, B)]);
    p1.inject([ethernetFrame(B, A)]);
    expect(p3.tx.frames).toBe(1); // only the broadcast
    clock.now += 9_000;
    p1.inject([ethernetFrame(B, A)]);
    expect(p3.tx.frames).toBe(1); // still known
    clock.now += 10_001; // B silent for 19 s > 10 s
    expect(sw.macTable().map((e) => e.mac)).not.toContain(B);
    p1.inject([ethernetFrame(B, A)]);
    expect(p3.tx.frames).toBe(2); // flooded
    expect(p2.tx.frames).toBe(3);
  });

  it('sweeps aged entries so the table does not grow without bound', () => {
    const { clock, sw, p1 } = setup(1_000);
    for (let i = 0; i < 50; i++) {
      const src = `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
      p1.inject([ethernetFrame(BROADCAST, src)]);
    }
    expect(sw.macTable()).toHaveLength(50);
    clock.now += 5_000;
    p1.inject([ethernetFrame(BROADCAST, A)]);
    expect(sw.macTable().map((e) => e.mac)).toEqual([A]);
  });

  it('sends one batch per destination port per input batch', () => {
    const { p1, p2, p3 } = setup();
    p2.inject([ethernetFrame(BROADCAST, B)]);
    p3.inject([ethernetFrame(BROADCAST, C)]);
    const b2 = p2.batches;
    const b3 = p3.batches;
    const batch = [];
    for (let i = 0; i < 10; i++) batch.push(ethernetFrame(i % 2 === 0 ? B : C, A));
    batch.push(ethernetFrame(BROADCAST, A));
    p1.inject(batch);
    expect(p2.batches - b2).toBe(1);
    expect(p3.batches - b3).toBe(1);
    expect(p2.tx.frames).toBe(1 + 5 + 1);
    expect(p3.tx.frames).toBe(1 + 5 + 1);
  });

  it('keeps frame order within a destination', () => {
    const { p1, p2 } = setup();
    p2.inject([ethernetFrame(BROADCAST, B)]);
    const batch = [1, 2, 3, 4].map((n) => ethernetFrame(B, A, 46, n));
    p1.inject(batch);
    expect(p2.delivered.slice(-4).map((f) => f[20])).toEqual([1, 2, 3, 4]);
  });

  it('counts a flood with no other port and a runt as no-destination', () => {
    const sw = new EthernetSwitch({ name: 'lonely' });
    const p = new RecordingPort('h1:eth0');
    sw.attach(p);
    cleanups.push(() => {
      sw.dispose();
      p.dispose();
    });
    p.inject([ethernetFrame(BROADCAST, A), Buffer.alloc(10)]);
    expect(p.rx.snapshot().drops['no-destination']).toBe(2);
  });

  it('stops switching a detached port and forgets its addresses', () => {
    const { sw, p1, p2, p3 } = setup();
    p2.inject([ethernetFrame(BROADCAST, B)]);
    sw.detach(p2);
    expect(p2.connected).toBe(false);
    expect(sw.macTable().map((e) => e.mac)).not.toContain(B);
    p1.inject([ethernetFrame(B, A)]);
    expect(p2.tx.frames).toBe(0);
    expect(p3.tx.frames).toBe(2); // the first broadcast and now the flooded unknown unicast
    expect(sw.ports.map((p) => p.id)).toEqual(['h1:eth0', 'h3:eth0']);
  });

  it('detaches a port when the port is disposed', () => {
    const { sw, p2 } = setup();
    p2.dispose();
    expect(sw.ports.map((p) => p.id)).toEqual(['h1:eth0', 'h3:eth0']);
  });

  it('refuses a port of another link type', () => {
    const { sw } = setup();
    const radio = new RecordingPort('r1:wpan0', { linkType: 'ieee802154' });
    cleanups.push(() => radio.dispose());
    expect(() => sw.attach(radio)).toThrow(/carries Ethernet frames/);
  });
});
