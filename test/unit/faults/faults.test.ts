// The fault timeline (issue 10): `faults:` is validated against the lab's links and nodes, and
// the engine's timeline fires each fault at its time, repeats it, undoes it after `for`, and
// keeps each firing with its time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FaultTimeline } from '../../../src/engine/faults.js';
import { validateTopologyText, type FaultSpec } from '../../../src/shared/topology/index.js';

const lab = (faults: string): string => `name: f
nodes:
  h1: {kind: host, interfaces: {eth0: {}}}
  sw: {kind: switch}
links:
  - endpoints: [h1:eth0, sw]
faults:
${faults}
`;

function problems(text: string): string[] {
  const r = validateTopologyText(text, 'lab.yaml');
  return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
}

describe('faults: in the file', () => {
  it('accepts link and node faults with at, every and for', () => {
    expect(
      problems(
        lab(`  - {at: 5s, for: 2s, link: h1:eth0--sw, action: down}
  - {at: 500ms, every: 1m, node: h1, action: kill}
  - {at: 1s, link: h1:eth0--sw, action: impair, impair: "loss=10%", dir: a->b}`),
      ),
    ).toEqual([]);
  });

  it('refuses unknown targets, mismatched actions and bad times with their position', () => {
    expect(
      problems(
        lab(`  - {at: 5s, link: nolink, action: down}
  - {at: 5s, node: h1, action: down}
  - {at: 1s, link: h1:eth0--sw, action: impair}
  - {at: 1s, every: 2s, for: 3s, node: h1, action: stop}`),
      ),
    ).toEqual([
      '8:20 faults[0].link: link "nolink" is not in this lab; its links are h1:eth0--sw',
      '9:32 faults[1].action: "down" is a link action; a node takes stop, start, reset, kill, and a radio-154 medium impair or clear',
      '10:41 faults[2].action: action impair needs impair: with the settings, e.g. impair: "loss=10%"',
      '11:30 faults[3].for: for: must be shorter than every: (2s), or the undo would come after the next time',
    ]);
    expect(problems(lab('  - {at: 5, node: h1, action: stop}'))).toEqual([
      '8:10 faults[0].at: expected a time such as 500ms, 5s or 2m, got the number 5',
    ]);
  });
});

describe('faults: on a radio-154 medium', () => {
  const radioLab = (faults: string): string => `name: f
nodes:
  h1: {kind: host, interfaces: {eth0: {}}}
  h2: {kind: host, interfaces: {eth0: {}}}
  sw: {kind: switch}
  air: {kind: radio-154}
links:
  - endpoints: [h1:eth0, sw]
  - endpoints: [h2:eth0, sw]
faults:
${faults}
`;

  it('takes impair with loss, per sender -> receiver pair or for every pair, and clear', () => {
    expect(
      problems(
        radioLab(`  - {at: 5s, for: 5s, node: air, action: impair, impair: "loss=100%", pair: h1->h2}
  - {at: 1s, node: air, action: impair, impair: "loss=30%"}
  - {at: 2s, node: air, action: impair, impair: "delay=20ms rate=250kbit", pair: h2->h1}
  - {at: 9s, node: air, action: clear}`),
      ),
    ).toEqual([]);
  });

  it('refuses what a medium cannot do, and a pair anywhere else, in one sentence each', () => {
    expect(
      problems(
        radioLab(`  - {at: 1s, node: air, action: stop}
  - {at: 1s, node: air, action: clear, dir: a->b}
  - {at: 1s, node: air, action: clear, pair: h1->nobody}
  - {at: 1s, link: h1:eth0--sw, action: down, pair: h1->h2}
  - {at: 1s, node: h1, action: impair, impair: "loss=1%"}`),
      ),
    ).toEqual([
      '11:33 faults[0].action: a radio-154 medium takes impair or clear (per sender -> receiver pair), not "stop"',
      '12:45 faults[1].dir: a medium has no link directions; name a sender -> receiver pair with pair:',
      '13:46 faults[2].pair: "nobody" in pair: is not a node of this lab',
      '14:53 faults[3].pair: pair: goes with impair or clear on a radio-154 medium only',
      '15:32 faults[4].action: "impair" is a link action; a node takes stop, start, reset, kill, and a radio-154 medium impair or clear',
    ]);
  });
});

describe('FaultTimeline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at its times, repeats, undoes after for, and keeps each firing', async () => {
    vi.useFakeTimers();
    let now = 0;
    const ran: string[] = [];
    const faults: FaultSpec[] = [
      { at: '1s', for: '2s', link: 'l', action: 'down' },
      { at: '500ms', every: '1s', node: 'n', action: 'kill' },
    ];
    const t = new FaultTimeline(
      faults,
      (f, action) => {
        ran.push(`${now} ${f.link ?? f.node ?? ''} ${action}`);
        return action === 'kill' && now > 2000
          ? Promise.reject(new Error('no process'))
          : Promise.resolve();
      },
      () => undefined,
      () => now,
    );
    t.start();
    for (let step = 0; step < 35; step++) {
      now += 100;
      await vi.advanceTimersByTimeAsync(100);
    }
    t.dispose();
    expect(ran).toEqual([
      '500 n kill',
      '1000 l down',
      '1500 n kill',
      '2500 n kill',
      '3000 l up',
      '3500 n kill',
    ]);
    const st = t.status();
    expect(st[0]).toEqual({
      index: 1,
      fault: 'at 1s for 2s: link l down',
      fired: [
        { atMs: 1000, action: 'down', ok: true },
        { atMs: 3000, action: 'up', ok: true },
      ],
    });
    expect(st[1]?.fired.at(-1)).toEqual({
      atMs: 3500,
      action: 'kill',
      ok: false,
      error: 'no process',
    });
    expect(st[1]?.nextMs).toBe(4500);
  });

  it('never fires before its time when a timer runs a millisecond early', async () => {
    vi.useFakeTimers();
    const t0 = Date.now();
    // The first reading at or past 2 s says 1999 ms, as a timer that fired early would see it.
    let early = true;
    const clock = (): number => {
      if (early && Date.now() - t0 >= 2000) {
        early = false;
        return t0 + 1999;
      }
      return Date.now();
    };
    const ran: number[] = [];
    const t = new FaultTimeline(
      [{ at: '2s', link: 'l', action: 'down' }],
      () => {
        ran.push(clock() - t0);
        return Promise.resolve();
      },
      () => undefined,
      clock,
    );
    t.start();
    await vi.advanceTimersByTimeAsync(2100);
    t.dispose();
    expect(ran).toHaveLength(1);
    expect(ran[0]).toBeGreaterThanOrEqual(2000);
    expect(t.status()[0]?.fired[0]?.atMs).toBeGreaterThanOrEqual(2000);
  });
});
