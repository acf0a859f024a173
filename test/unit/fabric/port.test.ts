import { DROP_CAUSES, type DropCause } from '../../../src/shared/kinds.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MTU,
  MemoryPort,
  type EgressContext,
  type EgressNext,
  type EgressStage,
  type PortObserver,
} from '../../../src/engine/fabric/index.js';
import { BROADCAST, RecordingPort, ethernetFrame } from './helpers.js';

/** Every drop cause at zero. */
function noDrops(): Record<DropCause, number> {
  return Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as Record<DropCause, number>;
}

const A = '02:00:00:00:00:0a';

const ports: MemoryPort[] = [];
function track<T extends MemoryPort>(port: T): T {
  ports.push(port);
  return port;
}
afterEach(() => {
  for (const p of ports.splice(0)) p.dispose();
});

/** Drops every other frame: an impairment-shaped stage used to prove the pipeline's shape. */
class DropEveryOther implements EgressStage {
  readonly name = 'drop-every-other';
  disposed = false;
  process(frames: readonly Buffer[], next: EgressNext, ctx: EgressContext): void {
    const kept = frames.filter((_, i) => i % 2 === 0);
    ctx.drop('queue-full', frames.length - kept.length);
    next(kept);
  }
  dispose(): void {
    this.disposed = true;
  }
}

describe('Port counters and drop causes', () => {
  it('counts rx frames and bytes and hands them to the connected handler', () => {
    const port = track(new RecordingPort('h1:eth0'));
    const got: Buffer[] = [];
    port.connect((frames, from) => {
      expect(from).toBe(port);
      got.push(...frames);
    });
    port.inject([ethernetFrame(BROADCAST, A, 46), ethernetFrame(BROADCAST, A, 86)]);
    expect(got).toHaveLength(2);
    expect(port.snapshot()).toEqual({
      port: 'h1:eth0',
      linkType: 'ethernet',
      rx: {
        frames: 2,
        bytes: 160,
        drops: noDrops(),
      },
      tx: {
        frames: 0,
        bytes: 0,
        drops: noDrops(),
      },
    });
  });

  it('counts frames received with nowhere to go as no-destination', () => {
    const port = track(new RecordingPort('h1:eth0'));
    port.inject([ethernetFrame(BROADCAST, A)]);
    expect(port.rx.frames).toBe(1);
    expect(port.rx.snapshot().drops['no-destination']).toBe(1);
  });

  it('drops frames longer than the mtu as too-big in both directions, keeping the rest', () => {
    const port = track(new RecordingPort('h1:eth0'));
    expect(port.mtu).toBe(DEFAULT_MTU.ethernet);
    const got: Buffer[] = [];
    port.connect((frames) => got.push(...frames));
    const ok = ethernetFrame(BROADCAST, A, 1504); // 1518: one VLAN tag's slack
    const big = ethernetFrame(BROADCAST, A, 1505);
    port.inject([ok, big, ok]);
    expect(got).toEqual([ok, ok]);
    expect(port.rx.frames).toBe(2);
    expect(port.rx.bytes).toBe(2 * 1518);
    expect(port.rx.snapshot().drops['too-big']).toBe(1);

    port.send([big, ok]);
    expect(port.delivered).toEqual([ok]);
    expect(port.tx.snapshot().drops['too-big']).toBe(1);
    expect(port.tx.frames).toBe(1);
  });

  it('drops everything in both directions while administratively down', () => {
    const port = track(new RecordingPort('h1:eth0'));
    const got: Buffer[] = [];
    port.connect((frames) => got.push(...frames));
    port.setUp(false);
    expect(port.up).toBe(false);
    port.inject([ethernetFrame(BROADCAST, A), ethernetFrame(BROADCAST, A)]);
    port.send([ethernetFrame(BROADCAST, A)]);
    expect(got).toEqual([]);
    expect(port.delivered).toEqual([]);
    expect(port.rx.snapshot().drops['port-down']).toBe(2);
    expect(port.tx.snapshot().drops['port-down']).toBe(1);
    expect(port.rx.frames + port.tx.frames).toBe(0);
    port.setUp(true);
    port.send([ethernetFrame(BROADCAST, A)]);
    expect(port.delivered).toHaveLength(1);
  });

  it('counts frames the device did not take as queue-full', () => {
    const port = track(new RecordingPort('h1:eth0', { accept: 3 }));
    const frames = Array.from({ length: 5 }, () => ethernetFrame(BROADCAST, A, 50));
    port.send(frames);
    expect(port.delivered).toHaveLength(3);
    expect(port.tx.frames).toBe(3);
    expect(port.tx.bytes).toBe(3 * 64);
    expect(port.tx.snapshot().drops['queue-full']).toBe(2);
  });

  it('stays down and detached after dispose, and tells its owner', () => {
    const port = new MemoryPort({ id: 'h1:eth0', linkType: 'ethernet' });
    let told = 0;
    port.onDidDispose(() => told++);
    port.connect(() => undefined);
    port.dispose();
    port.dispose();
    expect(told).toBe(1);
    expect(port.up).toBe(false);
    expect(port.connected).toBe(false);
    port.setUp(true);
    expect(port.up).toBe(false);
    port.send([ethernetFrame(BROADCAST, A)]);
    expect(port.tx.snapshot().drops['port-down']).toBe(1);
  });

  it('allows one handler at a time', () => {
    const port = track(new RecordingPort('h1:eth0'));
    const first = port.connect(() => undefined);
    expect(() => port.connect(() => undefined)).toThrow(/already connected/);
    void first.dispose();
    expect(port.connected).toBe(false);
    port.connect(() => undefined);
  });

  it('uses the link type default mtu', () => {
    const radio = track(new MemoryPort({ id: 'r1:wpan0', linkType: 'ieee802154' }));
    const slip = track(new MemoryPort({ id: 'z1:slip0', linkType: 'raw-ip', mtu: 1280 }));
    expect(radio.mtu).toBe(127);
    expect(slip.mtu).toBe(1280);
  });
});

describe('Port egress pipeline', () => {
  it('runs an inserted stage before the device writer and counts the drops it reports', () => {
    const port = track(new RecordingPort('h1:eth0'));
    const stage = new DropEveryOther();
    const handle = port.egress.insert(stage);
    expect(port.egress.stages).toEqual([stage]);
    const frames = [1, 2, 3, 4, 5].map((n) => ethernetFrame(BROADCAST, A, 46, n));
    port.send(frames);
    expect(port.delivered.map((f) => f[20])).toEqual([1, 3, 5]);
    expect(port.tx.frames).toBe(3);
    expect(port.tx.snapshot().drops['queue-full']).toBe(2);

    void handle.dispose();
    expect(stage.disposed).toBe(true);
    port.send(frames);
    expect(port.delivered).toHaveLength(8);
  });

  it('runs stages in order and lets a stage hold frames until later', () => {
    const port = track(new RecordingPort('h1:eth0'));
    const order: string[] = [];
    const held: Buffer[] = [];
    let release: (() => void) | undefined;
    const hold: EgressStage = {
      name: 'hold',
      process(frames, next) {
        order.push('hold');
        held.push(...frames); // copies the references: the array is borrowed
        release = () => next(held.splice(0));
      },
    };
    const tag: EgressStage = {
      name: 'tag',
      process(frames, next) {
        order.push('tag');
        next(frames);
      },
    };
    port.egress.insert(hold);
    port.egress.insert(tag, 0);
    port.send([ethernetFrame(BROADCAST, A)]);
    expect(order).toEqual(['tag', 'hold']);
    expect(port.delivered).toHaveLength(0);
    release?.();
    expect(port.delivered).toHaveLength(1);
    expect(port.tx.frames).toBe(1);
  });

  it('counts frames a stage releases after the port went down as port-down', () => {
    const port = track(new RecordingPort('h1:eth0'));
    let release: (() => void) | undefined;
    port.egress.insert({
      name: 'delay',
      process(frames, next) {
        const copy = [...frames];
        release = () => next(copy);
      },
    });
    port.send([ethernetFrame(BROADCAST, A)]);
    port.setUp(false);
    release?.();
    expect(port.delivered).toHaveLength(0);
    expect(port.tx.snapshot().drops['port-down']).toBe(1);
  });

  it('disposes its stages with the port', () => {
    const port = new RecordingPort('h1:eth0');
    const stage = new DropEveryOther();
    port.egress.insert(stage);
    port.dispose();
    expect(stage.disposed).toBe(true);
    expect(port.egress.stages).toEqual([]);
  });
});

describe('Port observers', () => {
  it('see accepted rx frames and device-accepted tx frames, and cost nothing once removed', () => {
    const port = track(new RecordingPort('h1:eth0', { accept: 1 }));
    port.connect(() => undefined);
    const seen: string[] = [];
    const observer: PortObserver = {
      onFrames(p, direction, frames, count) {
        seen.push(`${p.id} ${direction} ${count}/${frames.length}`);
      },
    };
    const handle = port.observe(observer);
    port.inject([ethernetFrame(BROADCAST, A), ethernetFrame(BROADCAST, A)]);
    port.send([ethernetFrame(BROADCAST, A), ethernetFrame(BROADCAST, A)]);
    void handle.dispose();
    port.inject([ethernetFrame(BROADCAST, A)]);
    expect(seen).toEqual(['h1:eth0 rx 2/2', 'h1:eth0 tx 1/2']);
  });
});
