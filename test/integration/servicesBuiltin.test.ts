// End to end: DHCPv4, router advertisements and DNS names answered by the engine's built-in
// server (`services: {server: builtin}`), not dnsmasq: busybox udhcpc gets a lease from the
// net-tools pool, the kernel of a host node configures a SLAAC address from the advertisements,
// and busybox nslookup resolves the net-tools names on 192.0.2.2, in both network modes. Host
// mode runs inside a namespace T that stands in for the machine.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot } from '../../src/shared/contract.js';
import {
  BIN,
  CliEnv,
  IS_ROOT,
  leftovers,
  portCounters,
  until,
  type CliResult,
} from '../helpers/cli.js';
import { cliIn, sh } from '../helpers/outside.js';

function writeLab(env: CliEnv, name: string, server = 'server: builtin'): string {
  const dir = join(env.runtime, '..', 'files');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `
name: ${name}
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: 192.0.2.10/24}
  h2:
    kind: host
    interfaces:
      eth0: {}
  sw:
    kind: switch
    host: {}
    services: {dhcp: true, ra: true, dns: true${server !== '' ? `, ${server}` : ''}}
links:
  - endpoints: [h1:eth0, sw]
  - endpoints: [h2:eth0, sw]
`,
  );
  return file;
}

async function checkBuiltinServices(
  run: (args: string[]) => Promise<CliResult>,
  lab: string,
): Promise<void> {
  // No dnsmasq runs for this lab: the switch reports no process.
  const status = JSON.parse((await run(['status', lab, '--json'])).stdout) as {
    nodes: Array<{ name: string; pid?: number }>;
  };
  expect(status.nodes.find((n) => n.name === 'sw')?.pid).toBeUndefined();

  // DHCP: a lease from the net-tools pool.
  const exec = (node: string, argv: string[]): Promise<CliResult> =>
    run(['exec', node, '--lab', lab, '--', ...argv]);
  const dhcp = await exec('h2', [
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
  expect(dhcp.stdout + dhcp.stderr).toMatch(/from 192\.0\.2\.2\b/);

  // RA: a SLAAC address in 2001:db8::/64.
  let addrs = '';
  const slaac = await until(
    async () => {
      const r = await exec('h2', ['ip', '-6', 'addr', 'show', 'dev', 'eth0']);
      addrs = r.stdout;
      return /inet6 2001:db8::[0-9a-f:]+\/64 scope global dynamic/.test(r.stdout);
    },
    30_000,
    500,
  );
  expect(slaac, addrs).toBe(true);
  // The MTU option reached the kernel.
  const mtu = await exec('h2', ['cat', '/proc/sys/net/ipv6/conf/eth0/mtu']);
  expect(mtu.stdout.trim()).toBe('1280');

  // DNS: the net-tools names, over IPv4 and IPv6 to the lab's addresses.
  const v4 = await exec('h1', ['busybox', 'nslookup', '4.zephyr.test', '192.0.2.2']);
  expect(v4.stdout, v4.stderr).toMatch(/Name:\s+4\.zephyr\.test\s+Address:\s+192\.0\.2\.1\b/);
  const v6 = await exec('h1', ['busybox', 'nslookup', '-type=AAAA', '6.zephyr.test', '192.0.2.2']);
  expect(v6.stdout, v6.stderr).toMatch(/Address:\s+2001:db8::1\b/);
  const overV6 = await exec('h2', ['busybox', 'nslookup', '4.zephyr.test', '2001:db8::2']);
  expect(overV6.stdout, overV6.stderr).toMatch(/Address:\s+192\.0\.2\.1\b/);
  const unknown = await exec('h1', ['busybox', 'nslookup', '5.zephyr.test', '192.0.2.2']);
  expect(unknown.stdout + unknown.stderr).toMatch(/NXDOMAIN/);

  // The lab's own interface still answers everything else itself (ARP and ping).
  const ping = await exec('h1', ['ping', '-c', '1', '-W', '5', '192.0.2.2']);
  expect(ping.code, ping.stdout + ping.stderr).toBe(0);

  // The served requests are counted on the lab's port.
  const stats = JSON.parse(
    (await run(['stats', '--lab', lab, '--json'])).stdout,
  ) as CounterSnapshot;
  const extra = portCounters(stats, 'sw:host').extra ?? {};
  expect(extra['builtin-dhcp'] ?? 0).toBeGreaterThanOrEqual(2);
  expect(extra['builtin-dns'] ?? 0).toBeGreaterThanOrEqual(3);
  expect(extra['builtin-ra'] ?? 0).toBeGreaterThanOrEqual(1);
}

describe.skipIf(!IS_ROOT)('built-in segment services in isolated mode', () => {
  const env = new CliEnv();
  const lab = 'svcb-iso';
  const run = (args: string[]): Promise<CliResult> => env.run(args, { timeoutMs: 180_000 });

  afterAll(async () => {
    await run(['down', lab]);
    env.dispose();
  });

  it('serves DHCP, RA and DNS without dnsmasq and leaves nothing behind', async () => {
    const up = await run(['up', writeLab(env, lab), '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    await checkBuiltinServices(run, lab);
    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, lab)).toEqual([]);
  });
});

describe.skipIf(!IS_ROOT)('built-in segment services in host mode', () => {
  const env = new CliEnv();
  const lab = 'svcb-host';
  const T = `nwt-tb-${process.pid}`;
  const run = (args: string[]): Promise<CliResult> => cliIn(env, T, args);

  afterAll(async () => {
    await run(['down', lab]);
    await sh(['ip', 'netns', 'del', T]);
    env.dispose();
  });

  it('serves DHCP, RA and DNS on the machine and leaves nothing behind', async () => {
    expect((await sh(['ip', 'netns', 'add', T])).code).toBe(0);
    await sh(['ip', '-n', T, 'link', 'set', 'lo', 'up']);
    const up = await run(['up', writeLab(env, lab), '--detach', '--network', 'host']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    await checkBuiltinServices(run, lab);
    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, lab)).toEqual([]);
    expect((await sh(['ip', '-n', T, '-d', 'link', 'show'])).stdout).not.toContain('netweave:');
  });
});

/**
 * A mount namespace in which dnsmasq is not installed: /dev/null (not executable) is bound over
 * it. A sleeping process holds the namespace; commands enter it with nsenter.
 */
describe.skipIf(!IS_ROOT)('built-in segment services when dnsmasq is not installed', () => {
  const env = new CliEnv();
  const lab = 'svcb-nodns';
  let holder: ChildProcess | undefined;
  const run = (args: string[]): Promise<CliResult> =>
    new Promise((res) => {
      execFile(
        'nsenter',
        ['-t', String(holder?.pid), '-m', process.execPath, BIN, ...args],
        { env: env.env, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          res({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '3600'], {
      stdio: 'ignore',
    });
    const pid = String(holder.pid);
    // The namespace exists once the holder runs sleep (its mount namespace differs from ours).
    const ready = await until(async () => {
      const a = await sh(['readlink', `/proc/${pid}/ns/mnt`]);
      const b = await sh(['readlink', '/proc/self/ns/mnt']);
      return a.code === 0 && a.stdout !== b.stdout;
    }, 10_000);
    expect(ready).toBe(true);
    const hide = await sh([
      'nsenter',
      '-t',
      pid,
      '-m',
      'mount',
      '--bind',
      '/dev/null',
      '/usr/sbin/dnsmasq',
    ]);
    expect(hide.code, hide.stderr).toBe(0);
  });

  afterAll(async () => {
    if (holder !== undefined) {
      await run(['down', lab]);
      holder.kill('SIGKILL');
    }
    env.dispose();
  });

  it('falls back to the built-in server by default', async () => {
    const up = await run(['up', writeLab(env, lab, ''), '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    await checkBuiltinServices(run, lab);
    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, lab)).toEqual([]);
  });

  it('refuses `server: dnsmasq` in one sentence', async () => {
    const up = await run(['up', writeLab(env, lab, 'server: dnsmasq'), '--detach']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toMatch(
      /switch "sw" asks for dnsmasq \(services.server: dnsmasq\), and it is not installed; install it \(apt install dnsmasq\) or write services.server: builtin/,
    );
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(await leftovers(env, lab)).toEqual([]);
  });
});
