// YAML source handling: parse with node positions, turn YAML errors into findings, and map a
// document path back to a line and column. Every step is linear in the text (or n log n): the
// renderer runs it on every edit, and a file may describe thousands of nodes.
import {
  Composer,
  Lexer,
  LineCounter,
  Parser,
  YAMLParseError,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type CST,
  type Document,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { formatPath, type DocPath } from './text.js';

/** A parsed YAML (or JSON) text with what is needed to locate paths in it. */
export interface YamlSource {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /**
   * Set when the text nests deeper than MAX_NESTING_DEPTH: parsing stopped there, and `doc` is
   * an empty document.
   */
  tooDeep?: Finding;
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

/**
 * Deepest nesting of lists and maps accepted. A topology nests about 7 levels (nodes, a node,
 * interfaces, one interface, ipv4, its list); the parser and the steps after it recurse once
 * per level, so a file of a million "[" would take seconds and a gigabyte before failing.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Most values YAML aliases may add when they are expanded (an alias stands for a copy of its
 * anchor's value, and aliases of aliases multiply): far more than a lab that reuses a few
 * settings blocks needs, far less than an alias bomb.
 */
export const MAX_ALIASED_VALUES = 100_000;

const COLLECTION_TOKENS: ReadonlySet<string> = new Set([
  'block-map',
  'block-seq',
  'flow-collection',
]);

/** The number of lists and maps open on the parser's stack (the document is not one). */
function nestingDepth(stack: readonly CST.Token[]): number {
  let depth = 0;
  for (const token of stack) if (COLLECTION_TOKENS.has(token.type)) depth++;
  return depth;
}

/**
 * Parses YAML text, keeping node ranges. Lexing, parsing and composing run in one pass, and
 * the pass stops at the first list or map nested deeper than MAX_NESTING_DEPTH (`tooDeep`).
 * Duplicate keys are found by yamlFindings, in linear time (the parser's own check compares
 * each key with every key before it).
 */
export function parseYamlSource(text: string): YamlSource {
  // The YAML library makes an Error, stack trace included, for each problem it finds, and a
  // file of a million stray brackets has a million; their stacks are never read. V8 (Node,
  // Electron) reads Error.stackTraceLimit; other engines have no such property.
  const limit: unknown = Reflect.get(Error, 'stackTraceLimit');
  if (typeof limit !== 'number') return parse(text);
  Reflect.set(Error, 'stackTraceLimit', 0);
  try {
    return parse(text);
  } finally {
    Reflect.set(Error, 'stackTraceLimit', limit);
  }
}

function parse(text: string): YamlSource {
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  let stop = false;
  const take = (docs: Iterable<Document.Parsed>): void => {
    for (const d of docs) {
      if (!doc) {
        doc = d;
      } else if (!stop) {
        stop = true;
        doc.errors.push(
          new YAMLParseError(
            [d.range[0], d.range[1]],
            'MULTIPLE_DOCS',
            'Source contains multiple documents',
          ),
        );
      }
    }
  };
  lines.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    const offset = parser.offset;
    for (const token of parser.next(lexeme)) {
      take(composer.next(token));
      // Only the first syntax error is reported, and tokens outside a document come in text
      // order: after one that is an error, the rest of the text can only add later errors.
      if (token.type === 'error') stop = true;
    }
    if (stop) break;
    // A cheap test first: the stack holds the document and at most one scalar besides lists
    // and maps.
    if (parser.stack.length > MAX_NESTING_DEPTH && nestingDepth(parser.stack) > MAX_NESTING_DEPTH) {
      const { line, col } = lines.linePos(offset);
      return {
        text,
        doc: parseDocument(''),
        lines,
        tooDeep: {
          path: [],
          line,
          column: col,
          message: `YAML lists and maps are nested more than ${MAX_NESTING_DEPTH} levels deep here, where a topology needs fewer than 10; check for unclosed brackets, for lines such as "a: b: c" and for wrong indentation, and that this is a topology file`,
        },
      };
    }
  }
  for (const token of parser.end()) take(composer.next(token));
  take(composer.end(true, text.length));
  return { text, doc: doc ?? parseDocument(''), lines };
}

/** Converts an offset in the text to a 1-based line and column. */
export function positionOf(source: YamlSource, offset: number): Position {
  const { line, col } = source.lines.linePos(offset);
  return { line, column: col };
}

/** Longest text of a key that is not a plain value that is kept as its name. */
const MAX_KEY_SOURCE = 40;

/**
 * The name of a map key, which toData makes its property name and locate matches paths with:
 * a scalar's value as text, as the YAML library makes it (JSON for a value such as !!binary
 * data), shortened; for a list, map or alias key, which no topology map accepts, the start of
 * its text as written, spaces and line breaks shown as one space. The library stringifies such
 * a key's value instead, which doubles in length with every level of keys nested in keys.
 */
function keyText(source: YamlSource, key: unknown): string {
  if (isScalar(key)) {
    const value: unknown = key.value;
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      return String(value);
    const json = JSON.stringify(value) ?? '';
    return json.length > MAX_KEY_SOURCE ? `${json.slice(0, MAX_KEY_SOURCE)}...` : json;
  }
  const range = rangeOf(key);
  if (!range) return '';
  const end = Math.min(range[1], range[0] + MAX_KEY_SOURCE);
  const text = source.text.slice(range[0], end).replace(/\s+/g, ' ').trim();
  return end < range[1] ? `${text}...` : text;
}

type YamlNode = NonNullable<Document.Parsed['contents']>;

/** Each document's aliases and the node each stands for, found in one walk when first needed. */
const aliasIndex = new WeakMap<Document.Parsed, Map<unknown, unknown>>();

/**
 * The node an alias stands for: the last node before it with that anchor, in document order
 * (as Alias.resolve finds it, which walks the whole document on every call).
 */
function aliasTarget(source: YamlSource, alias: unknown): unknown {
  let targets = aliasIndex.get(source.doc);
  if (!targets) {
    const found = new Map<unknown, unknown>();
    const anchors = new Map<string, unknown>();
    const walk = (node: unknown): void => {
      if (isAlias(node)) {
        found.set(node, anchors.get(node.source));
        return;
      }
      if ((isScalar(node) || isCollection(node)) && node.anchor) anchors.set(node.anchor, node);
      if (isMap(node)) {
        for (const pair of node.items) {
          walk(pair.key);
          walk(pair.value);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) walk(item);
      }
    };
    walk(source.doc.contents);
    targets = found;
    aliasIndex.set(source.doc, targets);
  }
  return targets.get(alias);
}

function deref(source: YamlSource, node: unknown): unknown {
  return isAlias(node) ? aliasTarget(source, node) : node;
}

function rangeOf(node: unknown): [number, number, number] | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    return (node as { range?: [number, number, number] | null }).range ?? undefined;
  }
  return undefined;
}

function startOf(node: unknown): number | undefined {
  return rangeOf(node)?.[0];
}

function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && (node.source === '' || node.source === undefined);
}

/** Each map's pairs by key text (the first pair of a key), built when a path first enters it. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairByKey(source: YamlSource, map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const text = keyText(source, pair.key);
      if (!index.has(text)) index.set(text, pair);
    }
    pairIndex.set(map, index);
  }
  return index.get(key);
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
      const pair = pairByKey(source, node, String(seg));
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

function inside(node: unknown, offset: number): boolean {
  const range = rangeOf(node);
  return !!range && offset >= range[0] && offset < (range[2] ?? range[1]);
}

/**
 * The index of the item that contains `offset`, or -1. Items are in source order, so a binary
 * search on their starts finds the only candidate; an item without a range (not parsed from
 * text) makes it fall back to a scan.
 */
function itemAt<T>(
  items: readonly T[],
  offset: number,
  start: (item: T) => number | undefined,
  contains: (item: T) => boolean,
): number {
  let low = 0;
  let high = items.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const item = items[mid] as T;
    const s = start(item);
    if (s === undefined) return items.findIndex(contains);
    if (s <= offset) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found >= 0 && contains(items[found] as T) ? found : -1;
}

/** The path of the deepest key or item whose text contains `offset`. */
export function pathAtOffset(source: YamlSource, offset: number): DocPath {
  const path: DocPath = [];
  let node: unknown = source.doc.contents;
  for (;;) {
    if (isMap(node)) {
      const index = itemAt(
        node.items,
        offset,
        (p) => startOf(p.key) ?? startOf(p.value),
        (p) => inside(p.key, offset) || inside(p.value, offset),
      );
      const pair = node.items[index];
      if (!pair) return path;
      path.push(keyText(source, pair.key));
      if (inside(pair.key, offset)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = itemAt(node.items, offset, startOf, (item) => inside(item, offset));
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
 * The offsets of keys that repeat an earlier key of the same map, in document order. Keys are
 * equal as the YAML library compares them: scalars by value, anything else by identity.
 */
function duplicateKeyOffsets(root: unknown): number[] {
  const out: number[] = [];
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key: unknown = pair.key;
        if (isScalar(key)) {
          const value: unknown = key.value;
          if (seen.has(value) && !Number.isNaN(value)) out.push(startOf(key) ?? 0);
          seen.add(value);
        }
        walk(key);
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(root);
  return out;
}

/**
 * Findings for the YAML errors of a document: nesting that is too deep, else the first syntax
 * error only (later ones are usually its consequences), or else every duplicate key.
 */
export function yamlFindings(source: YamlSource): Finding[] {
  if (source.tooDeep) return [source.tooDeep];
  const errors = [...source.doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const syntax = errors.find((e) => e.code !== 'DUPLICATE_KEY');
  if (syntax) {
    const opener = unclosedOpener(source, syntax);
    if (opener) return [opener];
    return [{ path: [], ...positionOf(source, syntax.pos[0]), message: yamlErrorMessage(syntax) }];
  }
  return duplicateKeyOffsets(source.doc.contents).map((offset) => {
    const path = pathAtOffset(source, offset);
    const key = path[path.length - 1];
    return {
      path,
      ...positionOf(source, offset),
      message: `${formatPath(path)}: duplicate key ${JSON.stringify(String(key ?? ''))}; a key may appear only once in a map, so remove or rename this one`,
    };
  });
}

/** A value converted from YAML and how many values it stands for once aliases are expanded. */
interface Converted {
  value: unknown;
  size: number;
}

/** An anchored node while and after it is converted. */
interface AnchorRecord {
  done: boolean;
  value: unknown;
  size: number;
}

class AliasProblem extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The document as plain data (what the YAML library's toJS gives: maps as objects, an alias as
 * its anchor's value), or a finding when an alias cannot be resolved or aliases expand to more
 * than MAX_ALIASED_VALUES values. Linear in the document: each alias finds its anchor in a map
 * of the anchors seen so far, where the library scans every anchor and alias before it.
 */
export function toData(
  source: YamlSource,
): { ok: true; data: unknown } | { ok: false; finding: Finding } {
  const anchors = new Map<string, AnchorRecord>();
  let aliased = 0;
  const convert = (node: unknown): Converted => {
    if (isAlias(node)) {
      const offset = startOf(node) ?? 0;
      const shown = JSON.stringify(`*${node.source}`);
      const target = anchors.get(node.source);
      if (!target) {
        throw new AliasProblem(
          offset,
          `YAML alias ${shown} has no matching anchor ${JSON.stringify(`&${node.source}`)} before it; define the anchor first or remove the alias`,
        );
      }
      if (!target.done) {
        throw new AliasProblem(
          offset,
          `YAML alias ${shown} is inside the value its anchor names, so that value would contain itself; remove the alias`,
        );
      }
      aliased += target.size;
      if (aliased > MAX_ALIASED_VALUES) {
        throw new AliasProblem(
          offset,
          `YAML aliases expand to more than ${MAX_ALIASED_VALUES} values by here; write the values out instead`,
        );
      }
      return { value: target.value, size: target.size };
    }
    let record: AnchorRecord | undefined;
    if ((isScalar(node) || isCollection(node)) && node.anchor) {
      record = { done: false, value: undefined, size: 0 };
      anchors.set(node.anchor, record);
    }
    let out: Converted;
    if (isMap(node)) {
      const object: Record<string, unknown> = {};
      let size = 1;
      for (const pair of node.items) {
        const key = convert(pair.key);
        const value = convert(pair.value);
        size += key.size + value.size;
        const name = keyText(source, pair.key);
        // As the library does: a name such as "__proto__" becomes an own property.
        if (name in object) {
          Object.defineProperty(object, name, {
            value: value.value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else {
          object[name] = value.value;
        }
      }
      out = { value: object, size };
    } else if (isSeq(node)) {
      const list: unknown[] = [];
      let size = 1;
      for (const item of node.items) {
        const value = convert(item);
        size += value.size;
        list.push(value.value);
      }
      out = { value: list, size };
    } else if (isScalar(node)) {
      const value: unknown = node.value;
      out = {
        value:
          typeof value === 'bigint'
            ? Number(value)
            : typeof value === 'object' && value !== null
              ? (node.toJS(source.doc) as unknown)
              : value,
        size: 1,
      };
    } else {
      out = { value: null, size: 1 };
    }
    if (record) {
      record.done = true;
      record.value = out.value;
      record.size = out.size;
    }
    return out;
  };
  try {
    return { ok: true, data: convert(source.doc.contents).value };
  } catch (err) {
    if (!(err instanceof AliasProblem)) throw err;
    return {
      ok: false,
      finding: {
        path: pathAtOffset(source, err.offset),
        ...positionOf(source, err.offset),
        message: err.message,
      },
    };
  }
}

/** True when the document has no content (empty file or only comments). */
export function isEmptyDocument(source: YamlSource): boolean {
  const contents: YamlNode | null = source.doc.contents;
  return contents === null || isEmptyScalar(contents);
}
