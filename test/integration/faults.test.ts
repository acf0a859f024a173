// A fault timeline on a real lab (issue 10): a link pulled at 2 s and plugged back at 10 s stops
// pings in between and not outside, a node killed at 1 s is restarted by its supervisor, and
// `netweave faults` shows each firing with its time.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultStatus, LabStatus } from '../../src/shared/contract.js';
import { CliEnv, leftovers, twoHostLab, until } from '../helpers/cli.js';

const env = new CliEnv();
const files = join(env.runtime, '..', 'files');
mkdirSync(files, { recursive: true });
const LAB = 'faults';

afterAll(async () => {
  await env.run(['down', LAB]);
  expect(await leftovers(env, LAB)).toEqual([]);
  env.dispose();
});

describe('a fault timeline', () => {
  it('pulls a link for its window, kills a node its supervisor restarts, and says when', async () => {
    const f = twoHostLab(
      files,
      LAB,
      `faults:
  - {at: 2s, for: 8s, link: h1:eth0--sw, action: down}
  - {at: 1s, node: h2, action: kill}
`,
    );
    const up = await env.run(['up', f, '--detach']);
    expect(up.code, up.stderr).toBe(0);
    const faults = async (): Promise<FaultStatus[]> =>
      JSON.parse((await env.run(['faults', LAB, '--json'])).stdout) as FaultStatus[];
    // While the link is down (from 2 s to 10 s after ready), pings get no answer.
    expect(await until(async () => (await faults())[0]?.fired.length === 1, 20_000, 100)).toBe(
      true,
    );
    const during = await env.run(['exec', 'h1', '--', 'ping', '-c', '1', '-W', '1', '192.0.2.2']);
    expect(during.code).not.toBe(0);
    expect((await faults())[0]?.fired).toHaveLength(1); // the ping ran inside the window
    // After the undo, they do again.
    expect(await until(async () => (await faults())[0]?.fired.length === 2, 20_000, 200)).toBe(
      true,
    );
    const after = await env.run(['exec', 'h1', '--', 'ping', '-c', '3', '-W', '2', '192.0.2.2']);
    expect(after.code, after.stdout).toBe(0);
    const [done, kill] = await faults();
    expect(done?.fired.map((e) => [e.action, e.ok])).toEqual([
      ['down', true],
      ['up', true],
    ]);
    // Each at its time after ready (timers only fire late, by a loaded machine's delay).
    expect(done?.fired[0]?.atMs).toBeGreaterThanOrEqual(2000);
    expect(done?.fired[0]?.atMs).toBeLessThan(2000 + 1500);
    expect(done?.fired[1]?.atMs).toBeGreaterThanOrEqual(10000);
    expect(done?.fired[1]?.atMs).toBeLessThan(10000 + 1500);
    expect(done?.nextMs).toBeUndefined();
    expect(kill?.fired[0]).toMatchObject({ action: 'kill', ok: true });
    // The killed shell was restarted by its supervisor.
    expect(
      await until(async () => {
        const st = JSON.parse((await env.run(['status', LAB, '--json'])).stdout) as LabStatus;
        return st.nodes.find((n) => n.name === 'h2')?.state === 'ready';
      }, 20_000),
    ).toBe(true);
    const text = await env.run(['faults', LAB]);
    expect(text.stdout).toContain('fault 1: at 2s for 8s: link h1:eth0--sw down');
  });
});
