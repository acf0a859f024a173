// A TAP whose interface vanishes takes its port down with the reason (issue 13: the TAP's
// failure used to have no listener, and the port went on reporting "up"): status shows the
// port failed and why, counters carry the reason, frames for it count as port-down, and the
// lab still comes down clean.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import { CliEnv, leftovers, portCounters, twoHostLab, until } from '../helpers/cli.js';

const env = new CliEnv();
const files = join(env.runtime, '..', 'files');
mkdirSync(files, { recursive: true });
const LAB = 'port-fail';

afterAll(async () => {
  await env.run(['down', LAB]);
  env.dispose();
});

describe('a TAP whose interface was deleted', () => {
  it('takes its port down and says why, in status and counters', async () => {
    const f = twoHostLab(files, LAB);
    const up = await env.run(['up', f, '--detach']);
    expect(up.code, up.stderr).toBe(0);
    const del = await env.run(['exec', 'h1', '--', 'ip', 'link', 'del', 'eth0']);
    expect(del.code, del.stderr).toBe(0);
    const status = async (): Promise<LabStatus> =>
      JSON.parse((await env.run(['status', LAB, '--json'])).stdout) as LabStatus;
    expect(
      await until(async () => {
        const s = await status();
        return s.nodes.some((n) => n.ports.some((p) => p.failure !== undefined));
      }, 20_000),
    ).toBe(true);
    const s = await status();
    const port = s.nodes.find((n) => n.name === 'h1')?.ports.find((p) => p.id === 'h1:eth0');
    expect(port?.up).toBe(false);
    expect(port?.failure).toMatch(/^interface eth0 stopped working: /);
    const text = await env.run(['status', LAB]);
    expect(text.stdout).toContain('eth0(failed)');
    // Frames for the failed port are port-down drops; the port cannot be set up again.
    await env.run(['exec', 'h2', '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', '192.0.2.1']);
    const snap = JSON.parse((await env.run(['stats', '--json'])).stdout) as CounterSnapshot;
    const c = portCounters(snap, 'h1:eth0');
    expect(c.failure).toBe(port?.failure);
    expect(c.tx.drops['port-down']).toBeGreaterThan(0);
    const set = await env.run(['link', 'h1:eth0', 'up']);
    expect(set.stdout + set.stderr).toContain('failed');
    const down = await env.run(['down', LAB]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, LAB)).toEqual([]);
  });
});
