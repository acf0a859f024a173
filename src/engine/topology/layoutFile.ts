// The layout sidecar on disk: <topology file>.layout.json, next to the topology. Reading and
// writing it never touches the topology file itself.
import { EngineError } from '../../shared/contract.js';
import {
  emptyLayout,
  fileProblem,
  formatLayout,
  layoutSchema,
  validateLayoutText,
  type Layout,
  type LayoutResult,
} from '../../shared/topology/index.js';
import { writeFileAtomic } from './atomicWrite.js';
import { readTextFile } from './readText.js';

/** The sidecar path of a topology file. */
export function layoutPathFor(topologyFile: string): string {
  return `${topologyFile}.layout.json`;
}

/** Reads the layout of a topology: a missing sidecar is an empty layout; a malformed one is a problem. */
export async function readLayoutFile(topologyFile: string): Promise<LayoutResult> {
  const file = layoutPathFor(topologyFile);
  const read = await readTextFile(file);
  if (!read.ok) {
    if (read.code === 'ENOENT') return { ok: true, layout: emptyLayout() };
    return {
      ok: false,
      problems: [
        fileProblem(file, `cannot read layout file ${JSON.stringify(file)}: ${read.reason}`),
      ],
    };
  }
  return validateLayoutText(read.text, file);
}

/** Writes the layout of a topology atomically (temp file + rename); the topology is not touched. */
export async function writeLayoutFile(topologyFile: string, layout: Layout): Promise<void> {
  const checked = layoutSchema.safeParse(layout);
  if (!checked.success) {
    const first = checked.error.issues[0];
    throw new EngineError(
      'bad-request',
      `layout not saved: ${first ? `${first.path.map(String).join('.')}: ${first.message}` : 'invalid layout'}; send a layout of version 1 with finite x and y per node`,
    );
  }
  await writeFileAtomic(layoutPathFor(topologyFile), formatLayout(checked.data));
}
