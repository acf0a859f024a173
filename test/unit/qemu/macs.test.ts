// MAC allocation: distinct, deterministic, in 00:00:5e:00:53:00-fe, skipping the file's MACs.
import { describe, expect, it } from 'vitest';
import { allocateMacs } from '../../../src/kinds/nodes/qemu/engine/macs.js';
import { validateTopologyText, type Topology } from '../../../src/shared/topology/index.js';

function topology(yaml: string): Topology {
  const r = validateTopologyText(yaml, 't.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.topology;
}

const guest = (name: string, nics: string): string =>
  `  ${name}:\n    kind: qemu\n    board: qemu_x86\n    kernel: k\n    nics: ${nics}\n`;

describe('MAC allocation', () => {
  it('gives every NIC its own address in node then NIC order, the same on every run', () => {
    const t = topology(
      `name: t\nnodes:\n${guest('a', '{eth0: {}, eth1: {}}')}${guest('b', '{eth0: {}}')}`,
    );
    const first = allocateMacs(t);
    expect(first).toEqual(
      new Map([
        ['a:eth0', '00:00:5e:00:53:00'],
        ['a:eth1', '00:00:5e:00:53:01'],
        ['b:eth0', '00:00:5e:00:53:02'],
      ]),
    );
    expect(allocateMacs(t)).toEqual(first);
  });

  it("keeps the file's MACs and never hands out one the file uses elsewhere", () => {
    const t = topology(
      `name: t\nnodes:\n${guest('a', '{eth0: {mac: "00:00:5E:00:53:01"}, eth1: {}}')}${guest('b', '{eth0: {}}')}  h: {kind: host, interfaces: {eth0: {mac: "00:00:5e:00:53:00"}}}\n`,
    );
    expect(allocateMacs(t)).toEqual(
      new Map([
        ['a:eth0', '00:00:5e:00:53:01'],
        ['a:eth1', '00:00:5e:00:53:02'],
        ['b:eth0', '00:00:5e:00:53:03'],
      ]),
    );
  });

  it('never uses :ff and says so in one sentence when the block runs out', () => {
    const nics = `{${Array.from({ length: 8 }, (_, i) => `e${i}: {}`).join(', ')}}`;
    const nodes = Array.from({ length: 32 }, (_, i) => guest(`g${i}`, nics)).join('');
    const r = allocateMacs(topology(`name: t\nnodes:\n${nodes}`));
    expect(r).toMatch(
      /more QEMU NICs than the 255 addresses of 00:00:5e:00:53:00-fe; set mac: on some NICs/,
    );
    const fits = allocateMacs(
      topology(
        `name: t\nnodes:\n${Array.from({ length: 31 }, (_, i) => guest(`g${i}`, nics)).join('')}${guest('x', '{a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}}')}`,
      ),
    );
    if (typeof fits === 'string') throw new Error(fits);
    expect([...fits.values()]).not.toContain('00:00:5e:00:53:ff');
    expect(new Set(fits.values()).size).toBe(255);
  });
});
