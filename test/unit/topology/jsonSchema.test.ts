// The checked-in JSON Schema matches the zod schema it is generated from.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCHEMA_FILE,
  renderJsonSchema,
  SCHEMA_ID,
  topologyJsonSchema,
} from '../../../src/engine/topology/index.js';

const CHECKED_IN = fileURLToPath(new URL('../../../schema/netweave.schema.json', import.meta.url));

describe('schema/netweave.schema.json', () => {
  it('is up to date with the zod schema', () => {
    let onDisk = '';
    try {
      onDisk = readFileSync(CHECKED_IN, 'utf8');
    } catch {
      // reported by the assertion below
    }
    const fresh = renderJsonSchema();
    if (onDisk !== fresh) {
      expect.fail(
        'schema/netweave.schema.json is stale or missing: run `npm run schema` and commit the result',
      );
    }
  });

  it('is found at the default path the writer uses', () => {
    expect(DEFAULT_SCHEMA_FILE).toBe(CHECKED_IN);
  });

  it('describes the file as written: strict, with the kinds from the registry', () => {
    const schema = topologyJsonSchema();
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: SCHEMA_ID,
      title: 'netweave topology',
      type: 'object',
      required: ['name', 'nodes'],
      additionalProperties: false,
    });
    const text = JSON.stringify(schema);
    expect(text).toContain('"const":"host"');
    expect(text).toContain('"const":"switch"');
    expect(text).toContain('"const":"ethernet"');
  });
});
