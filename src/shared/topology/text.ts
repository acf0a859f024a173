// Small text helpers shared by the validators: paths and value descriptions in messages.

/** A path into the topology document: map keys and list indexes. */
export type DocPath = (string | number)[];

/** Formats a document path for messages, e.g. `links[0].endpoints[1]` or `nodes["a b"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'top level';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Describes a parsed YAML value for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

/** Joins choices for a message: "a, b, c". */
export function listChoices(choices: readonly string[]): string {
  return choices.length === 0 ? '(none)' : choices.join(', ');
}

/**
 * Most names a message or a `choices` list takes from the document (node names, ports,
 * members): enough to pick from, and it keeps each problem small when a lab has thousands of
 * nodes and many of its links are wrong.
 */
export const MAX_LISTED = 20;

/** The first MAX_LISTED of `items`, for a problem's `choices`. */
export function someChoices(items: readonly string[]): string[] {
  return items.slice(0, MAX_LISTED);
}

/** Joins names taken from the document: "a, b, c", or "a, b, ... and 980 more" past MAX_LISTED. */
export function listSome(items: readonly string[]): string {
  if (items.length <= MAX_LISTED) return listChoices(items);
  return `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything a terminal
// or an editor could break a line at, or act on.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Escapes control characters as JSON does ("\n", "\u001b", and also "\u2028"), so a message
 * or a path that quotes user input stays on one line.
 */
export function oneLine(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(
    CONTROLS,
    (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
