// YAML source handling: parse with node positions, turn YAML errors into findings, and map a
// document path back to a line and column.
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type YAMLError,
} from 'yaml';
import { formatPath, type DocPath } from './text.js';

/** A parsed YAML (or JSON) text with what is needed to locate paths in it. */
export interface YamlSource {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** A problem before the file name is attached; `message` already starts with the path. */
export interface Finding extends Position {
  path: DocPath;
  message: string;
  choices?: string[];
}

/** Aliases expanded beyond this count mean an alias bomb, not a topology. */
const MAX_ALIAS_COUNT = 100;

/** Parses YAML text, keeping node ranges. */
export function parseYamlSource(text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { text, doc, lines };
}

/** Converts an offset in the text to a 1-based line and column. */
export function positionOf(source: YamlSource, offset: number): Position {
  const { line, col } = source.lines.linePos(offset);
  return { line, column: col };
}

function keyText(key: unknown): string {
  if (!isScalar(key)) return String(key);
  const value: unknown = key.value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

type YamlNode = NonNullable<Document.Parsed['contents']>;

function deref(source: YamlSource, node: unknown): unknown {
  return isAlias(node) ? node.resolve(source.doc) : node;
}

function startOf(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range?.[0];
  }
  return undefined;
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && (node.source === '' || node.source === undefined);
}

/**
 * Finds where `path` is written. With `at: "key"` it points at the key of the last segment,
 * otherwise at its value (or the key when the value is empty). When the path goes past what
 * is written (a missing key), it points at the deepest key that exists.
 */
export function locate(source: YamlSource, path: DocPath, at: 'key' | 'value' = 'value'): Position {
  let node: unknown = source.doc.contents;
  let keyNode: unknown = undefined;
  let offset = startOf(node) ?? 0;
  for (const seg of path) {
    node = deref(source, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return positionOf(source, offset);
      keyNode = pair.key;
      node = pair.value;
      offset = startOf(keyNode) ?? offset;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      keyNode = undefined;
      node = node.items[seg];
      offset = startOf(node) ?? offset;
    } else {
      return positionOf(source, offset);
    }
  }
  if (at === 'value' || keyNode === undefined) {
    const value = deref(source, node);
    const start = isEmptyScalar(value) ? undefined : startOf(node);
    if (start !== undefined) offset = start;
  }
  return positionOf(source, offset);
}

/** The path of the deepest key or item whose text contains `offset`. */
export function pathAtOffset(source: YamlSource, offset: number): DocPath {
  const path: DocPath = [];
  const inside = (n: unknown): boolean => {
    const range =
      n && typeof n === 'object' && 'range' in n
        ? (n as { range?: number[] | null }).range
        : undefined;
    return !!range && offset >= (range[0] ?? 0) && offset < (range[2] ?? range[1] ?? 0);
  };
  let node: unknown = source.doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(p.key) || inside(p.value));
      if (!pair) return path;
      path.push(keyText(pair.key));
      if (inside(pair.key)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => inside(item));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}

const SYNTAX_HINT = 'check the indentation and that every bracket and quote is closed';

function yamlErrorMessage(error: YAMLError): string {
  const detail = error.message.replace(/\.$/, '');
  const lower = detail.charAt(0).toLowerCase() + detail.slice(1);
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'YAML syntax error: tabs are not allowed as indentation; indent with spaces';
    case 'MULTIPLE_DOCS':
      return 'YAML syntax error: the file holds more than one YAML document; a topology is one document, so remove the "---" separator';
    default:
      return `YAML syntax error: ${lower}; ${SYNTAX_HINT}`;
  }
}

const CLOSERS: Record<string, [string, string]> = {
  '[': [']', 'list'],
  '{': ['}', 'map'],
  '"': ['"', 'quoted string'],
  "'": ["'", 'quoted string'],
};

/**
 * For "not closed" errors the parser reports where it gave up, often lines later; this finds
 * the unclosed bracket or quote that ends there so the problem points at its opening.
 */
function unclosedOpener(source: YamlSource, error: YAMLError): Finding | undefined {
  if (error.code !== 'BAD_INDENT' && error.code !== 'MISSING_CHAR') return undefined;
  let found: number | undefined;
  const check = (node: { range?: [number, number, number] | null }): void => {
    const range = node.range;
    if (!range || (range[1] !== error.pos[0] && range[2] !== error.pos[0])) return;
    const open = source.text.charAt(range[0]);
    const closer = CLOSERS[open];
    if (!closer) return;
    const body = source.text.slice(range[0] + 1, range[1]).trimEnd();
    if (!body.endsWith(closer[0])) found = range[0];
  };
  visit(source.doc, {
    Seq: (_, n) => check(n),
    Map: (_, n) => check(n),
    Scalar: (_, n) => check(n),
  });
  if (found === undefined) return undefined;
  const open = source.text.charAt(found);
  const [close, what] = CLOSERS[open] ?? ['', ''];
  return {
    path: pathAtOffset(source, found),
    ...positionOf(source, found),
    message: `YAML syntax error: the ${what} opened with ${JSON.stringify(open)} here is not closed; add ${JSON.stringify(close)} at its end`,
  };
}

/**
 * Findings for the YAML errors of a document: the first syntax error only (later ones are
 * usually its consequences), or else every duplicate key.
 */
export function yamlFindings(source: YamlSource): Finding[] {
  const errors = [...source.doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const syntax = errors.find((e) => e.code !== 'DUPLICATE_KEY');
  if (syntax) {
    const opener = unclosedOpener(source, syntax);
    if (opener) return [opener];
    return [{ path: [], ...positionOf(source, syntax.pos[0]), message: yamlErrorMessage(syntax) }];
  }
  return errors.map((e) => {
    const path = pathAtOffset(source, e.pos[0]);
    const key = path[path.length - 1];
    return {
      path,
      ...positionOf(source, e.pos[0]),
      message: `${formatPath(path)}: duplicate key ${JSON.stringify(String(key ?? ''))}; a key may appear only once in a map, so remove or rename this one`,
    };
  });
}

/** The document as plain data, or a finding when aliases cannot be resolved. */
export function toData(
  source: YamlSource,
): { ok: true; data: unknown } | { ok: false; finding: Finding } {
  try {
    return { ok: true, data: source.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (err) {
    let offset = 0;
    let name = '';
    visit(source.doc, {
      Alias(_, alias) {
        if (alias.resolve(source.doc) === undefined) {
          offset = alias.range?.[0] ?? 0;
          name = alias.source;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    const message = name
      ? `YAML alias "*${name}" has no matching anchor "&${name}" before it; define the anchor first or remove the alias`
      : `YAML aliases expand too far (${err instanceof Error ? err.message : String(err)}); write the values out instead`;
    return {
      ok: false,
      finding: { path: pathAtOffset(source, offset), ...positionOf(source, offset), message },
    };
  }
}

/** True when the document has no content (empty file or only comments). */
export function isEmptyDocument(source: YamlSource): boolean {
  const contents: YamlNode | null = source.doc.contents;
  return contents === null || isEmptyScalar(contents);
}
