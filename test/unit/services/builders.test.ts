// The command lines and rulesets the segment services hand to dnsmasq, nft, iptables and
// slirp4netns: pure builders, checked for the settings that make each one work.
import { describe, expect, it } from 'vitest';
import type { ResolvedServices } from '../../../src/kinds/nodes/switch/definition.js';
import { defaultHostIfname } from '../../../src/kinds/nodes/switch/engine/index.js';
import {
  dnsmasqArgv,
  explainDnsmasqFailure,
  needsDnsmasq,
} from '../../../src/engine/services/dnsmasq.js';
import {
  deleteRuleArgv,
  forwardHoleRules,
  forwardIsRestricted,
  insertRuleArgv,
  natRuleset,
  natTableName,
  sysctlPath,
} from '../../../src/engine/services/nat.js';
import { slirp4netnsArgv } from '../../../src/engine/services/outside.js';

const ALL: ResolvedServices = {
  ipv4: '192.0.2.2/24',
  ipv6: '2001:db8::2/64',
  dhcp: { start: '192.0.2.16', end: '192.0.2.32', lease: 3600, netmask: '255.255.255.0' },
  ra: { prefix: '2001:db8::/64', mtu: 1280 },
  dns: { names: { '4.zephyr.test': '192.0.2.1', '6.zephyr.test': '2001:db8::1' } },
  nat: true,
};

describe('dnsmasqArgv', () => {
  it('binds to the lab interface only, with a private configuration and lease file', () => {
    const argv = dnsmasqArgv({ mode: 'host', ifname: 'zeth', services: ALL, leaseFile: '/r/l' });
    expect(argv[0]).toBe('dnsmasq');
    for (const a of [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--bind-interfaces',
      '--interface=zeth',
      '--except-interface=lo',
      '--dhcp-leasefile=/r/l',
      '--pid-file=',
    ]) {
      expect(argv).toContain(a);
    }
  });

  it('serves the net-tools pool, prefix, MTU and names', () => {
    const argv = dnsmasqArgv({ mode: 'host', ifname: 'zeth', services: ALL, leaseFile: '/l' });
    expect(argv).toContain('--dhcp-range=192.0.2.16,192.0.2.32,255.255.255.0,3600');
    expect(argv).toContain('--enable-ra');
    expect(argv).toContain('--dhcp-range=2001:db8::,ra-only,64');
    expect(argv.find((a) => a.startsWith('--ra-param='))).toMatch(/^--ra-param=zeth,mtu:1280,/);
    expect(argv).toContain('--host-record=4.zephyr.test,192.0.2.1');
    expect(argv).toContain('--host-record=6.zephyr.test,2001:db8::1');
    // host mode with NAT forwards other names to the machine's resolvers; drops privileges.
    expect(argv).not.toContain('--no-resolv');
    expect(argv).not.toContain('--user=');
  });

  it('stays root in isolated mode and forwards names to slirp4netns', () => {
    const argv = dnsmasqArgv({ mode: 'isolated', ifname: 'x', services: ALL, leaseFile: '/l' });
    expect(argv).toEqual(expect.arrayContaining(['--user=', '--group=', '--server=10.0.2.3']));
  });

  it('turns DNS off with port 0 and gives no gateway without NAT', () => {
    const { dns: _dns, ...noDns } = ALL;
    const argv = dnsmasqArgv({
      mode: 'host',
      ifname: 'zeth',
      services: { ...noDns, nat: false, ra: undefined },
      leaseFile: '/l',
    });
    expect(argv).toContain('--port=0');
    expect(argv).toContain('--dhcp-option=option:router');
    expect(argv).not.toContain('--enable-ra');
    expect(argv.some((a) => a.startsWith('--host-record'))).toBe(false);
  });

  it('is needed only for dhcp, ra or dns', () => {
    expect(needsDnsmasq({ nat: true })).toBe(false);
    expect(needsDnsmasq(undefined)).toBe(false);
    expect(needsDnsmasq(ALL)).toBe(true);
  });

  it('explains a taken port in one sentence with the fix', () => {
    const m = explainDnsmasqFailure(
      'sw',
      'zeth',
      'dnsmasq: failed to create listening socket for 192.0.2.2: Address already in use\n',
    );
    expect(m).toMatch(/^dnsmasq for switch "sw" cannot listen on zeth: .*; stop it/);
    expect(m.split('\n')).toHaveLength(1);
  });
});

describe('NAT rules', () => {
  const rules = { subnet: '192.0.2.0/24', ifname: 'zeth', tag: 'netweave:0123abcd:sw' };

  it('masquerades the segment out of every other interface, in a table of its own', () => {
    const table = natTableName('0123abcd', 'sw');
    expect(table).toBe('nw-0123abcd-sw');
    const text = natRuleset({ table, ...rules });
    expect(text).toMatch(/^table ip nw-0123abcd-sw \{/);
    expect(text).toContain('comment "netweave:0123abcd:sw"');
    expect(text).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(text).toContain('ip saddr 192.0.2.0/24 oifname != "zeth" masquerade');
    expect(text).toContain('iifname "zeth" ip saddr 192.0.2.0/24 accept');
  });

  it('opens FORWARD only where iptables would drop', () => {
    const open =
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
    expect(forwardIsRestricted(open)).toBe(false);
    expect(forwardIsRestricted(open.replace(':FORWARD ACCEPT', ':FORWARD DROP'))).toBe(true);
    expect(forwardIsRestricted(open.replace('COMMIT', '-A FORWARD -j DOCKER-USER\nCOMMIT'))).toBe(
      true,
    );
    // A nat table's chains are not the filter table's FORWARD.
    expect(forwardIsRestricted('*nat\n:FORWARD DROP [0:0]\nCOMMIT\n')).toBe(false);
    expect(forwardIsRestricted('')).toBe(false);
  });

  it('inserts tagged ACCEPT rules at the top and deletes them by the same specification', () => {
    const [out, back] = forwardHoleRules(rules);
    expect(out).toEqual([
      '-i',
      'zeth',
      '-s',
      '192.0.2.0/24',
      '-m',
      'comment',
      '--comment',
      'netweave:0123abcd:sw',
      '-j',
      'ACCEPT',
    ]);
    expect(back).toEqual(expect.arrayContaining(['--ctstate', 'RELATED,ESTABLISHED', '-o']));
    expect(insertRuleArgv('iptables-nft', out ?? [])).toEqual([
      'iptables-nft',
      '-w',
      '-I',
      'FORWARD',
      '1',
      ...(out ?? []),
    ]);
    expect(deleteRuleArgv('iptables-nft', out ?? []).slice(0, 4)).toEqual([
      'iptables-nft',
      '-w',
      '-D',
      'FORWARD',
    ]);
  });

  it('finds sysctls under /proc/sys', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward');
  });
});

describe('the outside link and interface names', () => {
  it('starts slirp4netns for the engine pid with exit and ready fds', () => {
    const argv = slirp4netnsArgv('/usr/bin/slirp4netns', 4242);
    expect(argv).toEqual(
      expect.arrayContaining([
        '--configure',
        '--disable-host-loopback',
        '--exit-fd=3',
        '--ready-fd=4',
        '--userns-path=/proc/4242/ns/user',
      ]),
    );
    expect(argv.slice(-2)).toEqual(['4242', 'nwout0']);
  });

  it('derives interface names that fit IFNAMSIZ and differ per switch', () => {
    expect(defaultHostIfname('0123abcd', 'sw')).toBe('nw0123a-sw');
    const a = defaultHostIfname('0123abcd', 'segment-one');
    const b = defaultHostIfname('0123abcd', 'segment-two');
    expect(a.length).toBeLessThanOrEqual(15);
    expect(b.length).toBeLessThanOrEqual(15);
    expect(a).not.toBe(b);
  });
});
