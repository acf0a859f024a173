// The layout sidecar (<topology>.layout.json): node positions on the canvas, kept apart from the
// topology so that moving a node does not rewrite the YAML.
import { z } from 'zod';
import type { TopologyProblem } from '../contract.js';
import { expected, nodeNameSchema } from './fields.js';
import { schemaFindings, toProblems } from './issues.js';
import { parseYamlSource } from './source.js';
import { oneLine } from './text.js';

/** The layout format version this code reads and writes. */
export const LAYOUT_VERSION = 1;

const coordinate = z.number({ error: expected('a number') }).refine(Number.isFinite, {
  error: 'must be a finite number',
});

/** The layout sidecar document. */
export const layoutSchema = z.strictObject(
  {
    version: z.literal(LAYOUT_VERSION, {
      error: (issue) =>
        `unsupported layout version ${String(issue.input)}; this netweave reads version ${LAYOUT_VERSION}`,
    }),
    nodes: z.record(
      nodeNameSchema,
      z.strictObject({ x: coordinate, y: coordinate }, { error: expected('a position {x, y}') }),
      { error: expected('a map of node name to position') },
    ),
  },
  { error: expected('a layout object {version, nodes}') },
);

/** Node positions of one topology. */
export type Layout = z.output<typeof layoutSchema>;

/** The outcome of reading a layout: never an exception. */
export type LayoutResult =
  { ok: true; layout: Layout } | { ok: false; problems: TopologyProblem[] };

/** A layout with no positions. */
export function emptyLayout(): Layout {
  return { version: LAYOUT_VERSION, nodes: {} };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/** Validates layout JSON text; `file` labels the problems. */
export function validateLayoutText(text: string, file: string): LayoutResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const position = /at position (\d+)/.exec(detail);
    const offset = position ? Number(position[1]) : text.length;
    // V8's message may quote the text around the error, newlines included.
    const reason = oneLine(detail.replace(/ in JSON at position \d+.*$/, '').replace(/\.$/, ''));
    return {
      ok: false,
      problems: [
        {
          file,
          ...lineColumn(text, offset),
          path: [],
          message: `layout file is not valid JSON (${reason}); fix it, or delete it to reset node positions`,
        },
      ],
    };
  }
  const source = parseYamlSource(text);
  if (source.tooDeep) return { ok: false, problems: toProblems(file, [source.tooDeep]) };
  const parsed = schemaFindings(layoutSchema, data, source);
  if (!parsed.ok) return { ok: false, problems: toProblems(file, parsed.findings) };
  return { ok: true, layout: parsed.value };
}

/** Serializes a layout as the sidecar stores it: 2-space JSON with a trailing newline. */
export function formatLayout(layout: Layout): string {
  return `${JSON.stringify(layout, null, 2)}\n`;
}
