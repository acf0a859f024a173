// The benchmark's JSON, indented like JSON.stringify(value, null, 2) except that an array of
// numbers (a figure's runs, a load series) stays on one line, so that a figure reads at a glance.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function format(v: Json, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => x === null || typeof x === 'number' || typeof x === 'boolean')) {
      return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    }
    return `[\n${v.map((x) => `${inner}${format(x, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    const body = entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner)}`);
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** Formats `value` (after its toJSON methods, as JSON.stringify sees it). */
export function formatJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return 'null';
  return format(JSON.parse(text) as Json, '');
}
