// A fast first reading of topology text. The YAML library that keeps every node's position
// (source.ts) reads a 10,000-host lab in about two seconds here; js-yaml builds the same plain
// data some thirty times faster but knows no positions. Positions are only needed to report
// problems, so a file js-yaml reads within netweave's limits and that validates is done with;
// any doubt goes the positioned way, which finds and locates the problem:
// - js-yaml refused the text (syntax, duplicate keys, several documents), or the document is
//   not a map, or nests or aliases past the positioned reading's limits;
// - the text uses what the two readers are known to treat differently: tags ("!"), a CR that
//   is not part of CRLF, a line longer than YAML's 1024-character limit for implicit keys.
// Scalars resolve exactly as the YAML library's core schema does (the regular expressions and
// conversions below are its own), so a plain `1_000` or `0b1` stays a string in both. A property
// test (loaderFuzz) checks on thousands of mutants that whenever this reading accepts a file,
// the positioned one accepts it with the same value.
import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';
import { MAX_ALIASED_VALUES, MAX_NESTING_DEPTH } from './source.js';

/** The longest implicit key YAML allows; longer lines are left to the positioned reading. */
const MAX_FAST_LINE = 1024;

/**
 * One implicit scalar type: the YAML library's forms of one tag, tried in its order (js-yaml
 * keeps one type per tag, so the forms of a tag are one type here).
 */
function scalar(tag: string, forms: readonly [RegExp, (s: string) => unknown][]): Type {
  const pick = (s: string | null): ((s: string) => unknown) | undefined =>
    s === null ? undefined : forms.find(([test]) => test.test(s))?.[1];
  return new Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (s: string | null) => pick(s) !== undefined,
    construct: (s: string | null) => pick(s)?.(s ?? ''),
  });
}

/** YAML 1.2's core schema, as the `yaml` package resolves plain scalars (yaml/dist/schema/core). */
const CORE = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type('tag:yaml.org,2002:null', {
      kind: 'scalar',
      resolve: (s: string | null) => s === null || /^(?:~|[Nn]ull|NULL)?$/.test(s),
      construct: () => null,
    }),
    scalar('bool', [[/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T']]),
    scalar('int', [
      [/^0o[0-7]+$/, (s) => parseInt(s.substring(2), 8)],
      [/^[-+]?[0-9]+$/, (s) => parseInt(s, 10)],
      [/^0x[0-9a-fA-F]+$/, (s) => parseInt(s.substring(2), 16)],
    ]),
    scalar('float', [
      [
        /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
        (s) =>
          s.slice(-3).toLowerCase() === 'nan'
            ? NaN
            : s[0] === '-'
              ? Number.NEGATIVE_INFINITY
              : Number.POSITIVE_INFINITY,
      ],
      [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, parseFloat],
      [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, parseFloat],
    ]),
  ],
});

/**
 * True when the text uses nothing the two readers are known to treat differently. A line that
 * opens more brackets than it closes (or the reverse) is a flow collection over several lines,
 * whose indentation js-yaml checks less strictly; brackets inside quotes only make this err on
 * the safe side.
 */
function plainEnough(text: string): boolean {
  if (text.includes('!')) return false;
  let lineStart = 0;
  let open = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b)
      open++; // [ {
    else if (c === 0x5d || c === 0x7d)
      open--; // ] }
    else if (c === 0x0a || i === text.length) {
      if (open !== 0 || i - lineStart > MAX_FAST_LINE) return false;
      lineStart = i + 1;
    }
  }
  for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) {
    if (text[i + 1] !== '\n') return false;
  }
  return true;
}

/**
 * The document as plain data, or undefined when the positioned reading must decide (see the
 * head of this file). Aliases share their anchor's value here, so the walk that checks the
 * limits counts each use again, as the positioned reading does.
 */
export function fastTopologyData(text: string): Record<string, unknown> | undefined {
  if (!plainEnough(text)) return undefined;
  let data: unknown;
  try {
    data = load(text, { schema: CORE, json: false });
  } catch {
    return undefined; // a RangeError from text nested past the stack included
  }
  if (!isMap(data)) return undefined;
  return withinLimits(data, text.length + MAX_ALIASED_VALUES) ? data : undefined;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks the data without recursion: depth and the number of values (aliases counted again). */
function withinLimits(root: Record<string, unknown>, maxValues: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  let values = 0;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, depth] = top;
    if (++values > maxValues) return false;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_NESTING_DEPTH) return false;
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return true;
}
