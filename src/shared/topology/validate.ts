// validateTopologyText: YAML text in, a validated topology or located problems out. Pure, so the
// renderer can run it on every edit.
import type { TopologyProblem } from '../contract.js';
import { crossCheck } from './checks.js';
import { locateIssue, schemaFindings, toProblems } from './issues.js';
import { fastTopologyData } from './fastRead.js';
import { fileProblem } from './problem.js';
import { topologySchema, type Topology } from './schema.js';
import { isEmptyDocument, parseYamlSource, toData, yamlFindings, type Finding } from './source.js';

/** The outcome of validating a topology: never an exception. */
export type TopologyResult =
  { ok: true; topology: Topology } | { ok: false; problems: TopologyProblem[] };

/**
 * Longest topology text accepted, in characters: the same 4 MiB as the files the engine reads
 * (MAX_TEXT_FILE_BYTES). A lab with ten thousand hosts is about 1 MiB, and validation time
 * grows with the size, so a larger text is the wrong file and refusing it keeps the editor
 * responsive.
 */
export const MAX_TOPOLOGY_TEXT_LENGTH = 4 * 1024 * 1024;

function validate(text: string, file: string, fast: boolean): TopologyResult {
  const fail = (findings: readonly Finding[]): TopologyResult => ({
    ok: false,
    problems: toProblems(file, findings),
  });
  if (text.length > MAX_TOPOLOGY_TEXT_LENGTH) {
    return {
      ok: false,
      problems: [
        fileProblem(
          file,
          `the file is ${text.length} characters long, over the limit of ${MAX_TOPOLOGY_TEXT_LENGTH} (4 MiB); a lab with thousands of nodes is well under 1 MiB, so check that this is the right file`,
        ),
      ],
    };
  }
  // Most files are valid: read them the fast way, and take the positioned way only to report.
  const quick = fast ? fastTopologyData(text) : undefined;
  if (quick !== undefined) {
    const parsed = topologySchema.safeParse(quick);
    if (parsed.success && crossCheck(parsed.data).length === 0) {
      return { ok: true, topology: parsed.data };
    }
  }
  const source = parseYamlSource(text);
  const yamlProblems = yamlFindings(source);
  if (yamlProblems.length > 0) return fail(yamlProblems);
  if (isEmptyDocument(source)) {
    return fail([
      {
        path: [],
        line: 1,
        column: 1,
        message: 'the file is empty; a topology needs at least "name:" and "nodes:"',
      },
    ]);
  }
  const data = toData(source);
  if (!data.ok) return fail([data.finding]);
  const parsed = schemaFindings(topologySchema, data.data, source);
  if (!parsed.ok) return fail(parsed.findings);
  const issues = crossCheck(parsed.value);
  if (issues.length > 0) return fail(issues.map((i) => locateIssue(source, i)));
  return { ok: true, topology: parsed.value };
}

/** Options of validateTopologyText. */
export interface ValidateOptions {
  /**
   * Read the text with js-yaml first (default true; fastRead.ts). False takes the positioned
   * reading only, which decides anyway whenever there is a problem; tests compare the two.
   */
  fastRead?: boolean;
}

/**
 * Validates topology YAML: size, nesting, syntax, duplicate keys, schema, then cross-checks.
 * `file` is only used to label problems. Never throws for bad input; every problem has a line
 * and column, or is file-level (isFileLevel), and a one-line message. Linear (or n log n) in
 * the size of the text.
 */
export function validateTopologyText(
  text: string,
  file: string,
  options: ValidateOptions = {},
): TopologyResult {
  try {
    return validate(text, file, options.fastRead ?? true);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      problems: [
        fileProblem(
          file,
          `netweave could not validate this file (internal error: ${detail}); please report it with the file`,
        ),
      ],
    };
  }
}
