// Every malformed or inconsistent fixture yields exactly one problem, at the right place, with a
// message that names the key and the fix.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem, validateTopologyText } from '../../../src/shared/topology/index.js';

const BAD_DIR = fileURLToPath(new URL('../../fixtures/topology/bad/', import.meta.url));

interface Expectation {
  file: string;
  line: number;
  column: number;
  message: string;
  path?: (string | number)[];
  choices?: string[];
}

const CASES: Expectation[] = [
  {
    file: 'yaml-syntax.yaml',
    line: 7,
    column: 15,
    message: 'YAML syntax error: the list opened with "[" here is not closed; add "]"',
  },
  {
    file: 'tab-indent.yaml',
    line: 3,
    column: 1,
    message: 'tabs are not allowed as indentation; indent with spaces',
  },
  {
    file: 'duplicate-key.yaml',
    line: 7,
    column: 3,
    message: 'nodes.h1: duplicate key "h1"',
    path: ['nodes', 'h1'],
  },
  {
    file: 'unresolved-alias.yaml',
    line: 3,
    column: 7,
    message: 'alias "*switch" has no matching anchor',
  },
  { file: 'empty.yaml', line: 1, column: 1, message: 'the file is empty' },
  {
    file: 'unknown-top-level-key.yaml',
    line: 5,
    column: 1,
    message:
      'labels: unknown key "labels"; valid keys at the top level are name, network, nodes, links, faults',
    choices: ['name', 'network', 'nodes', 'links', 'faults'],
  },
  {
    file: 'missing-name.yaml',
    line: 2,
    column: 1,
    message: 'name: required key is missing; add a lab name',
  },
  {
    file: 'bad-lab-name.yaml',
    line: 1,
    column: 7,
    message: 'name: lab name "my lab!" contains " " and "!"; use 1-32 letters',
  },
  {
    file: 'unknown-kind.yaml',
    line: 4,
    column: 11,
    message:
      'nodes.h1.kind: unknown kind "hots"; valid kinds are host, switch, native-sim, fvp, qemu, board, radio-154',
    path: ['nodes', 'h1', 'kind'],
    choices: ['host', 'switch', 'native-sim', 'fvp', 'qemu', 'board', 'radio-154'],
  },
  {
    file: 'missing-kind.yaml',
    line: 3,
    column: 3,
    message:
      'nodes.h1.kind: required key is missing; add kind: with one of host, switch, native-sim, fvp, qemu, board, radio-154',
    choices: ['host', 'switch', 'native-sim', 'fvp', 'qemu', 'board', 'radio-154'],
  },
  {
    file: 'unknown-host-key.yaml',
    line: 5,
    column: 5,
    message: 'nodes.h1.interface: unknown key "interface"; valid keys are kind, interfaces, routes',
  },
  {
    file: 'unknown-network.yaml',
    line: 2,
    column: 10,
    message: 'network: unknown network mode "bridge"; valid network modes are isolated, host',
    choices: ['isolated', 'host'],
  },
  {
    file: 'bad-ipv4.yaml',
    line: 7,
    column: 30,
    message:
      'nodes.h1.interfaces.eth0.ipv4[1]: "192.0.2.300/24" has octet 300, outside 0-255; write an IPv4 address',
    path: ['nodes', 'h1', 'interfaces', 'eth0', 'ipv4', 1],
  },
  {
    file: 'bad-prefix.yaml',
    line: 7,
    column: 15,
    message: 'ipv4: "192.0.2.1/33" has prefix /33, outside 0-32',
  },
  {
    file: 'bad-ipv6.yaml',
    line: 9,
    column: 13,
    message: 'ipv6[1]: "2001:db8::g1/64" has group "g1", which is not 1-4 hexadecimal digits',
  },
  {
    file: 'bad-mac.yaml',
    line: 7,
    column: 14,
    message: 'mac: "00:00:5e:00:53" has 5 groups where a MAC address has 6',
  },
  {
    file: 'ipv4-garbage-type.yaml',
    line: 7,
    column: 15,
    message:
      'ipv4: expected an IPv4 address with prefix length (e.g. 192.0.2.1/24) or a list of them, got a map',
  },
  {
    file: 'mtu-out-of-range.yaml',
    line: 5,
    column: 10,
    message: 'nodes.sw.mtu: MTU must be a whole number from 68 to 65535, got the number 9',
  },
  {
    file: 'setup-string-command.yaml',
    line: 6,
    column: 9,
    message: 'setup[0]: expected a command as a list of arguments',
  },
  {
    file: 'env-number.yaml',
    line: 6,
    column: 14,
    message: 'env.DEBUG: expected a string (quote numbers and booleans), got the number 1',
  },
  {
    file: 'interface-name-too-long.yaml',
    line: 6,
    column: 7,
    message:
      'interface name "eth0123456789abc" is 16 characters, over the Linux limit of 15 (IFNAMSIZ)',
  },
  {
    file: 'interface-name-slash.yaml',
    line: 6,
    column: 7,
    message: 'nodes.h1.interfaces["eth/0"]: interface name "eth/0" contains "/"',
  },
  {
    file: 'node-name-shell.yaml',
    line: 3,
    column: 3,
    message: 'node name "$(rm -rf)" contains "$", "(", " " and ")"',
  },
  {
    file: 'node-name-semicolon.yaml',
    line: 3,
    column: 3,
    message: 'node name "sw;reboot" contains ";"',
  },
  {
    file: 'node-name-dotdot.yaml',
    line: 3,
    column: 3,
    message: 'node name "../etc" contains "." and "/"',
  },
  {
    file: 'unknown-link-kind.yaml',
    line: 9,
    column: 11,
    message: 'links[0].kind: unknown link kind "pigeon"; valid link kinds are ethernet',
  },
  {
    file: 'one-endpoint.yaml',
    line: 8,
    column: 16,
    message: 'links[0].endpoints: a link has exactly two endpoints but this list has 1',
  },
  {
    file: 'undefined-node.yaml',
    line: 14,
    column: 26,
    message: 'links[0].endpoints[1]: node "h3" is not defined; defined nodes are h1, h2, sw',
    path: ['links', 0, 'endpoints', 1],
    choices: ['h1', 'h2', 'sw'],
  },
  {
    file: 'port-used-twice.yaml',
    line: 15,
    column: 26,
    message: 'links[1].endpoints[1]: port "h1:eth0" is already used by links[0] (h1:eth0--sw)',
  },
  {
    file: 'same-node.yaml',
    line: 9,
    column: 26,
    message: 'links[0].endpoints[1]: both ends of this link are on node "h1"',
  },
  {
    file: 'port-on-switch.yaml',
    line: 10,
    column: 26,
    message: 'switch ports are implicit; write the bare name "sw"',
  },
  {
    file: 'bare-non-switch.yaml',
    line: 10,
    column: 17,
    message: '"h1" is a host, which links through a named port; use node:port, e.g. "h1:eth0"',
  },
  {
    file: 'undeclared-interface.yaml',
    line: 10,
    column: 17,
    message:
      'host "h1" has no interface "eth1"; declare it under nodes.h1.interfaces or use one of eth0',
  },
  {
    file: 'duplicate-link-name.yaml',
    line: 12,
    column: 11,
    message: 'links[1].name: link name "trunk" is already used by links[0]',
  },
  {
    file: 'switch-loop.yaml',
    line: 9,
    column: 5,
    message: 'links[1]: this link closes a loop between sw2 and sw1',
  },
  {
    file: 'duplicate-address-switch.yaml',
    line: 12,
    column: 16,
    message:
      'nodes.h2.interfaces.eth0.ipv4[0]: address 192.0.2.1 is already used by h1:eth0 on the same segment (switch sw)',
  },
  {
    file: 'duplicate-address-link.yaml',
    line: 12,
    column: 15,
    message:
      'address 2001:db8::1 is already used by h1:eth0 on the same segment (link h1:eth0--h2:eth0)',
  },
  {
    file: 'duplicate-mac.yaml',
    line: 12,
    column: 14,
    message: 'MAC address 00:00:5e:00:53:01 is already used by h1:eth0',
  },
  {
    file: 'gateway-off-subnet.yaml',
    line: 10,
    column: 14,
    message:
      'routes[0].via: gateway 198.51.100.1 is not on a subnet of any interface of h1 (192.0.2.0/24)',
  },
  {
    file: 'route-host-bits.yaml',
    line: 9,
    column: 13,
    message:
      'routes[0].to: destination 198.51.100.7/24 has host bits set; write the network 198.51.100.0/24',
  },
];

describe('malformed topology fixtures', () => {
  it('has a table entry for every fixture file (and a file for every entry)', () => {
    const files = readdirSync(BAD_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(CASES.map((c) => c.file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES)('$file: one problem at $line:$column', (c) => {
    const result = validateTopologyText(readFileSync(BAD_DIR + c.file, 'utf8'), c.file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map(formatProblem)).toHaveLength(1);
    const [problem] = result.problems;
    expect(problem).toMatchObject({ file: c.file, line: c.line, column: c.column });
    expect(problem?.message).toContain(c.message);
    if (c.path) expect(problem?.path).toEqual(c.path);
    if (c.choices) expect(problem?.choices).toEqual(c.choices);
    // One sentence: no stack trace, no line breaks.
    expect(problem?.message).not.toMatch(/\n|\bat .+:\d+:\d+\)/);
    expect(formatProblem(problem!)).toBe(`${c.file}:${c.line}:${c.column}: ${problem?.message}`);
  });
});
