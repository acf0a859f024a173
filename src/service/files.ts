// Topology files for the app: read byte-exactly with their validation and layout sidecar, and
// written back exactly as the editor produced them.
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EngineError,
  type ExampleFile,
  type OpenedFile,
  type TopologyProblem,
} from '../shared/contract.js';
import {
  formatLayout,
  validateLayoutText,
  validateTopologyText,
  type Layout,
} from '../shared/topology/index.js';
import { layoutPathFor, readTextFile, writeFileAtomic } from '../engine/topology/index.js';

/** The bundled example labs: resources/examples in the netweave folder (same from src/ and dist/). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../resources/examples/', import.meta.url));

/** Reads a topology file and its sidecar; a file that cannot be read is one EngineError. */
export async function openTopologyFile(file: string): Promise<OpenedFile> {
  const path = resolve(file);
  const read = await readTextFile(path);
  if (!read.ok) {
    const problem: TopologyProblem = {
      file: path,
      line: 0,
      column: 0,
      path: [],
      message: `cannot read topology file ${JSON.stringify(path)}: ${read.reason}`,
    };
    throw new EngineError('topology', problem.message, [problem]);
  }
  const checked = validateTopologyText(read.text, path);
  const opened: OpenedFile = {
    file: path,
    text: read.text,
    problems: checked.ok ? [] : checked.problems,
    layout: null,
    layoutProblems: [],
  };
  const side = await readTextFile(layoutPathFor(path));
  if (side.ok) {
    const layout = validateLayoutText(side.text, layoutPathFor(path));
    if (layout.ok) opened.layout = layout.layout;
    else opened.layoutProblems = layout.problems;
  }
  return opened;
}

function sameLayout(a: Layout, b: Layout): boolean {
  return formatLayout(a) === formatLayout(b);
}

/**
 * Writes topology text exactly as given, and the sidecar unless it already holds the same
 * positions (so an unchanged file and layout stay byte-identical).
 */
export async function saveTopologyFile(
  file: string,
  text: string,
  layout: Layout | null,
): Promise<{ file: string; problems: TopologyProblem[] }> {
  const path = resolve(file);
  if (!path.endsWith('.yaml') && !path.endsWith('.yml')) {
    throw new EngineError(
      'bad-request',
      `"${path}" is not a .yaml file; save topologies with the .yaml extension`,
    );
  }
  const current = await readTextFile(path);
  if (!current.ok || current.text !== text) await writeFileAtomic(path, text);
  if (layout !== null) {
    const sidecar = layoutPathFor(path);
    const existing = await readTextFile(sidecar);
    const old = existing.ok ? validateLayoutText(existing.text, sidecar) : undefined;
    if (!old?.ok || !sameLayout(old.layout, layout))
      await writeFileAtomic(sidecar, formatLayout(layout));
  }
  const checked = validateTopologyText(text, path);
  return { file: path, problems: checked.ok ? [] : checked.problems };
}

/** Lists the bundled examples, each with the lab name and its first comment line. */
export async function listExampleFiles(dir: string = EXAMPLES_DIR): Promise<ExampleFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch {
    return [];
  }
  const out: ExampleFile[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const text = await readFile(file, 'utf8');
    const checked = validateTopologyText(text, file);
    const first = text.split('\n').find((l) => l.startsWith('#')) ?? '';
    out.push({
      name: checked.ok ? checked.topology.name : n.replace(/\.yaml$/, ''),
      file,
      description: first.replace(/^#\s*/, '').replace(/^[\w./-]+\.yaml:\s*/, ''),
    });
  }
  return out;
}
