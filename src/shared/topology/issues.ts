// Turning zod issues and cross-check issues into located findings.
import { z } from 'zod';
import type { TopologyProblem } from '../contract.js';
import { locate, type Finding, type YamlSource } from './source.js';
import { formatPath, listChoices, oneLine, type DocPath } from './text.js';

/** A problem at a document path; the message is the part after "path: ". */
export interface PathIssue {
  path: DocPath;
  message: string;
  choices?: string[];
  /** Point at the key (unknown or invalid keys) or at the value (default). */
  at?: 'key' | 'value';
}

/** Locates a path issue in the source and prefixes its message with the path. */
export function locateIssue(source: YamlSource, issue: PathIssue): Finding {
  const position = locate(source, issue.path, issue.at ?? 'value');
  const prefix = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
  const finding: Finding = { path: issue.path, ...position, message: `${prefix}${issue.message}` };
  if (issue.choices !== undefined) finding.choices = issue.choices;
  return finding;
}

function docPath(path: readonly PropertyKey[] | undefined): DocPath {
  return (path ?? []).filter((seg): seg is string | number => typeof seg !== 'symbol');
}

function stringChoices(values: readonly unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string');
}

function toPathIssues(
  issue: z.core.$ZodIssue,
  keyChoices: ReadonlyMap<string, string[]>,
): PathIssue[] {
  const path = docPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const choices = keyChoices.get(JSON.stringify(path)) ?? [];
      const where = path.length === 0 ? ' at the top level' : '';
      return issue.keys.map((key) => ({
        path: [...path, key],
        at: 'key',
        message: `unknown key ${JSON.stringify(key)}; valid keys${where} are ${listChoices(choices)}`,
        choices,
      }));
    }
    case 'invalid_key':
      return [{ path, at: 'key', message: issue.issues[0]?.message ?? issue.message }];
    case 'invalid_value':
      return [{ path, message: issue.message, choices: stringChoices(issue.values) }];
    case 'invalid_union': {
      const options = 'options' in issue ? issue.options : undefined;
      if (options !== undefined) {
        return [{ path, message: issue.message, choices: stringChoices(options) }];
      }
      return [{ path, message: issue.message }];
    }
    case 'custom': {
      const choices: unknown = issue.params?.choices;
      if (Array.isArray(choices))
        return [{ path, message: issue.message, choices: stringChoices(choices) }];
      return [{ path, message: issue.message }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * Validates data against a schema; failures become findings located in the source. The parse
 * records each strict object's valid keys so "unknown key" findings can list them.
 */
export function schemaFindings<S extends z.ZodType>(
  schema: S,
  data: unknown,
  source: YamlSource,
): { ok: true; value: z.output<S> } | { ok: false; findings: Finding[] } {
  const keyChoices = new Map<string, string[]>();
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject) {
        keyChoices.set(JSON.stringify(docPath(issue.path)), Object.keys(issue.inst.shape));
      }
      return undefined;
    },
  });
  if (result.success) return { ok: true, value: result.data };
  const findings = result.error.issues.flatMap((issue) =>
    toPathIssues(issue, keyChoices).map((i) => locateIssue(source, i)),
  );
  return { ok: false, findings };
}

/**
 * Attaches the file name and sorts findings by position. Messages quote user values with
 * JSON.stringify; any control character that still reaches one (a YAML library message that
 * quotes the source, say) is escaped here, so every problem is one line.
 */
export function toProblems(file: string, findings: readonly Finding[]): TopologyProblem[] {
  return findings
    .map((f): TopologyProblem => {
      const problem: TopologyProblem = {
        file,
        line: f.line,
        column: f.column,
        path: f.path,
        message: oneLine(f.message),
      };
      if (f.choices !== undefined) problem.choices = f.choices;
      return problem;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}
