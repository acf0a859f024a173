// The lab's own side of a segment: a switch with `host:` has an interface in the lab namespace
// (192.0.2.2 by default, like Zephyr's zeth), `netweave exec SWITCH -- CMD` runs commands there,
// and `status` says what the interface and its services are.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../src/shared/contract.js';
import { CliEnv, IS_ROOT, leftovers, until } from '../helpers/cli.js';

const LAB = 'switch-host';

describe.skipIf(!IS_ROOT)('commands on the lab side of a segment', () => {
  const env = new CliEnv();

  afterAll(async () => {
    await env.run(['down', LAB]);
    env.dispose();
  });

  it('pings a host node from the switch host interface, shows it in status, and refuses a switch without one', async () => {
    const dir = join(env.runtime, '..', 'files');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'lab.yaml');
    writeFileSync(
      file,
      `name: ${LAB}
nodes:
  h1: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.10/24], ipv6: [2001:db8::10/64]}}}
  sw: {kind: switch, host: {}}
  h2: {kind: host, interfaces: {eth0: {ipv4: [198.51.100.10/24]}}}
  plain: {kind: switch}
links:
  - endpoints: [h1:eth0, sw]
  - endpoints: [h2:eth0, plain]
`,
    );
    const up = await env.run(['up', file, '--detach']);
    expect(up.code, up.stderr).toBe(0);
    let out = '';
    const pinged = await until(async () => {
      const r = await env.run([
        'exec',
        'sw',
        '--lab',
        LAB,
        '--',
        'ping',
        '-c',
        '1',
        '-W',
        '2',
        '192.0.2.10',
      ]);
      out = r.stdout + r.stderr;
      return r.code === 0;
    });
    expect(pinged, out).toBe(true);
    const addr = await env.run(['exec', 'sw', '--lab', LAB, '--', 'ip', '-br', 'addr']);
    expect(addr.stdout).toMatch(/192\.0\.2\.2\/24/);

    const st = await env.run(['status', LAB, '--json']);
    const sw = (JSON.parse(st.stdout) as LabStatus).nodes.find((n) => n.name === 'sw');
    expect(sw?.detail).toMatch(/^host \S+ 192\.0\.2\.2\/24 2001:db8::2\/64$/);

    const refused = await env.run(['exec', 'plain', '--lab', LAB, '--', 'true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim()).toBe(
      'netweave: switch "plain" has no host interface to run commands next to; add host: {} to it, or run the command in a host node',
    );

    const down = await env.run(['down', LAB]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, LAB)).toEqual([]);
  });
});
