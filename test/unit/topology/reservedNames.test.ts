// Interface names Linux or netweave keeps for itself are refused by validation, where they are
// written, instead of failing when the lab starts: one rule (checkPortName) for every place a
// port is named, mirrored in the JSON Schema.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PORT_NAME_PATTERN } from '../../../src/shared/topology/names.js';
import {
  checkPortName,
  formatProblem,
  RESERVED_PORT_NAMES,
  validateTopologyText,
} from '../../../src/shared/topology/index.js';

function problems(text: string): string[] {
  const result = validateTopologyText(text, 'lab.yaml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

const SCHEMA = fileURLToPath(new URL('../../../schema/netweave.schema.json', import.meta.url));

describe('reserved interface names', () => {
  it('refuses "lo" as a host interface, with its line and column and the reason', () => {
    const text = [
      'name: lab',
      'nodes:',
      '  h1:',
      '    kind: host',
      '    interfaces:',
      '      lo: {ipv4: 192.0.2.1/24}',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'lab.yaml:6:7: nodes.h1.interfaces.lo: interface name "lo" is reserved: every network namespace already has its loopback interface "lo"; pick another name, e.g. "eth0"',
    ]);
  });

  it('refuses it in a link endpoint, a route, a switch interface, a native-sim TAP and a QEMU NIC', () => {
    const text = [
      'name: lab',
      'nodes:',
      '  h1:',
      '    kind: host',
      '    interfaces: {eth0: {ipv4: 192.0.2.1/24}}',
      '    routes: [{to: default, via: 192.0.2.254, dev: lo}]',
      '  sw: {kind: switch, host: {name: nwout0}}',
      '  z1: {kind: native-sim, exe: zephyr.exe, ports: {eth0: {tap: all}}}',
      '  q1: {kind: qemu, board: qemu_x86, kernel: zephyr.elf, nics: {sit0: {}}}',
      'links:',
      '  - endpoints: [h1:lo, sw]',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'lab.yaml:6:51: nodes.h1.routes[0].dev: interface name "lo" is reserved: every network namespace already has its loopback interface "lo"; pick another name, e.g. "eth0"',
      'lab.yaml:7:35: nodes.sw.host.name: interface name "nwout0" is reserved: names starting with "nw" are for the bridges and TAPs netweave creates itself; pick another name, e.g. "eth0"',
      'lab.yaml:8:63: nodes.z1.ports.eth0.tap: interface name "all" is reserved: Linux refuses it as an interface name; pick another name, e.g. "eth0"',
      'lab.yaml:9:64: nodes.q1.nics.sit0: interface name "sit0" is reserved: Linux creates a tunnel device of that name in every network namespace once its module is loaded; pick another name, e.g. "eth0"',
      'lab.yaml:11:17: links[0].endpoints[0]: endpoint "h1:lo": port name "lo" is reserved: every network namespace already has its loopback interface "lo"; pick another name, e.g. "eth0"',
    ]);
  });

  it('refuses a native-sim TAP name that drvName and the port number make reserved or too long', () => {
    const text = [
      'name: lab',
      'nodes:',
      '  z1: {kind: native-sim, exe: zephyr.exe, drvName: tunl, ports: {eth0: {}, eth1: {}}}',
      '  z2: {kind: native-sim, exe: zephyr.exe, drvName: abcdefghijklmno, ports: {a: {}, b: {}}}',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'lab.yaml:3:52: nodes.z1.drvName: drvName "tunl" gives port "eth0" the TAP "tunl0", but TAP name "tunl0" is reserved: Linux creates a tunnel device of that name in every network namespace once its module is loaded; change drvName or give the port its own "tap:"',
      'lab.yaml:4:52: nodes.z2.drvName: drvName "abcdefghijklmno" gives port "a" the TAP "abcdefghijklmno0", but TAP name "abcdefghijklmno0" is 16 characters, over the Linux limit of 15 (IFNAMSIZ); change drvName or give the port its own "tap:"',
      'lab.yaml:4:52: nodes.z2.drvName: drvName "abcdefghijklmno" gives port "b" the TAP "abcdefghijklmno1", but TAP name "abcdefghijklmno1" is 16 characters, over the Linux limit of 15 (IFNAMSIZ); change drvName or give the port its own "tap:"',
    ]);
  });

  it('refuses every reserved name and the "nw" prefix, and nothing that merely contains them', () => {
    for (const name of [...RESERVED_PORT_NAMES, 'nw0', 'nwbr0', 'nwfab1', 'nwout0', 'nw1a2b3-sw']) {
      expect(checkPortName(name), name).toMatch(/ is reserved: /);
    }
    for (const name of ['eth0', 'lo0', 'loop', 'all0', 'sit1', 'tunl', 'NW0', 'enw0', 'default1']) {
      expect(checkPortName(name), name).toBeUndefined();
    }
  });

  it('is the same rule in the JSON Schema pattern, for ports and endpoints', () => {
    const port = new RegExp(PORT_NAME_PATTERN);
    for (const name of [...RESERVED_PORT_NAMES, 'nwbr0']) expect(port.test(name), name).toBe(false);
    for (const name of ['eth0', 'lo0', 'zeth', 'serial1', 'usb0'])
      expect(port.test(name), name).toBe(true);
    const schema = readFileSync(SCHEMA, 'utf8');
    const patterns = [
      ...schema.matchAll(/"pattern": "(\^\[A-Za-z0-9\]\[A-Za-z0-9_-\]\{0,31\}\(:[^"]*)"/g),
    ];
    expect(patterns.length).toBeGreaterThan(0);
    for (const [, source] of patterns) {
      const endpoint = new RegExp(JSON.parse(`"${source ?? ''}"`) as string);
      expect(endpoint.test('h1:eth0')).toBe(true);
      expect(endpoint.test('sw')).toBe(true);
      expect(endpoint.test('h1:lo')).toBe(false);
      expect(endpoint.test('h1:nwfab0')).toBe(false);
    }
    expect(schema).toContain(JSON.stringify(PORT_NAME_PATTERN));
  });
});
