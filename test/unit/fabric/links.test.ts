import { afterEach, describe, expect, it } from 'vitest';
import {
  createPatchPair,
  EthernetSwitch,
  PointToPointLink,
} from '../../../src/engine/fabric/index.js';
import type { Disposable } from '../../../src/shared/lifecycle.js';
import { BROADCAST, RecordingPort, ethernetFrame } from './helpers.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

const owned: Disposable[] = [];
function own<T extends Disposable>(d: T): T {
  owned.push(d);
  return d;
}
afterEach(async () => {
  for (const d of owned.splice(0).reverse()) await d.dispose();
});

/** Resolves after pending setImmediate callbacks have run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('PointToPointLink', () => {
  it('carries every frame from one port out of the other, in both directions', () => {
    const a = own(new RecordingPort('h1:eth0'));
    const b = own(new RecordingPort('h2:eth0'));
    own(new PointToPointLink(a, b));
    const toB = [ethernetFrame(B, A), ethernetFrame(BROADCAST, A)];
    a.inject(toB);
    b.inject([ethernetFrame(A, B, 100)]);
    expect(b.delivered).toEqual(toB);
    expect(a.delivered.map((f) => f.length)).toEqual([114]);
    expect(a.rx.frames).toBe(2);
    expect(b.tx.frames).toBe(2);
    expect(b.rx.frames).toBe(1);
    expect(a.tx.frames).toBe(1);
    expect(a.tx.bytes).toBe(114);
  });

  it('disconnects both ports when disposed', () => {
    const a = own(new RecordingPort('h1:eth0'));
    const b = own(new RecordingPort('h2:eth0'));
    const link = new PointToPointLink(a, b);
    link.dispose();
    expect(a.connected || b.connected).toBe(false);
    a.inject([ethernetFrame(B, A)]);
    expect(b.delivered).toHaveLength(0);
    expect(a.rx.snapshot().drops['no-destination']).toBe(1);
  });

  it('refuses ports of different link types', () => {
    const a = own(new RecordingPort('h1:eth0'));
    const b = own(new RecordingPort('z1:slip0', { linkType: 'raw-ip' }));
    expect(() => new PointToPointLink(a, b)).toThrow(/link types differ/);
    expect(a.connected).toBe(false);
  });

  it('counts queue-full on the far port when its device is full', () => {
    const a = own(new RecordingPort('h1:eth0'));
    const b = own(new RecordingPort('h2:eth0', { accept: 2 }));
    own(new PointToPointLink(a, b));
    a.inject([1, 2, 3, 4].map(() => ethernetFrame(B, A)));
    expect(b.tx.frames).toBe(2);
    expect(b.tx.snapshot().drops['queue-full']).toBe(2);
  });
});

describe('createPatchPair', () => {
  it('joins two switches; frames cross on the next turn of the event loop', async () => {
    const sw1 = own(new EthernetSwitch({ name: 'sw1' }));
    const sw2 = own(new EthernetSwitch({ name: 'sw2' }));
    const h1 = own(new RecordingPort('h1:eth0'));
    const h2 = own(new RecordingPort('h2:eth0'));
    const [x, y] = createPatchPair('sw1:l1', 'sw2:l1');
    own(x);
    own(y);
    sw1.attach(h1);
    sw1.attach(x);
    sw2.attach(y);
    sw2.attach(h2);
    h1.inject([ethernetFrame(BROADCAST, A)]);
    expect(h2.delivered).toHaveLength(0);
    await nextTurn();
    expect(h2.delivered).toHaveLength(1);
    expect(x.tx.frames).toBe(1);
    expect(y.rx.frames).toBe(1);
    h2.inject([ethernetFrame(A, B)]);
    await nextTurn();
    expect(h1.delivered).toHaveLength(1);
  });

  it('survives a switching loop without overflowing the stack', async () => {
    const sw1 = own(new EthernetSwitch({ name: 'sw1' }));
    const sw2 = own(new EthernetSwitch({ name: 'sw2' }));
    const h1 = own(new RecordingPort('h1:eth0'));
    const pairs = [createPatchPair('sw1:l1', 'sw2:l1'), createPatchPair('sw1:l2', 'sw2:l2')];
    for (const [x, y] of pairs) {
      own(x);
      own(y);
      sw1.attach(x);
      sw2.attach(y);
    }
    sw1.attach(h1);
    h1.inject([ethernetFrame(BROADCAST, A)]);
    for (let i = 0; i < 20; i++) await nextTurn();
    // The broadcast storm keeps circulating (as it would on real switches) but the engine runs.
    expect(pairs[0]![0].tx.frames + pairs[1]![0].tx.frames).toBeGreaterThan(5);
  });

  it('drops beyond the queue as queue-full on the sending end', async () => {
    const [x, y] = createPatchPair('a:p', 'b:p', { queueFrames: 3 });
    own(x);
    own(y);
    const got: Buffer[] = [];
    y.connect((frames) => got.push(...frames));
    x.send([1, 2, 3, 4, 5].map(() => ethernetFrame(B, A)));
    expect(x.tx.snapshot().drops['queue-full']).toBe(2);
    await nextTurn();
    expect(got).toHaveLength(3);
  });
});
