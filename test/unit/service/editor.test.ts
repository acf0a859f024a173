// The editor's pure document functions: edits keep comments and formatting, links pick ports,
// impossible links are refused by validation, merges rename.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  addNode,
  connectNodes,
  mergeTopology,
  readGraph,
  radioRanges,
  removeNodes,
  renameNode,
  setValue,
} from '../../../src/shared/editor/index.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';
import { ROOT } from '../../helpers/cli.js';

const example = readFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), 'utf8');

describe('topology document edits', () => {
  test('an edit elsewhere keeps every comment and leaves other lines as written', () => {
    const next = setValue(example, ['nodes', 'h2', 'interfaces', 'eth0', 'mtu'], 1400);
    for (const line of example.split('\n')) {
      if (line.includes('#')) expect(next).toContain(line);
    }
    expect(next).toContain('mtu: 1400');
    expect(validateTopologyText(next, 'x.yaml').ok).toBe(true);
  });

  test('a new link declares the next free interface on a host and attaches bare to a switch', () => {
    let text = 'name: t\nnodes: {}\nlinks: []\n';
    text = addNode(text, 'h1', { kind: 'host' });
    text = addNode(text, 'sw1', { kind: 'switch' });
    const r = connectNodes(text, 'h1', 'sw1');
    expect(r.ok && r.endpoints).toEqual(['h1:eth0', 'sw1']);
    if (!r.ok) return;
    const again = connectNodes(r.text, 'h1', 'sw1');
    expect(again.ok && again.endpoints).toEqual(['h1:eth1', 'sw1']);
    expect(validateTopologyText(r.text, 'x.yaml').ok).toBe(true);
    expect(r.text).toMatch(/- endpoints: \[ h1:eth0, sw1 \]|- endpoints: \[h1:eth0, sw1\]/);
  });

  test('a declared but unlinked interface is reused before a new one is made', () => {
    const text =
      'name: t\nnodes:\n  h1: {kind: host, interfaces: {lan: {ipv4: [192.0.2.1/24]}}}\n  sw: {kind: switch}\n';
    const r = connectNodes(text, 'h1', 'sw');
    expect(r.ok && r.endpoints).toEqual(['h1:lan', 'sw']);
  });

  test('a link drawn to a radio medium is a uart-pipe-154 link from a free serial port', () => {
    let text = 'name: t\nnodes: {}\nlinks: []\n';
    text = addNode(text, 'z1', { kind: 'qemu', board: 'qemu_x86', kernel: 'zephyr.elf' });
    text = addNode(text, 'air', { kind: 'radio-154' });
    const r = connectNodes(text, 'z1', 'air');
    expect(r.ok && r.endpoints).toEqual(['z1:serial1', 'air']);
    if (!r.ok) return;
    expect(r.text).toMatch(/kind: uart-pipe-154/);
    expect(validateTopologyText(r.text, 'x.yaml').ok).toBe(true);
    // A host has no serial port: the refusal says what to connect instead.
    const h = connectNodes(addNode(r.text, 'h1', { kind: 'host' }), 'h1', 'air');
    expect(h.ok ? '' : h.reason).toMatch(/no serial port; connect a qemu node/);
  });

  test('members of a medium that delivers by range get its range drawn, unless pinned by positions', () => {
    const text = `name: t
nodes:
  z1: {kind: qemu, board: qemu_x86, kernel: a.elf}
  z2: {kind: qemu, board: qemu_x86, kernel: a.elf}
  z3: {kind: qemu, board: qemu_x86, kernel: a.elf}
  air: {kind: radio-154, delivery: range, range: 150, positions: {z3: [0, 0]}}
links:
  - {kind: uart-pipe-154, endpoints: [z1:serial1, air]}
  - {kind: uart-pipe-154, endpoints: [z2:serial1, air]}
  - {kind: uart-pipe-154, endpoints: [z3:serial1, air]}
`;
    expect([...radioRanges(readGraph(text))]).toEqual([
      ['z1', 150],
      ['z2', 150],
    ]);
    expect(radioRanges(readGraph(text.replace('delivery: range', 'delivery: all'))).size).toBe(0);
  });

  test('removing a node removes its links; renaming follows the endpoints', () => {
    const removed = removeNodes(example, ['h1']);
    expect(readGraph(removed).links.map((l) => l.id)).toEqual(['h2:eth0--sw']);
    const renamed = renameNode(example, 'sw', 'core');
    expect(readGraph(renamed).links.map((l) => l.id)).toEqual(['h1:eth0--core', 'h2:eth0--core']);
    expect(renamed).toContain('# examples/two-hosts.yaml');
  });

  test('a merge renames nodes that are taken and keeps links between them', () => {
    const merged = mergeTopology(example, example);
    expect(merged.nodes).toEqual(['h3', 'h4', 'sw1']);
    expect(readGraph(merged.text).links.map((l) => l.id)).toContain('h3:eth0--sw1');
  });
});
