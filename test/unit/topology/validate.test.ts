// Behaviour of validateTopologyText beyond the bad fixtures: what is accepted, defaults, and
// that garbage never throws.
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  linkId,
  NODE_KIND_NAMES,
  parseEndpoint,
  checkEndpoint,
  validateTopologyText,
  type Topology,
  type TopologyResult,
} from '../../../src/shared/topology/index.js';

function valid(text: string): Topology {
  const result = validateTopologyText(text, 'lab.yaml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.topology;
}

function problems(text: string): string[] {
  const result: TopologyResult = validateTopologyText(text, 'lab.yaml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

const HOSTS = `
name: lab
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: 192.0.2.1/24, ipv6: [2001:db8::1/64], mac: 00:00:5E:00:53:01, mtu: 1500}
      eth1: {}
  h2:
    kind: host
    interfaces:
      eth0: {ipv4: [192.0.2.2/24]}
`;

describe('validateTopologyText', () => {
  it('accepts a direct host-to-host link, one address as a string, and an unlinked interface', () => {
    const t = valid(`${HOSTS}links:\n  - endpoints: [h1:eth0, h2:eth0]\n`);
    const h1 = t.nodes.h1;
    expect(h1?.kind === 'host' && h1.interfaces?.eth0?.ipv4).toBe('192.0.2.1/24');
    expect(h1?.kind === 'host' && h1.shell).toEqual(['/bin/sh']);
    expect(linkId(t.links[0]!)).toBe('h1:eth0--h2:eth0');
  });

  it('accepts the same address on different segments and on unlinked interfaces', () => {
    valid(`
name: lab
nodes:
  a: {kind: host, interfaces: {eth0: {ipv4: 192.0.2.1/24}, eth1: {ipv4: 192.0.2.9/24}}}
  b: {kind: host, interfaces: {eth0: {ipv4: 192.0.2.1/24}, eth1: {ipv4: 192.0.2.9/24}}}
  c: {kind: host, interfaces: {eth0: {ipv4: 192.0.2.2/24}}}
  d: {kind: host, interfaces: {eth0: {ipv4: 192.0.2.2/24}}}
links:
  - endpoints: [a:eth0, c:eth0]
  - endpoints: [b:eth0, d:eth0]
`);
  });

  it('accepts a link between two bare switch names and names links', () => {
    const t = valid(`
name: lab
network: host
nodes:
  sw1: {kind: switch, aging: 60}
  sw2: {kind: switch, mtu: 9000}
links:
  - {name: trunk, endpoints: [sw1, sw2], mtu: 9000, up: false, kind: ethernet}
`);
    expect(t.network).toBe('host');
    expect(t.links[0]).toEqual({
      name: 'trunk',
      kind: 'ethernet',
      endpoints: ['sw1', 'sw2'],
      mtu: 9000,
      up: false,
    });
    expect(linkId(t.links[0]!)).toBe('trunk');
  });

  it('finds a duplicate address across two switches joined by a link', () => {
    expect(
      problems(`
name: lab
nodes:
  a: {kind: host, interfaces: {eth0: {ipv4: 192.0.2.1/24}}}
  b: {kind: host, interfaces: {eth0: {ipv4: 192.0.2.1/24}}}
  sw1: {kind: switch}
  sw2: {kind: switch}
links:
  - endpoints: [a:eth0, sw1]
  - endpoints: [sw1, sw2]
  - endpoints: [sw2, b:eth0]
`),
    ).toEqual([
      'lab.yaml:5:45: nodes.b.interfaces.eth0.ipv4: address 192.0.2.1 is already used by a:eth0 on the same segment (switches sw1, sw2); give each interface its own address',
    ]);
  });

  it('accepts routes, setup, env, restart and ready, converting the timeout to seconds', () => {
    const t = valid(`
name: lab
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: [192.0.2.1/24], ipv6: [2001:db8::1/64]}
    routes:
      - {to: default, via: 192.0.2.254}
      - {to: 198.51.100.0/24, via: 192.0.2.253, dev: eth0}
      - {to: default, via: "fe80::1", dev: eth0}
      - {to: 2001:db8:100::/64, via: 2001:db8::fe}
    setup:
      - [ip, link, set, eth0, up]
    shell: [/bin/bash, -l]
    env: {ZEPHYR_BASE: /opt/zephyr, DEBUG: "1"}
    restart: on-failure
    ready: {pattern: "^ready$", timeout: 1500ms}
`);
    const h1 = t.nodes.h1;
    if (h1?.kind !== 'host') throw new Error('h1 is a host');
    expect(h1.ready).toEqual({ pattern: '^ready$', timeout: 1.5 });
    expect(h1.shell).toEqual(['/bin/bash', '-l']);
    expect(h1.restart).toBe('on-failure');
  });

  it('reports a route through an interface the host does not have, with the choices', () => {
    const result = validateTopologyText(
      'name: lab\nnodes:\n  h1:\n    kind: host\n    interfaces: {eth0: {ipv4: 192.0.2.1/24}}\n    routes:\n      - {to: default, via: 192.0.2.254, dev: eth9}\n',
      'lab.yaml',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      {
        file: 'lab.yaml',
        line: 7,
        column: 46,
        path: ['nodes', 'h1', 'routes', 0, 'dev'],
        message: 'nodes.h1.routes[0].dev: host "h1" has no interface "eth9"; use one of eth0',
        choices: ['eth0'],
      },
    ]);
  });

  it('reports independent mistakes together, in file order', () => {
    expect(
      problems(`
name: lab
nodes:
  h1: {kind: host, interfaces: {eth0: {}}}
  sw: {kind: switch}
links:
  - endpoints: [h1:eth0, nope]
  - endpoints: [h1, sw]
`),
    ).toEqual([
      'lab.yaml:7:26: links[0].endpoints[1]: node "nope" is not defined; defined nodes are h1, sw',
      'lab.yaml:8:17: links[1].endpoints[0]: "h1" is a host, which links through a named port; use node:port, e.g. "h1:eth0"',
    ]);
  });

  it('lists the registered kinds in kind errors', () => {
    expect(NODE_KIND_NAMES).toEqual([
      'host',
      'switch',
      'native-sim',
      'fvp',
      'qemu',
      'board',
      'radio-154',
    ]);
  });

  it('never throws, whatever the input', () => {
    const inputs = [
      '',
      '\u0000\u0001',
      '[',
      '{}',
      '42',
      'name: x\nnodes: 5\nlinks: nope\n',
      'name: x\nnodes:\n  h1: [1, 2]\n',
      'a: &a [*a]\n',
      '? [complex, key]\n: value\n',
      'name: x\nnodes: {}\nlinks:\n  - 7\n  - {endpoints: 3}\n  - {endpoints: [a, b, c]}\n',
      `${'- '.repeat(2000)}x`,
    ];
    for (const text of inputs) {
      const result = validateTopologyText(text, 'x.yaml');
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.problems.length).toBeGreaterThan(0);
      for (const p of result.problems) {
        expect(p.line).toBeGreaterThanOrEqual(1);
        expect(p.column).toBeGreaterThanOrEqual(1);
        expect(p.message).not.toContain('\n');
      }
    }
  });
});

describe('node names that are also names of object properties', () => {
  it('refuses a link to an undefined node called "constructor" or "toString"', () => {
    expect(
      problems(
        'name: lab\nnodes:\n  h1: {kind: host, interfaces: {eth0: {}, eth1: {}}}\nlinks:\n  - endpoints: [h1:eth0, constructor]\n  - endpoints: [h1:eth1, toString:eth0]\n',
      ),
    ).toEqual([
      'lab.yaml:5:26: links[0].endpoints[1]: node "constructor" is not defined; defined nodes are h1',
      'lab.yaml:6:26: links[1].endpoints[1]: node "toString" is not defined; defined nodes are h1',
    ]);
  });

  it('accepts a radio matrix row named "constructor" that does not list itself', () => {
    valid(`
name: lab
nodes:
  constructor: {kind: qemu, board: qemu_x86, kernel: z.elf}
  z2: {kind: qemu, board: qemu_x86, kernel: z.elf}
  air: {kind: radio-154, delivery: matrix, matrix: {constructor: {z2: 1}, z2: {constructor: 1}}}
links:
  - {kind: uart-pipe-154, endpoints: ["constructor:serial2", air]}
  - {kind: uart-pipe-154, endpoints: ["z2:serial2", air]}
`);
  });
});

describe('endpoints', () => {
  it('parses node:port and bare names', () => {
    expect(parseEndpoint('h1:eth0')).toEqual({ node: 'h1', port: 'eth0' });
    expect(parseEndpoint('sw')).toEqual({ node: 'sw' });
    expect(parseEndpoint('h1:')).toBeUndefined();
    expect(parseEndpoint('../x:eth0')).toBeUndefined();
    expect(parseEndpoint('h1:..')).toBeUndefined();
  });

  it('explains why an endpoint is invalid', () => {
    const checked = checkEndpoint('h1:eth0;reboot');
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toContain('port name "eth0;reboot" contains ";"');
  });
});
