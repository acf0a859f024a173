// Topology validation of the slip link kind: the shapes it accepts, its defaults, and one
// located sentence for each wrong shape.
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  linkId,
  validateTopologyText,
  type Topology,
} from '../../../src/shared/topology/index.js';
import { slipMtu, type SlipLinkSpec } from '../../../src/shared/topology/links/index.js';

const NODES = `name: lab
nodes:
  z1: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}
  z2: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}
  g1:
    kind: qemu
    binary: qemu-system-x86_64
    machine: q35
    kernel: vmlinuz
    nics: {eth0: {}}
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: 192.0.2.2/24}
      sl0: {ipv4: 192.0.2.2/24}
      tapmac: {mac: 00:00:5e:00:53:ff}
      big: {ipv4: 198.51.100.2/24, mtu: 1500}
      six: {ipv4: 203.0.113.2/24, ipv6: 2001:db8:200::2/64}
  sw: {kind: switch}
links:
`;

function valid(links: string): Topology {
  const r = validateTopologyText(`${NODES}${links}`, 'lab.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.topology;
}

function problems(links: string): string[] {
  const r = validateTopologyText(`${NODES}${links}`, 'lab.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

function slip(t: Topology, i = 0): SlipLinkSpec {
  const link = t.links[i];
  if (link?.kind !== 'slip') throw new Error('not a slip link');
  return link;
}

/** The line the links start at (1-based) in NODES + links. */
const LINKS_LINE = NODES.split('\n').length;

describe('slip link topology', () => {
  it('defaults to mode tap with MTU 1500 on a switch, and mode ip has MTU 576', () => {
    const t = valid(
      `  - {kind: slip, endpoints: [z1:serial1, sw]}\n  - {kind: slip, mode: ip, endpoints: [z2:serial1, h1:sl0]}\n`,
    );
    expect(slip(t, 0).mode).toBe('tap');
    expect(slipMtu(slip(t, 0))).toBe(1500);
    expect(slip(t, 1).mode).toBe('ip');
    expect(slipMtu(slip(t, 1))).toBe(576);
    expect(linkId(slip(t, 0))).toBe('z1:serial1--sw');
  });

  it('accepts SLIP-TAP to a host interface, to a qemu NIC, and between two serial ports', () => {
    valid(`  - {kind: slip, endpoints: [z1:serial1, h1:eth0]}\n`);
    valid(`  - {kind: slip, endpoints: [z1:serial2, g1:eth0]}\n`);
    const t = valid(`  - {kind: slip, mode: ip, mtu: 1006, endpoints: [z1:serial1, z2:serial1]}\n`);
    expect(slipMtu(slip(t))).toBe(1006);
    valid(`  - {kind: slip, endpoints: [z1:serial1, z2:serial3]}\n`);
  });

  it('refuses mode ip onto a switch, at the far endpoint, saying what to do', () => {
    expect(problems(`  - kind: slip\n    mode: ip\n    endpoints: [z1:serial1, sw]\n`)).toEqual([
      `lab.yaml:${LINKS_LINE + 2}:29: links[0].endpoints[1]: a slip link in mode ip carries raw IP packets, which only a host interface (it becomes a TUN, e.g. "h1:sl0") or another serial port can take, but "sw" is a switch; end the link at a host interface, or use mode: tap for Ethernet`,
    ]);
  });

  it('refuses mode ip onto a qemu NIC', () => {
    expect(problems(`  - {kind: slip, mode: ip, endpoints: [z1:serial1, g1:eth0]}\n`)).toEqual([
      `lab.yaml:${LINKS_LINE}:52: links[0].endpoints[1]: a slip link in mode ip carries raw IP packets, which only a host interface (it becomes a TUN, e.g. "h1:sl0") or another serial port can take, but "g1:eth0" is a port of qemu node "g1"; end the link at a host interface, or use mode: tap for Ethernet`,
    ]);
  });

  it('refuses a MAC on the interface that becomes a TUN, and an interface MTU above the link MTU', () => {
    expect(problems(`  - {kind: slip, mode: ip, endpoints: [z1:serial1, h1:tapmac]}\n`)).toEqual([
      `lab.yaml:${LINKS_LINE}:52: links[0].endpoints[1]: "h1:tapmac" becomes a raw-IP (TUN) interface on this mode ip slip link, which has no MAC address; remove mac from nodes.h1.interfaces.tapmac`,
    ]);
    expect(problems(`  - {kind: slip, mode: ip, endpoints: [z1:serial1, h1:big]}\n`)).toEqual([
      `lab.yaml:${LINKS_LINE}:52: links[0].endpoints[1]: nodes.h1.interfaces.big has mtu 1500, larger than this slip link's MTU 576; lower the interface's mtu or set the link's mtu to 1500`,
    ]);
    valid(`  - {kind: slip, mode: ip, mtu: 1500, endpoints: [z1:serial1, h1:big]}\n`);
  });

  it('refuses IPv6 on a raw-IP SLIP interface below 1280 bytes, and takes it at mtu 1280', () => {
    expect(problems(`  - {kind: slip, mode: ip, endpoints: [z1:serial1, h1:six]}\n`)).toEqual([
      `lab.yaml:${LINKS_LINE}:52: links[0].endpoints[1]: nodes.h1.interfaces.six has an IPv6 address, but IPv6 needs an MTU of at least 1280 and this raw-IP slip link's MTU is 576 (legacy SLIP's default is 576); drop the ipv6 address or set the link's mtu to 1280 to match a Zephyr build with that MTU`,
    ]);
    valid(`  - {kind: slip, mode: ip, mtu: 1280, endpoints: [z1:serial1, h1:six]}\n`);
  });

  it('names the valid modes for an unknown one', () => {
    expect(problems(`  - {kind: slip, mode: tun, endpoints: [z1:serial1, sw]}\n`)).toEqual([
      `lab.yaml:${LINKS_LINE}:24: links[0].mode: unknown SLIP mode "tun"; valid SLIP modes are tap, ip`,
    ]);
  });

  it('needs a serial port at the first endpoint', () => {
    const [p] = problems(`  - {kind: slip, endpoints: [h1:eth0, sw]}\n`);
    expect(p).toMatch(
      new RegExp(
        `^lab\\.yaml:${LINKS_LINE}:30: links\\[0\\]\\.endpoints\\[0\\]: a slip link starts at a serial port such as "z1:serial1", but "h1:eth0" is not one; serial ports here include z1:serial1, z2:serial1, g1:serial1$`,
      ),
    );
  });

  it('keeps serial ports away from ethernet links, and a serial port on one link', () => {
    const [eth] = problems(`  - {endpoints: [z1:serial1, sw]}\n`);
    expect(eth).toMatch(
      /"serial1" is a serial port, which only a (.*, )?slip(, .*)? link can use$/,
    );
    const [twice] = problems(
      `  - {kind: slip, endpoints: [z1:serial1, sw]}\n  - {kind: slip, endpoints: [z1:serial1, h1:eth0]}\n`,
    );
    expect(twice).toMatch(
      /links\[1\]\.endpoints\[0\]: port "z1:serial1" is already used by links\[0\]/,
    );
  });

  it('refuses an MTU below what IPv4 needs', () => {
    const [p] = problems(`  - {kind: slip, mtu: 20, endpoints: [z1:serial1, sw]}\n`);
    expect(p).toMatch(/links\[0\]\.mtu: /);
  });
});
