// Every node and link kind the topology schema accepts has its engine side, registered under its
// own name, and every node kind names an icon the UI has. (The registries are typed by the kind
// names, so a kind missing its engine side is already a compile error; this test says which.)
import { describe, expect, it } from 'vitest';
import { linkKind, linkKinds } from '../../../src/engine/links/registry.js';
import { nodeKind, nodeKinds } from '../../../src/engine/nodes/registry.js';
import { renderJsonSchema } from '../../../src/engine/topology/jsonSchema.js';
import { LINK_KIND_NAMES, NODE_KINDS } from '../../../src/shared/topology/index.js';
import { EngineError } from '../../../src/shared/contract.js';
import { NODE_KIND_FACTS } from '../../../src/shared/topology/kinds/facts.js';

describe('kind registries', () => {
  it('give every node kind of the schema an engine side', () => {
    expect(nodeKinds().sort()).toEqual(NODE_KINDS.map((k) => k.kind).sort());
    for (const k of NODE_KINDS) expect(typeof nodeKind(k.kind).instantiate).toBe('function');
  });

  it('give every link kind of the schema an engine side', () => {
    expect(linkKinds().sort()).toEqual([...LINK_KIND_NAMES].sort());
    for (const k of LINK_KIND_NAMES) expect(typeof linkKind(k).instantiate).toBe('function');
  });

  it('name an icon for every node kind and put every kind in the JSON Schema', () => {
    const icons = new Set(['host', 'switch', 'radio', 'sim', 'board']);
    for (const k of NODE_KINDS) expect(icons.has(k.icon), k.kind).toBe(true);
    const schema = JSON.stringify(JSON.parse(renderJsonSchema()));
    for (const k of NODE_KINDS) expect(schema, k.kind).toContain(`"const":"${k.kind}"`);
    for (const k of LINK_KIND_NAMES) expect(schema, k).toContain(`"${k}"`);
  });

  it('list the facts of every node kind, in the order of the definitions, which carry them', () => {
    expect(NODE_KIND_FACTS.map((f) => f.kind)).toEqual(NODE_KINDS.map((k) => k.kind));
    NODE_KINDS.forEach((k, i) => {
      const facts = NODE_KIND_FACTS[i];
      const own = new Map<string, unknown>(Object.entries(k));
      for (const [key, value] of Object.entries(facts ?? {})) {
        expect(own.get(key), `${k.kind}.${key}`).toBe(value);
      }
    });
  });

  it('refuse a kind they do not know, naming the ones they do', () => {
    for (const bad of ['router', 'constructor', '__proto__']) {
      expect(() => nodeKind(bad)).toThrow(EngineError);
      expect(() => nodeKind(bad)).toThrow(/valid kinds are host, switch/);
      expect(() => linkKind(bad)).toThrow(/valid kinds are ethernet/);
    }
  });
});
