import { DROP_CAUSES, type DropCause } from '../../../src/shared/kinds.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Fabric } from '../../../src/engine/fabric/index.js';
import type { CounterSnapshot } from '../../../src/shared/contract.js';
import { BROADCAST, RecordingPort, ethernetFrame } from './helpers.js';

/** Every drop cause at zero. */
function noDrops(): Record<DropCause, number> {
  return Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as Record<DropCause, number>;
}

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

let fabric: Fabric;
beforeEach(() => {
  fabric = new Fabric({ clock: () => 1234 });
});
afterEach(() => {
  vi.useRealTimers();
  fabric.dispose();
});

describe('Fabric', () => {
  it('snapshots every port in registration order, with the contract shape', () => {
    const a = fabric.addPort(new RecordingPort('h1:eth0'));
    const b = fabric.addPort(new RecordingPort('h2:eth0'));
    const sw = fabric.addSwitch('sw1');
    sw.attach(a);
    sw.attach(b);
    a.inject([ethernetFrame(BROADCAST, A), ethernetFrame(B, A)]);
    const snap = fabric.snapshot();
    expect(snap.time).toBe(1234);
    expect(snap.ports.map((p) => p.port)).toEqual(['h1:eth0', 'h2:eth0']);
    expect(snap.ports[0]?.rx.frames).toBe(2);
    expect(snap.ports[1]?.tx).toEqual({
      frames: 2,
      bytes: 120,
      drops: noDrops(),
    });
    expect(fabric.port('h2:eth0')).toBe(b);
    expect(fabric.portIds()).toEqual(['h1:eth0', 'h2:eth0']);
  });

  it('rejects a second port or switch with the same id', () => {
    fabric.addPort(new RecordingPort('h1:eth0'));
    const dup = new RecordingPort('h1:eth0');
    expect(() => fabric.addPort(dup)).toThrow(/already has a port h1:eth0/);
    dup.dispose();
    fabric.addSwitch('sw1');
    expect(() => fabric.addSwitch('sw1')).toThrow(/already has a switch sw1/);
  });

  it('forgets a port and a switch that were disposed by their owner', () => {
    const a = fabric.addPort(new RecordingPort('h1:eth0'));
    a.dispose();
    expect(fabric.portIds()).toEqual([]);
    fabric.addSwitch('sw1').dispose();
    expect(fabric.switch('sw1')).toBeUndefined();
    fabric.addSwitch('sw1');
  });

  it('publishes counters on a timer only while started, never per packet', () => {
    vi.useFakeTimers();
    const a = fabric.addPort(new RecordingPort('h1:eth0'));
    const snaps: CounterSnapshot[] = [];
    fabric.onCounters((s) => snaps.push(s));
    for (let i = 0; i < 100; i++) a.inject([ethernetFrame(BROADCAST, A)]);
    vi.advanceTimersByTime(1000);
    expect(snaps).toHaveLength(0);
    const publishing = fabric.startCounters();
    vi.advanceTimersByTime(1000);
    expect(snaps).toHaveLength(4); // every 250 ms
    expect(snaps[0]?.ports[0]?.rx.frames).toBe(100);
    void publishing.dispose();
    vi.advanceTimersByTime(1000);
    expect(snaps).toHaveLength(4);
  });

  it('disposes ports, switches, links and the publisher together', () => {
    vi.useFakeTimers();
    const a = fabric.addPort(new RecordingPort('h1:eth0'));
    const b = fabric.addPort(new RecordingPort('h2:eth0'));
    const c = fabric.addPort(new RecordingPort('h3:eth0'));
    const d = fabric.addPort(new RecordingPort('h4:eth0'));
    fabric.connect(a, b);
    fabric.addSwitch('sw1').attach(c);
    fabric.startCounters(100);
    fabric.dispose();
    expect([a, b, c, d].every((p) => p.isDisposed && !p.connected)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => fabric.addSwitch('sw2')).toThrow(/disposed/);
  });
});
