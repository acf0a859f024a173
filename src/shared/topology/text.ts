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
