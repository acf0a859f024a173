// Loading a topology file from disk.
import {
  fileProblem,
  validateTopologyText,
  type TopologyResult,
} from '../../shared/topology/index.js';
import { readTextFile } from './readText.js';

/**
 * Reads and validates a topology file. A missing or unreadable file becomes one file-level
 * problem (isFileLevel: it has no position) that quotes the path on one line. Never throws.
 */
export async function loadTopologyFile(path: string): Promise<TopologyResult> {
  const read = await readTextFile(path);
  if (!read.ok) {
    return {
      ok: false,
      problems: [
        fileProblem(path, `cannot read topology file ${JSON.stringify(path)}: ${read.reason}`),
      ],
    };
  }
  return validateTopologyText(read.text, path);
}
