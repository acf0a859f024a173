// The engine's side of topology files: reading them from disk, the layout sidecar, and the
// generated JSON Schema. Parsing and validation live in src/shared/topology.
export { writeFileAtomic } from './atomicWrite.js';
export {
  DEFAULT_SCHEMA_FILE,
  jsonSchema,
  renderJsonSchema,
  SCHEMA_ID,
  topologyJsonSchema,
  writeJsonSchema,
} from './jsonSchema.js';
export { layoutPathFor, readLayoutFile, writeLayoutFile } from './layoutFile.js';
export { loadTopologyFile } from './load.js';
export { MAX_TEXT_FILE_BYTES, readTextFile, type ReadTextResult } from './readText.js';
