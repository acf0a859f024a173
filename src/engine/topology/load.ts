// Loading a topology file from disk.
import { validateTopologyText, type TopologyResult } from '../../shared/topology/index.js';
import { readTextFile } from './readText.js';

/**
 * Reads and validates a topology file. A missing or unreadable file becomes one problem naming
 * the path (line and column 0: it has no position). Never throws.
 */
export async function loadTopologyFile(path: string): Promise<TopologyResult> {
  const read = await readTextFile(path);
  if (!read.ok) {
    return {
      ok: false,
      problems: [
        {
          file: path,
          line: 0,
          column: 0,
          path: [],
          message: `cannot read topology file ${JSON.stringify(path)}: ${read.reason}`,
        },
      ],
    };
  }
  return validateTopologyText(read.text, path);
}
