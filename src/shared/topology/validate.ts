// validateTopologyText: YAML text in, a validated topology or located problems out. Pure, so the
// renderer can run it on every edit.
import type { TopologyProblem } from '../contract.js';
import { crossCheck } from './checks.js';
import { locateIssue, schemaFindings, toProblems } from './issues.js';
import { topologySchema, type Topology } from './schema.js';
import { isEmptyDocument, parseYamlSource, toData, yamlFindings, type Finding } from './source.js';

/** The outcome of validating a topology: never an exception. */
export type TopologyResult =
  { ok: true; topology: Topology } | { ok: false; problems: TopologyProblem[] };

function validate(text: string, file: string): TopologyResult {
  const fail = (findings: readonly Finding[]): TopologyResult => ({
    ok: false,
    problems: toProblems(file, findings),
  });
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

/**
 * Validates topology YAML: syntax, duplicate keys, schema, then cross-checks. `file` is only
 * used to label problems. Never throws for bad input.
 */
export function validateTopologyText(text: string, file: string): TopologyResult {
  try {
    return validate(text, file);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      problems: [
        {
          file,
          line: 1,
          column: 1,
          path: [],
          message: `netweave could not validate this file (internal error: ${detail}); please report it with the file`,
        },
      ],
    };
  }
}
