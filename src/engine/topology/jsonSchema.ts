// The JSON Schema for topology files, generated from the same zod schema the engine validates
// with, for editor completion and validation (schema/netweave.schema.json).
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { topologySchema } from '../../shared/topology/index.js';
import { writeFileAtomic } from './atomicWrite.js';

/** The $id of the published schema. */
export const SCHEMA_ID = 'https://netweave.dev/schema/netweave.schema.json';

/** The checked-in schema file (the same relative place from src/ and from dist/). */
export const DEFAULT_SCHEMA_FILE = fileURLToPath(
  new URL('../../../schema/netweave.schema.json', import.meta.url),
);

/** The topology JSON Schema (draft 2020-12) describing the file as written, before defaults. */
export function topologyJsonSchema(): Record<string, unknown> {
  const {
    $schema,
    title: _title,
    description: _description,
    ...rest
  } = z.toJSONSchema(topologySchema, {
    io: 'input',
    target: 'draft-2020-12',
  });
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'netweave topology',
    description:
      'A netweave lab (topology format v1): nodes by name, each with a kind and its settings, and links between "node:port" endpoints and switches.',
    ...rest,
  };
}

/** Alias of topologyJsonSchema, the name the CLI's `schema` command uses. */
export const jsonSchema = topologyJsonSchema;

/** The schema file's exact text: 2-space JSON with a trailing newline. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(topologyJsonSchema(), null, 2)}\n`;
}

/** Writes the schema file (default: schema/netweave.schema.json in the netweave folder). */
export async function writeJsonSchema(file: string = DEFAULT_SCHEMA_FILE): Promise<void> {
  await writeFileAtomic(file, renderJsonSchema());
}
