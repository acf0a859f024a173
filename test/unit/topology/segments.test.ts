// resolveSegments: which ports share a broadcast domain.
import { describe, expect, it } from 'vitest';
import {
  resolveSegments,
  validateTopologyText,
  type Topology,
} from '../../../src/shared/topology/index.js';

function topology(text: string): Topology {
  const result = validateTopologyText(text, 'lab.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.topology;
}

describe('resolveSegments', () => {
  it('joins switches chained by links into one segment and keeps direct links apart', () => {
    const t = topology(`
name: lab
nodes:
  a: {kind: host, interfaces: {eth0: {}, eth1: {}}}
  b: {kind: host, interfaces: {eth0: {}, eth1: {}}}
  c: {kind: host, interfaces: {eth0: {}}}
  sw2: {kind: switch}
  sw1: {kind: switch}
  lonely: {kind: switch}
links:
  - endpoints: [a:eth0, sw1]
  - endpoints: [sw1, sw2]
  - endpoints: [b:eth0, sw2]
  - endpoints: [a:eth1, b:eth1]
  - {name: c-up, endpoints: [sw2, c:eth0]}
`);
    expect(resolveSegments(t)).toEqual([
      {
        id: 'sw1',
        ports: ['a:eth0', 'b:eth0', 'c:eth0'],
        switches: ['sw1', 'sw2'],
        links: ['a:eth0--sw1', 'sw1--sw2', 'b:eth0--sw2', 'c-up'],
      },
      {
        id: 'a:eth1--b:eth1',
        ports: ['a:eth1', 'b:eth1'],
        switches: [],
        links: ['a:eth1--b:eth1'],
      },
      { id: 'lonely', ports: [], switches: ['lonely'], links: [] },
    ]);
  });
});
