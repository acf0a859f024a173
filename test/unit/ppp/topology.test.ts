// Topology validation of the ppp link kind: its one serial endpoint, the net-tools defaults,
// the pppd argv it leads to, and one located sentence for each wrong shape, including pppd
// options outside the allow-list (a topology never chooses a program pppd runs).
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  linkId,
  validateTopologyText,
  type Topology,
} from '../../../src/shared/topology/index.js';
import { parsePppdOption, type PppLinkSpec } from '../../../src/shared/topology/links/index.js';
import {
  PPPD_BASE_OPTIONS,
  pppdArgv,
  pppFrameMtu,
} from '../../../src/kinds/links/ppp/engine/index.js';

const NODES = `name: lab
nodes:
  z1: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}
  z2: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: 192.0.2.2/24}
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

function ppp(t: Topology, i = 0): PppLinkSpec {
  const link = t.links[i];
  if (link?.kind !== 'ppp') throw new Error('not a ppp link');
  return link;
}

/** The line the links start at (1-based) in NODES + links. */
const LINKS_LINE = NODES.split('\n').length;

describe('ppp link topology', () => {
  it("defaults to net-tools' addresses: pppd 192.0.2.2, the node 192.0.2.1", () => {
    const link = ppp(valid(`  - {kind: ppp, endpoints: [z1:serial1]}\n`));
    expect(link.local).toBe('192.0.2.2');
    expect(link.peer).toBe('192.0.2.1');
    expect(link.up).toBe(true);
    expect(linkId(link)).toBe('z1:serial1--ppp');
  });

  it('builds the pppd argv of Zephyr net-tools with notty, the options in order, and local:peer last', () => {
    const link = ppp(
      valid(
        `  - kind: ppp\n    endpoints: [z1:serial2]\n    local: 198.51.100.1\n    peer: 198.51.100.2\n    options: [debug, "mru 1280", "ms-dns 192.0.2.53"]\n`,
      ),
    );
    const argv = pppdArgv('/usr/sbin/pppd', link);
    expect(argv).toEqual([
      '/usr/sbin/pppd',
      ...PPPD_BASE_OPTIONS,
      'debug',
      'mru',
      '1280',
      'ms-dns',
      '192.0.2.53',
      '198.51.100.1:198.51.100.2',
    ]);
    for (const word of [
      'notty',
      'nodetach',
      'noauth',
      'local',
      'silent',
      'noaccomp',
      'nodefaultroute',
    ]) {
      expect(argv).toContain(word);
    }
    expect(argv.slice(argv.indexOf('logfd'), argv.indexOf('logfd') + 2)).toEqual(['logfd', '2']);
  });

  it('sizes fabric frames for the default MRU, or a larger mru option, plus the 4-byte header', () => {
    expect(pppFrameMtu(ppp(valid(`  - {kind: ppp, endpoints: [z1:serial1]}\n`)))).toBe(1504);
    expect(
      pppFrameMtu(ppp(valid(`  - {kind: ppp, endpoints: [z1:serial1], options: ["mru 4000"]}\n`))),
    ).toBe(4004);
  });

  it('has one endpoint, and says so for two', () => {
    expect(problems(`  - {kind: ppp, endpoints: [z1:serial1, sw]}\n`)).toEqual([
      `lab.yaml:${LINKS_LINE}:28: links[0].endpoints: a ppp link has one endpoint, a serial port (e.g. endpoints: [z1:serial1]); the far end is the engine's pppd, but this list has 2`,
    ]);
  });

  it('needs a serial port, not a NIC or an interface', () => {
    const [p] = problems(`  - {kind: ppp, endpoints: [h1:eth0]}\n`);
    expect(p).toMatch(
      /links\[0\]\.endpoints\[0\]: a ppp link starts at a serial port such as "z1:serial1", but "h1:eth0" is not one/,
    );
  });

  it('keeps one serial port on one link', () => {
    const [twice] = problems(
      `  - {kind: ppp, endpoints: [z1:serial1]}\n  - {kind: ppp, endpoints: [z1:serial1], local: 192.0.2.5, peer: 192.0.2.6}\n`,
    );
    expect(twice).toMatch(
      /links\[1\]\.endpoints: this link repeats links\[0\] \(z1:serial1--ppp\)/,
    );
    const [shared] = problems(
      `  - {kind: ppp, endpoints: [z1:serial1]}\n  - {kind: slip, endpoints: [z1:serial1, sw]}\n`,
    );
    expect(shared).toMatch(
      /links\[1\]\.endpoints\[0\]: port "z1:serial1" is already used by links\[0\]/,
    );
    valid(`  - {kind: ppp, endpoints: [z1:serial1]}\n  - {kind: ppp, endpoints: [z2:serial1]}\n`);
  });

  it('refuses a bad address and equal addresses, each with the fix', () => {
    expect(problems(`  - {kind: ppp, endpoints: [z1:serial1], local: 192.0.2.300}\n`)).toEqual([
      expect.stringMatching(
        /links\[0\]\.local: "192\.0\.2\.300" .*; write pppd's address as an IPv4 address such as 192\.0\.2\.2$/,
      ),
    ]);
    expect(problems(`  - {kind: ppp, endpoints: [z1:serial1], peer: 2001:db8::1}\n`)).toEqual([
      expect.stringMatching(/links\[0\]\.peer: .*write the node's address as an IPv4 address/),
    ]);
    expect(
      problems(`  - {kind: ppp, endpoints: [z1:serial1], local: 192.0.2.9, peer: 192.0.2.9}\n`),
    ).toEqual([
      expect.stringMatching(
        /links\[0\]\.peer: peer 192\.0\.2\.9 is also pppd's local address; give the two ends different addresses/,
      ),
    ]);
  });

  it('refuses pppd options that would run programs or read files, listing the allowed ones', () => {
    for (const bad of [
      'connect /bin/sh',
      'plugin rp-pppoe.so',
      'file /etc/shadow',
      'ip-up-script /tmp/x',
      'defaultroute',
      '; rm -rf /',
    ]) {
      const [p] = problems(
        `  - {kind: ppp, endpoints: [z1:serial1], options: [${JSON.stringify(bad)}]}\n`,
      );
      expect(p, bad).toMatch(
        /links\[0\]\.options\[0\]: ".*" is not a pppd option netweave passes on; allowed options are debug, /,
      );
    }
  });

  it('checks option values: none for flags, one valid value for the others', () => {
    expect(parsePppdOption('debug')).toEqual(['debug']);
    expect(parsePppdOption('  lcp-echo-interval   10 ')).toEqual(['lcp-echo-interval', '10']);
    expect(parsePppdOption('debug 3')).toBe(
      'pppd option debug takes no value, but "debug 3" gives one; write just debug',
    );
    expect(parsePppdOption('mru')).toBe(
      'pppd option mru needs a whole number from 128 to 16384 after it, e.g. "mru 1280", but "mru" has none',
    );
    expect(parsePppdOption('mru 99999')).toBe(
      'pppd option mru needs a whole number from 128 to 16384, not "99999"',
    );
    expect(parsePppdOption('ms-dns 1.2.3.4 5.6.7.8')).toMatch(/has more than one$/);
    expect(parsePppdOption('ifname ppp0;reboot')).toMatch(
      /^pppd option ifname needs an interface name/,
    );
    const [p] = problems(`  - {kind: ppp, endpoints: [z1:serial1], options: [debug, "mru abc"]}\n`);
    expect(p).toMatch(/links\[0\]\.options\[1\]: pppd option mru needs a whole number/);
  });
});
