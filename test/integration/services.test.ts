// End to end: a switch's own interface with DHCPv4, router advertisements, DNS names and NAT to
// the outside, in both network modes. Host mode runs inside a namespace T that stands in for
// the machine (its settings are recorded before `up` and compared after `down`); the outside
// is a namespace O with a TCP server. Nothing touches the real machine's network settings.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliEnv, IS_ROOT, leftovers, until, type CliResult } from '../helpers/cli.js';
import {
  cliIn,
  machineState,
  must,
  OUTSIDE_IP,
  removeNetns,
  sh,
  startOutside,
} from '../helpers/outside.js';

/** The outside's server port and answer. */
const OUTSIDE_PORT = '18080';
const GREETING = 'hello-from-the-outside';

function writeLab(env: CliEnv, name: string, yaml: string): string {
  const dir = join(env.runtime, '..', 'files');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** A lab with a static host (default route via the switch) and a host that uses DHCP and RA. */
function labYaml(name: string): string {
  return `
name: ${name}
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: 192.0.2.10/24}
    routes:
      - {to: default, via: 192.0.2.2}
  h2:
    kind: host
    interfaces:
      eth0: {}
  sw:
    kind: switch
    host: {}
    services: {dhcp: true, ra: true, dns: true, nat: true}
links:
  - endpoints: [h1:eth0, sw]
  - endpoints: [h2:eth0, sw]
`;
}

/** Asks the outside's server through node h1 (a TCP connection through the NAT). */
function fetchArgs(lab: string, node = 'h1'): string[] {
  return ['exec', node, '--lab', lab, '--', 'busybox', 'nc', '-w', '5', OUTSIDE_IP, OUTSIDE_PORT];
}

async function checkSegmentServices(
  run: (args: string[]) => Promise<CliResult>,
  lab: string,
): Promise<void> {
  // DHCP: a lease from the net-tools pool.
  const dhcp = await run([
    'exec',
    'h2',
    '--lab',
    lab,
    '--',
    'busybox',
    'udhcpc',
    '-i',
    'eth0',
    '-n',
    '-q',
    '-t',
    '5',
    '-s',
    '/bin/true',
  ]);
  const lease = /lease of 192\.0\.2\.(\d+) obtained/.exec(dhcp.stdout + dhcp.stderr);
  expect(lease, dhcp.stdout + dhcp.stderr).not.toBeNull();
  const last = Number(lease?.[1]);
  expect(last).toBeGreaterThanOrEqual(16);
  expect(last).toBeLessThanOrEqual(32);

  // RA: a SLAAC address in 2001:db8::/64.
  let addrs = '';
  const slaac = await until(
    async () => {
      const r = await run([
        'exec',
        'h2',
        '--lab',
        lab,
        '--',
        'ip',
        '-6',
        'addr',
        'show',
        'dev',
        'eth0',
      ]);
      addrs = r.stdout;
      return /inet6 2001:db8::[0-9a-f:]+\/64 scope global dynamic/.test(r.stdout);
    },
    30_000,
    500,
  );
  expect(slaac, addrs).toBe(true);

  // DNS: the net-tools names, served on the lab's address.
  const v4 = await run([
    'exec',
    'h1',
    '--lab',
    lab,
    '--',
    'busybox',
    'nslookup',
    '4.zephyr.test',
    '192.0.2.2',
  ]);
  expect(v4.stdout, v4.stderr).toMatch(/Name:\s+4\.zephyr\.test\s+Address:\s+192\.0\.2\.1\b/);
  const v6 = await run([
    'exec',
    'h1',
    '--lab',
    lab,
    '--',
    'busybox',
    'nslookup',
    '-type=AAAA',
    '6.zephyr.test',
    '192.0.2.2',
  ]);
  expect(v6.stdout, v6.stderr).toMatch(/Address:\s+2001:db8::1\b/);
}

describe.skipIf(!IS_ROOT)('segment services in isolated mode', () => {
  const env = new CliEnv();
  const lab = 'svc-iso';
  const O = `nwt-o2-${process.pid}`;
  let server: ChildProcess | undefined;
  const run = (args: string[]): Promise<CliResult> => cliIn(env, O, args);

  beforeAll(async () => {
    server = await startOutside(O, { port: OUTSIDE_PORT, greeting: GREETING });
  });

  afterAll(async () => {
    await run(['down', lab]);
    server?.kill('SIGKILL');
    await removeNetns(O);
    env.dispose();
  });

  it('serves DHCP, RA and DNS, reaches the outside through slirp4netns, and leaves nothing behind', async () => {
    const file = writeLab(env, lab, labYaml(lab));
    const up = await run(['up', file, '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);

    await checkSegmentServices(run, lab);

    const got = await run(fetchArgs(lab));
    expect(got.stdout, got.stderr).toContain(GREETING);

    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    const slirpGone = await until(async () => {
      const r = await sh(['pgrep', '-f', 'slirp4netns.*nwout0']);
      return r.code === 1;
    }, 15_000);
    expect(slirpGone).toBe(true);
    expect(await leftovers(env, lab)).toEqual([]);
  });
});

describe.skipIf(!IS_ROOT)('segment NAT in host mode', () => {
  const env = new CliEnv();
  const lab = 'svc-host';
  const O = `nwt-o-${process.pid}`;
  const T = `nwt-t-${process.pid}`;
  let server: ChildProcess | undefined;
  const run = (args: string[]): Promise<CliResult> => cliIn(env, T, args);

  beforeAll(async () => {
    server = await startOutside(O, { port: OUTSIDE_PORT, greeting: GREETING }, T);
    // The stand-in machine has a firewall that drops forwarded traffic, as Docker or ufw leave it.
    await must(['ip', 'netns', 'exec', T, 'iptables', '-P', 'FORWARD', 'DROP']);
  });

  afterAll(async () => {
    await run(['down', lab]);
    server?.kill('SIGKILL');
    await removeNetns(O, T);
    env.dispose();
  });

  it('reaches a TCP server outside and puts back every changed setting on down', async () => {
    const before = await machineState(T);
    expect(before).toMatch(/ip_forward=0/);
    const file = writeLab(env, lab, labYaml(lab));
    const up = await run(['up', file, '--detach', '--network', 'host']);
    expect(up.code, up.stderr + up.stdout).toBe(0);

    const during = await machineState(T);
    expect(during).toMatch(/ip_forward=1/);
    expect(during).toMatch(/table ip nw-[0-9a-f]{8}-sw/);

    const got = await run(fetchArgs(lab));
    expect(got.stdout, got.stderr).toContain(GREETING);
    await checkSegmentServices(run, lab);

    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await machineState(T)).toBe(before);
    expect(await leftovers(env, lab)).toEqual([]);
    expect(await must(['ip', '-n', T, '-d', 'link', 'show'])).not.toContain('netweave:');
  });

  it('puts the settings back after the engine was killed with SIGKILL', async () => {
    const before = await machineState(T);
    const file = writeLab(env, lab, labYaml(lab));
    const up = await run(['up', file, '--detach', '--network', 'host']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const status = JSON.parse((await run(['status', lab, '--json'])).stdout) as {
      enginePid: number;
    };
    process.kill(status.enginePid, 'SIGKILL');
    await until(async () => (await sh(['kill', '-0', String(status.enginePid)])).code !== 0);
    expect(await machineState(T)).not.toBe(before);

    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await machineState(T)).toBe(before);
    expect(await leftovers(env, lab)).toEqual([]);
    expect(await must(['ip', '-n', T, '-d', 'link', 'show'])).not.toContain('netweave:');
  });
});
