// The renderer's counters store: per-link rates from snapshots, and a link whose port failed
// carries the reason the canvas shows.
import { describe, expect, it } from 'vitest';
import type { LinkStatus, PortCounters } from '../../../src/shared/contract.js';
import { DROP_CAUSES } from '../../../src/shared/kinds.js';
import {
  applySnapshot,
  countersStore,
  resetCounters,
} from '../../../src/renderer/src/store/counters.js';

function port(id: string, frames: number, failure?: string): PortCounters {
  const drops = Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as PortCounters['rx']['drops'];
  return {
    port: id,
    linkType: 'ethernet',
    rx: { frames, bytes: frames * 100, drops: { ...drops } },
    tx: { frames, bytes: frames * 100, drops: { ...drops, 'port-down': failure ? 3 : 0 } },
    ...(failure !== undefined ? { failure } : {}),
  };
}

const links: LinkStatus[] = [
  {
    id: 'h1:eth0--sw',
    kind: 'ethernet',
    linkType: 'ethernet',
    endpoints: ['h1:eth0', 'sw'],
    ports: ['h1:eth0'],
  },
  {
    id: 'h2:eth0--sw',
    kind: 'ethernet',
    linkType: 'ethernet',
    endpoints: ['h2:eth0', 'sw'],
    ports: ['h2:eth0'],
  },
];

describe('counters store', () => {
  it('computes rates and marks a link whose port failed', () => {
    resetCounters();
    applySnapshot({ time: 0, ports: [port('h1:eth0', 0), port('h2:eth0', 0)] }, links);
    applySnapshot(
      {
        time: 1000,
        ports: [port('h1:eth0', 10, 'interface eth0 stopped working: gone'), port('h2:eth0', 50)],
      },
      links,
    );
    const st = countersStore.getState().links;
    expect(st.get('h2:eth0--sw')?.ab.fps).toBe(50);
    expect(st.get('h2:eth0--sw')?.failure).toBeUndefined();
    const failed = st.get('h1:eth0--sw');
    expect(failed?.failure).toBe('h1:eth0: interface eth0 stopped working: gone');
    expect(failed?.drops['port-down']).toBe(3);
  });
});
