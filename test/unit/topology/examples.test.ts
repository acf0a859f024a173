// The bundled example labs validate and resolve to the expected segments.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../src/engine/topology/index.js';
import { resolveSegments, validateTopologyText } from '../../../src/shared/topology/index.js';

const example = (name: string): string =>
  fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

describe('example topologies', () => {
  it('two-hosts.yaml validates with defaults applied', async () => {
    const result = await loadTopologyFile(example('two-hosts.yaml'));
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    const t = result.topology;
    expect(t.name).toBe('two-hosts');
    expect(t.network).toBe('isolated');
    expect(Object.keys(t.nodes)).toEqual(['h1', 'h2', 'sw']);
    expect(t.nodes.sw).toEqual({ kind: 'switch', aging: 300 });
    expect(t.links.map((l) => [l.kind, l.up])).toEqual([
      ['ethernet', true],
      ['ethernet', true],
    ]);
    expect(resolveSegments(t)).toEqual([
      {
        id: 'sw',
        ports: ['h1:eth0', 'h2:eth0'],
        switches: ['sw'],
        links: ['h1:eth0--sw', 'h2:eth0--sw'],
      },
    ]);
  });

  it('three-hosts.yaml puts h1, h2, h3 at .1 .2 .3 and ::1 ::2 ::3 on switch sw', () => {
    const file = example('three-hosts.yaml');
    const result = validateTopologyText(readFileSync(file, 'utf8'), file);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    const t = result.topology;
    expect(t.name).toBe('three-hosts');
    for (const n of [1, 2, 3]) {
      const node = t.nodes[`h${n}`];
      expect(node?.kind).toBe('host');
      if (node?.kind !== 'host') continue;
      expect(node.interfaces?.eth0).toEqual({
        ipv4: [`192.0.2.${n}/24`],
        ipv6: [`2001:db8::${n}/64`],
      });
    }
    const [segment, ...rest] = resolveSegments(t);
    expect(rest).toEqual([]);
    expect(segment?.ports).toEqual(['h1:eth0', 'h2:eth0', 'h3:eth0']);
    expect(segment?.switches).toEqual(['sw']);
  });
});
