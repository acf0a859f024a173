// The board kind's settings: defaults, the one port usb0, and one-sentence problems.
import { describe, expect, it } from 'vitest';
import { isolatedRefusal } from '../../../src/kinds/nodes/board/engine/index.js';
import { boardSchema } from '../../../src/kinds/nodes/board/definition.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';

function problems(yaml: string): string[] {
  const r = validateTopologyText(yaml, 't.yaml');
  return r.ok ? [] : r.problems.map((p) => p.message);
}

const lab = (board: string, links = '  - endpoints: [b1:usb0, sw]\n'): string =>
  `name: t\nnodes:\n  b1:\n${board}  sw: { kind: switch }\nlinks:\n${links}`;

describe('board topology', () => {
  it('defaults: detection for interface and serial, 115200 baud, no ready pattern', () => {
    expect(boardSchema.parse({ kind: 'board' })).toEqual({ kind: 'board', baud: 115200 });
  });

  it('accepts the full shape and links through usb0', () => {
    const yaml = lab(
      '    kind: board\n    interface: enx00005e005301\n    serial: /dev/ttyACM0\n    baud: 921600\n    ready: { pattern: "uart:~\\\\$", timeout: 10s }\n',
    );
    expect(problems(yaml)).toEqual([]);
    const r = validateTopologyText(yaml, 't.yaml');
    expect(r.ok && r.topology.nodes['b1']).toEqual({
      kind: 'board',
      interface: 'enx00005e005301',
      serial: '/dev/ttyACM0',
      baud: 921600,
      ready: { pattern: 'uart:~\\$', timeout: 10 },
    });
  });

  it('serial: none gives no console; a ready pattern then has nothing to match and is refused', () => {
    expect(problems(lab('    kind: board\n    serial: none\n'))).toEqual([]);
    expect(
      problems(lab('    kind: board\n    serial: none\n    ready: { pattern: booted }\n')),
    ).toEqual([
      'nodes.b1.ready.pattern: a ready pattern is matched on the console, and "serial: none" gives the board none; remove the pattern or name the serial console',
    ]);
  });

  it('refuses a port other than usb0, naming usb0', () => {
    const p = problems(lab('    kind: board\n', '  - endpoints: [b1:eth0, sw]\n'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/board "b1" has no port "eth0".*usb0/);
  });

  it('refuses a bare board endpoint with an example using usb0', () => {
    const p = problems(lab('    kind: board\n', '  - endpoints: [b1, sw]\n'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/b1:usb0/);
  });

  it('refuses bad values with one sentence each', () => {
    expect(problems(lab('    kind: board\n    serial: ttyACM0\n'))).toEqual([
      'nodes.b1.serial: "ttyACM0" is not a tty path; write an absolute path such as /dev/ttyACM0, or "none" for no console',
    ]);
    expect(problems(lab('    kind: board\n    baud: fast\n'))[0]).toMatch(
      /baud: baud rate must be a whole number from 50 to 4000000/,
    );
    expect(problems(lab('    kind: board\n    interface: "a b"\n'))[0]).toMatch(/interface/);
    expect(problems(lab('    kind: board\n    interface: averyveryverylongname0\n'))[0]).toMatch(
      /15/,
    );
    expect(problems(lab('    kind: board\n    mac: 00:00:5e:00:53:01\n'))[0]).toMatch(/mac/);
  });

  it('the isolated-mode refusal is one sentence naming --network host and CAP_NET_ADMIN', () => {
    const s = isolatedRefusal('b1');
    expect(s.split('\n')).toHaveLength(1);
    expect(s).toMatch(/^board node "b1" needs network mode "host"/);
    expect(s).toMatch(/--network host/);
    expect(s).toMatch(/CAP_NET_ADMIN/);
    expect(s).toMatch(/machine's own network namespace/);
  });
});
