// The engine's rtnetlink requests (host/netlink.ts through @netweave/tap) against the real
// kernel, checked with iproute2's own view of the result: a native_sim node's TAP and bridge,
// a host interface's settings, addresses and routes, and failures that name the request as ip
// would. Needs root for the namespace (ip netns add).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { promisify } from 'node:util';
import { openTap } from '@netweave/tap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addAddress,
  addQuietBridge,
  addRoute,
  ifIndex,
  rtnetlink,
  setLink,
} from '../../src/engine/host/netlink.js';

const run = promisify(execFile);
const IS_ROOT = process.getuid?.() === 0;
const NS = `nwtest-${randomBytes(3).toString('hex')}-nl`;
const PATH = `/run/netns/${NS}`;

interface IpLink {
  ifname: string;
  flags: string[];
  mtu: number;
  address: string;
  master?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  inet6_addr_gen_mode?: string;
}

async function ipJson<T>(...args: string[]): Promise<T[]> {
  const { stdout } = await run('ip', ['-n', NS, '-j', ...args]);
  return JSON.parse(stdout) as T[];
}

describe('netlink requests', () => {
  it('refuses what it cannot encode before sending anything', () => {
    expect(() => addAddress('eth0', 1, '192.0.2.300/24')).toThrow(/address "192.0.2.300\/24"/);
    expect(() => addRoute('default', 'not-an-ip')).toThrow(/gateway "not-an-ip"/);
    expect(() => setLink('eth0', { mac: '02:00' })).toThrow(/MAC "02:00"/);
  });

  describe.skipIf(!IS_ROOT && process.env['CI'] !== 'true')('in a real namespace', () => {
    beforeAll(async () => {
      await run('ip', ['netns', 'add', NS]);
    });
    afterAll(async () => {
      await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    });

    it('builds a native_sim port: persistent TAP and engine TAP on a quiet bridge', async () => {
      openTap('nlz0', PATH, false, true);
      const engineTap = openTap('nlt0', PATH);
      try {
        rtnetlink(PATH, [
          addQuietBridge('nlbr0'),
          ...['nlz0', 'nlt0', 'nlbr0'].map((d) => setLink(d, { noIpv6LinkLocal: true })),
        ]);
        const master = ifIndex('nlbr0', PATH);
        rtnetlink(PATH, [
          setLink('nlz0', { master, up: true }),
          setLink('nlt0', { master, up: true }),
          setLink('nlbr0', { up: true }),
        ]);
        const links = await ipJson<IpLink>('-d', 'link', 'show');
        const by = new Map(links.map((l) => [l.ifname, l]));
        const bridge = by.get('nlbr0');
        expect(bridge?.linkinfo?.info_kind).toBe('bridge');
        expect(bridge?.linkinfo?.info_data?.['forward_delay']).toBe(0);
        expect(bridge?.linkinfo?.info_data?.['mcast_snooping']).toBe(0);
        for (const name of ['nlz0', 'nlt0', 'nlbr0']) {
          expect(by.get(name)?.flags, name).toContain('UP');
          expect(by.get(name)?.inet6_addr_gen_mode, name).toBe('none');
        }
        expect(by.get('nlz0')?.master).toBe('nlbr0');
        expect(by.get('nlt0')?.master).toBe('nlbr0');
        // Persistent: the TAP zephyr.exe opens by name is there without an open fd.
        expect(by.get('nlz0')?.linkinfo?.info_data?.['persist']).toBe(true);
        // No IPv6 link-local address anywhere: these interfaces must not talk.
        const addrs = await ipJson<{ ifname: string; addr_info: unknown[] }>('-6', 'addr', 'show');
        expect(addrs.filter((a) => a.ifname.startsWith('nl')).flatMap((a) => a.addr_info)).toEqual(
          [],
        );
      } finally {
        await run('ip', ['-n', NS, 'link', 'del', 'nlz0']).catch(() => undefined);
        await run('ip', ['-n', NS, 'link', 'del', 'nlbr0']).catch(() => undefined);
        closeSync(engineTap.fd);
      }
    });

    it('sets up a host interface: tag, MAC, MTU, up, addresses and routes', async () => {
      const tap = openTap('nlh0', PATH);
      try {
        rtnetlink(PATH, [
          setLink('nlh0', {
            alias: 'netweave:0123abcd:h1',
            mac: '02:00:5e:00:53:07',
            mtu: 1400,
            up: true,
          }),
        ]);
        const index = ifIndex('nlh0', PATH);
        rtnetlink(PATH, [
          addAddress('nlh0', index, '192.0.2.9/24'),
          addAddress('nlh0', index, '2001:db8::9/64', { nodad: true }),
          addRoute('default', '192.0.2.1'),
          addRoute('198.51.100.0/24', '192.0.2.254', { name: 'nlh0', index }),
          addRoute('2001:db8:1::/48', '2001:db8::1'),
        ]);
        const [link] = await ipJson<
          IpLink & { addr_info: { local: string; prefixlen: number; nodad?: boolean }[] }
        >('addr', 'show', 'dev', 'nlh0');
        expect(link?.flags).toContain('UP');
        expect(link?.mtu).toBe(1400);
        expect(link?.address).toBe('02:00:5e:00:53:07');
        expect(link?.addr_info).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ local: '192.0.2.9', prefixlen: 24 }),
            expect.objectContaining({ local: '2001:db8::9', prefixlen: 64, nodad: true }),
          ]),
        );
        const [detail] = await ipJson<IpLink>('-d', 'link', 'show', 'dev', 'nlh0');
        expect(detail?.ifalias).toBe('netweave:0123abcd:h1');
        const v4 = await ipJson<{ dst: string; gateway?: string; dev: string }>('route', 'show');
        expect(v4).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ dst: 'default', gateway: '192.0.2.1', dev: 'nlh0' }),
            expect.objectContaining({ dst: '198.51.100.0/24', gateway: '192.0.2.254' }),
          ]),
        );
        const v6 = await ipJson<{ dst: string; gateway?: string }>('-6', 'route', 'show');
        expect(v6).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ dst: '2001:db8:1::/48', gateway: '2001:db8::1' }),
          ]),
        );
      } finally {
        closeSync(tap.fd);
      }
    });

    it('stops at the first refused request and names it with the kernel’s reason', async () => {
      const tap = openTap('nlf0', PATH);
      try {
        const index = ifIndex('nlf0', PATH);
        rtnetlink(PATH, [addAddress('nlf0', index, '192.0.2.10/24')]);
        expect(() =>
          rtnetlink(PATH, [setLink('nope0', { up: true }), setLink('nlf0', { up: true })]),
        ).toThrow(
          new RegExp(`^ip link set dev nope0 up in ${PATH} failed: No such device \\(ENODEV\\)`),
        );
        // The request after the refused one was not sent.
        const [link] = await ipJson<IpLink>('link', 'show', 'dev', 'nlf0');
        expect(link?.flags).not.toContain('UP');
        expect(() => rtnetlink(PATH, [addAddress('nlf0', index, '192.0.2.10/24')])).toThrow(
          /^ip addr add 192\.0\.2\.10\/24 dev nlf0 in .* failed: File exists \(EEXIST\): .*already assigned/,
        );
        expect(() => rtnetlink(PATH, [addRoute('10.0.0.1/8', '192.0.2.1')])).toThrow(
          /failed: Invalid argument \(EINVAL\): Invalid prefix/,
        );
        expect(() => ifIndex('nope0', PATH)).toThrow(/cannot find interface nope0 in .*ENODEV/);
      } finally {
        closeSync(tap.fd);
      }
    });
  });
});
