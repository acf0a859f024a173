// The switch's `host` and `services` settings: what is accepted, the defaults filled in, and the
// one-sentence problems for settings that cannot work.
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  validateTopologyText,
  type SwitchNodeSpec,
} from '../../../src/shared/topology/index.js';
import { resolveServices } from '../../../src/kinds/nodes/switch/definition.js';

function lab(sw: string): string {
  return `
name: lab
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: 192.0.2.10/24}
  sw:
    kind: switch
${sw
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
links:
  - endpoints: [h1:eth0, sw]
`;
}

function switchOf(text: string): SwitchNodeSpec {
  const r = validateTopologyText(text, 'lab.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const sw = r.topology.nodes['sw'];
  if (sw?.kind !== 'switch') throw new Error('no switch');
  return sw;
}

function problems(text: string): string[] {
  const r = validateTopologyText(text, 'lab.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('switch host and services', () => {
  it("counts the lab's own addresses in the segment's duplicate check", () => {
    expect(problems(lab('host: {ipv4: 192.0.2.10/24}'))).toEqual([
      'lab.yaml:10:18: nodes.sw.host.ipv4: address 192.0.2.10 is already used by h1:eth0 on the same segment (switch sw); give each interface its own address',
    ]);
    expect(problems(lab('host: {}'))).toEqual([]);
  });

  it('fills in the net-tools defaults for `host: {}` and `true` services', () => {
    const s = resolveServices(
      switchOf(lab('host: {}\nservices: {dhcp: true, ra: true, dns: true, nat: true}')),
    );
    expect(s).toEqual({
      ipv4: '192.0.2.2/24',
      ipv6: '2001:db8::2/64',
      dhcp: { start: '192.0.2.16', end: '192.0.2.32', lease: 3600, netmask: '255.255.255.0' },
      ra: { prefix: '2001:db8::/64', mtu: 1280 },
      dns: { names: { '4.zephyr.test': '192.0.2.1', '6.zephyr.test': '2001:db8::1' } },
      nat: true,
    });
  });

  it('takes explicit addresses, pools, prefixes and names', () => {
    const s = resolveServices(
      switchOf(
        lab(`
host: {name: zeth, ipv4: 198.51.100.1/24, ipv6: 2001:db8:1::1/64}
services:
  dhcp: {start: 198.51.100.100, end: 198.51.100.120, lease: 600}
  ra: {mtu: 1400}
  dns: {names: {board.test: 198.51.100.7}}
`),
      ),
    );
    expect(s?.dhcp).toEqual({
      start: '198.51.100.100',
      end: '198.51.100.120',
      lease: 600,
      netmask: '255.255.255.0',
    });
    expect(s?.ra).toEqual({ prefix: '2001:db8:1::/64', mtu: 1400 });
    expect(s?.dns).toEqual({ names: { 'board.test': '198.51.100.7' } });
    expect(s?.nat).toBe(false);
  });

  it('gives only the written family when host names one address', () => {
    const s = resolveServices(switchOf(lab('host: {ipv4: 192.0.2.2/24}')));
    expect(s?.ipv4).toBe('192.0.2.2/24');
    expect(s?.ipv6).toBeUndefined();
  });

  it('refuses services without host in one sentence that names the fix', () => {
    const p = problems(lab('services: {dhcp: true}'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/nodes\.sw\.services.*add `host: \{\}`/);
  });

  it('accepts services that are all off without host', () => {
    expect(problems(lab('services: {dhcp: false, nat: false}'))).toEqual([]);
  });

  it('refuses DHCP and NAT without an IPv4 address, and RA without IPv6', () => {
    const p = problems(lab('host: {ipv6: 2001:db8::2/64}\nservices: {dhcp: true, nat: true}')).join(
      '\n',
    );
    expect(p).toMatch(/dhcp needs an IPv4 address.*add host\.ipv4/);
    expect(p).toMatch(/nat needs an IPv4 address/);
    expect(problems(lab('host: {ipv4: 192.0.2.2/24}\nservices: {ra: true}')).join('\n')).toMatch(
      /ra needs an IPv6 address.*host\.ipv6/,
    );
  });

  it('refuses a pool outside the subnet or backwards', () => {
    const p = problems(
      lab('host: {}\nservices: {dhcp: {start: 192.0.2.40, end: 198.51.100.1}}'),
    ).join('\n');
    expect(p).toMatch(/198\.51\.100\.1 is not in the switch's subnet 192\.0\.2\.0\/24/);
    expect(
      problems(lab('host: {}\nservices: {dhcp: {start: 192.0.2.40, end: 192.0.2.30}}')).join('\n'),
    ).toMatch(/before its start.*swap them/);
  });

  it('refuses an RA prefix that is not /64 or does not hold the host address', () => {
    expect(problems(lab('host: {}\nservices: {ra: {prefix: 2001:db8::/48}}')).join('\n')).toMatch(
      /SLAAC needs a \/64 prefix/,
    );
    expect(problems(lab('host: {}\nservices: {ra: {prefix: 2001:db8:5::/64}}')).join('\n')).toMatch(
      /is not in 2001:db8:5::\/64/,
    );
  });

  it('refuses an unknown service and a bad interface name', () => {
    expect(problems(lab('host: {}\nservices: {tftp: true}')).join('\n')).toMatch(/tftp/);
    expect(problems(lab('host: {name: this-name-is-too-long}')).join('\n')).toMatch(/IFNAMSIZ/);
  });
});
