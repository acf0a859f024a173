// Validation of radio-154 nodes and uart-pipe-154 links: what is accepted, and one clear
// sentence for each mistake.
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  validateTopologyText,
  type Topology,
} from '../../../src/shared/topology/index.js';

function valid(text: string): Topology {
  const result = validateTopologyText(text, 'lab.yaml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.topology;
}

function problems(text: string): string[] {
  const result = validateTopologyText(text, 'lab.yaml');
  return result.ok ? [] : result.problems.map((p) => p.message);
}

const Z = (name: string): string =>
  `  ${name}: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}\n`;

/** Three radios on medium "air" with `air` settings (YAML flow map body) and extra links. */
function lab(air: string, extraLinks = '', extraNodes = ''): string {
  return `name: radio
nodes:
${Z('z1')}${Z('z2')}${Z('z3')}  air: {kind: radio-154${air ? `, ${air}` : ''}}
${extraNodes}links:
  - {kind: uart-pipe-154, endpoints: [z1:serial1, air]}
  - {kind: uart-pipe-154, endpoints: [z2:serial1, air]}
  - {kind: uart-pipe-154, endpoints: [z3:serial2, air]}
${extraLinks}`;
}

describe('radio-154 validation', () => {
  it('accepts a medium with three members and defaults to delivery all', () => {
    const t = valid(lab(''));
    expect(t.nodes.air).toEqual({ kind: 'radio-154', delivery: 'all' });
    expect(t.links[0]).toEqual({
      kind: 'uart-pipe-154',
      endpoints: ['z1:serial1', 'air'],
      up: true,
    });
  });

  it('accepts a matrix, a range with positions, and a seed', () => {
    valid(lab('delivery: matrix, matrix: {z1: {z2: 1, z3: 0}, z2: {z1: 0.5}}, seed: 42'));
    valid(lab('delivery: range, range: 150, positions: {z1: [0, 0], z2: [100, 0.5]}'));
    valid(lab('delivery: range, range: 150')); // positions from the canvas at deploy
  });

  it('accepts impairments per sender -> receiver pair on top of any delivery model', () => {
    const t = valid(lab('impair: {"z1->z2": "loss=20%", "z3->z1": "delay=20ms rate=250kbit"}'));
    expect(t.nodes.air).toMatchObject({
      impair: { 'z1->z2': 'loss=20%', 'z3->z1': 'delay=20ms rate=250kbit' },
    });
    valid(lab('delivery: range, range: 150, impair: {"z2->z1": "loss=5%"}'));
  });

  it('refuses a pair that is not two members, and a setting netem would not take', () => {
    expect(
      problems(
        lab(
          'impair: {"z1->z9": "loss=20%", "z1": "loss=1%", "z2->z2": "loss=1%", "z2->z3": "loss=lots"}',
        ),
      ),
    ).toEqual([
      'nodes.air.impair["z1->z9"]: "z9" is not a member of radio-154 "air"; members are z1, z2, z3 (nodes joined to it by uart-pipe-154 links)',
      'nodes.air.impair.z1: "z1" is not a pair of two members; write SENDER->RECEIVER, e.g. "z1->z2"',
      'nodes.air.impair["z2->z2"]: "z2->z2" is not a pair of two members; write SENDER->RECEIVER, e.g. "z1->z2"',
      expect.stringMatching(/^nodes\.air\.impair\["z2->z3"\]: loss "lots" is not a percentage/),
    ]);
  });

  it('refuses a probability outside 0..1', () => {
    expect(problems(lab('delivery: matrix, matrix: {z1: {z2: 1.5}}'))).toEqual([
      'nodes.air.matrix.z1.z2: a probability is from 0 to 1, got the number 1.5',
    ]);
  });

  it('refuses names in the matrix and positions that are not members', () => {
    expect(problems(lab('delivery: matrix, matrix: {z1: {z9: 1}, z8: {z1: 1}}'))).toEqual([
      'nodes.air.matrix.z1.z9: "z9" is not a member of radio-154 "air"; members are z1, z2, z3 (nodes joined to it by uart-pipe-154 links)',
      'nodes.air.matrix.z8: "z8" is not a member of radio-154 "air"; members are z1, z2, z3 (nodes joined to it by uart-pipe-154 links)',
    ]);
    expect(problems(lab('delivery: range, range: 10, positions: {h1: [0, 0]}'))).toEqual([
      'nodes.air.positions.h1: "h1" is not a member of radio-154 "air"; members are z1, z2, z3 (nodes joined to it by uart-pipe-154 links)',
    ]);
  });

  it('refuses settings of another delivery model, and a model without its settings', () => {
    expect(problems(lab('matrix: {z1: {z2: 1}}'))).toEqual([
      'nodes.air.matrix: matrix is used only with delivery: matrix, but delivery is all; set delivery: matrix or remove matrix',
    ]);
    expect(problems(lab('delivery: matrix, range: 5'))).toEqual([
      'nodes.air.delivery: delivery: matrix needs a matrix of probabilities; add matrix: {SENDER: {RECEIVER: 0..1}}, e.g. matrix: {z1: {z2: 1}}',
      'nodes.air.range: range is used only with delivery: range, but delivery is matrix; set delivery: range or remove range',
    ]);
    expect(problems(lab('delivery: range'))).toEqual([
      'nodes.air.delivery: delivery: range needs the distance at which members still hear each other; add range: in canvas units, e.g. range: 150',
    ]);
    expect(problems(lab('delivery: radio'))[0]).toMatch(
      /unknown delivery model "radio"; valid delivery models are all, matrix, range/,
    );
  });

  it('refuses a member hearing itself in the matrix', () => {
    expect(problems(lab('delivery: matrix, matrix: {z1: {z1: 1}}'))).toEqual([
      'nodes.air.matrix.z1.z1: a member does not hear its own frames, so z1 -> z1 has no meaning; remove it',
    ]);
  });

  it('refuses two serial ports of one node on the same medium', () => {
    expect(problems(lab('', '  - {kind: uart-pipe-154, endpoints: [z1:serial2, air]}\n'))).toEqual([
      'links[3].endpoints[0]: node "z1" already joins radio-154 "air" through links[0]; a node has one radio, so remove one of the two links',
    ]);
  });

  it('refuses other link kinds on a medium', () => {
    expect(
      problems(
        lab('', '  - endpoints: [h1:eth0, air]\n', '  h1: {kind: host, interfaces: {eth0: {}}}\n'),
      ),
    ).toEqual([
      'links[3].endpoints[1]: radio-154 "air" is joined only by uart-pipe-154 links, but this link is of kind ethernet; write kind: uart-pipe-154',
    ]);
  });

  it('refuses a uart-pipe-154 link that does not start at a serial port or does not end at a medium', () => {
    expect(
      problems(
        lab(
          '',
          '  - {kind: uart-pipe-154, endpoints: [z1:serial3, sw]}\n',
          '  sw: {kind: switch}\n',
        ),
      ),
    ).toEqual([
      'links[3].endpoints[1]: a uart-pipe-154 link joins a serial port to a radio-154 medium, but "sw" is a switch; add a node of kind radio-154 (e.g. "air") and write its bare name here',
    ]);
    expect(
      problems(lab('', '  - {kind: uart-pipe-154, endpoints: [z1:serial3, z2:serial3]}\n')),
    ).toEqual([
      'links[3].endpoints[1]: a uart-pipe-154 link joins a serial port to a radio-154 medium, but "z2:serial3" is a port of qemu "z2"; add a node of kind radio-154 (e.g. "air") and write its bare name here',
    ]);
    expect(problems(lab('', '  - {kind: uart-pipe-154, endpoints: [air, z1:serial3]}\n'))).toEqual([
      'links[3].endpoints[0]: a uart-pipe-154 link starts at a serial port such as "z1:serial1", but "air" is not one; serial ports here include z1:serial1, z2:serial1, z3:serial1',
    ]);
  });
});
