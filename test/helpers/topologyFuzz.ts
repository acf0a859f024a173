// Seeded mutations of topology files for the loader's property tests: a deterministic PRNG and
// mutation operators that break a file the ways people and tools do (bytes, lines, YAML
// indicators, nesting, numbers, unicode, tabs, truncation).

/** A deterministic PRNG (mulberry32): the same seed gives the same mutants on every machine. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** A mutation: its name (for the failure message) and what it does to the file's bytes. */
export interface Mutation {
  name: string;
  apply(bytes: Buffer, rng: Prng): Buffer;
}

const YAML_SPECIALS = [
  ':',
  ': ',
  '- ',
  '? ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '#',
  '&a ',
  '*a',
  '*nope',
  '!',
  '!!str ',
  '!!binary ',
  '|',
  '>',
  '|2-',
  '"',
  "'",
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  '<<: *a\n',
  '@',
  '`',
  '\\',
  '\n',
  '\r',
  '\r\n',
];

const UNICODE = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  'é',
  'ß',
  'Ω',
  '中文',
  '😀',
  '\u{1f1fa}\u{1f1f3}',
];

const HUGE_NUMBERS = [
  '1e309',
  '-1e309',
  '99999999999999999999999999999',
  '0x7fffffffffffffffffff',
  '0o777777777777777777777',
  '-0',
  '.inf',
  '-.Inf',
  '.nan',
  '4294967296',
  '65536',
  '-1',
  '1.5',
  '1_000',
  '9'.repeat(400),
];

const RESERVED_OR_ODD_NAMES = ['lo', 'all', 'default', 'sit0', 'nwbr0', '.', '..', 'a/b', 'a\nb'];

function lines(bytes: Buffer): string[] {
  return bytes.toString('latin1').split('\n');
}

function fromLines(list: readonly string[]): Buffer {
  return Buffer.from(list.join('\n'), 'latin1');
}

function insertAt(bytes: Buffer, at: number, text: string): Buffer {
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(text, 'utf8'), bytes.subarray(at)]);
}

/** Replaces a random run of digits (a number in the file) with `text`, or inserts it. */
function replaceNumber(bytes: Buffer, rng: Prng, text: string): Buffer {
  const source = bytes.toString('latin1');
  const numbers = [...source.matchAll(/[0-9]+/g)];
  if (numbers.length === 0) return insertAt(bytes, rng.int(bytes.length + 1), text);
  const m = rng.pick(numbers);
  const at = m.index;
  return Buffer.concat([
    bytes.subarray(0, at),
    Buffer.from(text, 'utf8'),
    bytes.subarray(at + m[0].length),
  ]);
}

/** Every mutation operator. */
export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'flip a byte',
    apply(bytes, rng) {
      if (bytes.length === 0) return Buffer.from([rng.int(256)]);
      const out = Buffer.from(bytes);
      const i = rng.int(out.length);
      out[i] = (out[i] ?? 0) ^ (1 << rng.int(8));
      return out;
    },
  },
  {
    name: 'set a random byte',
    apply(bytes, rng) {
      if (bytes.length === 0) return Buffer.from([rng.int(256)]);
      const out = Buffer.from(bytes);
      out[rng.int(out.length)] = rng.int(256);
      return out;
    },
  },
  {
    name: 'delete a line',
    apply(bytes, rng) {
      const list = lines(bytes);
      list.splice(rng.int(list.length), 1);
      return fromLines(list);
    },
  },
  {
    name: 'duplicate a line',
    apply(bytes, rng) {
      const list = lines(bytes);
      const i = rng.int(list.length);
      list.splice(i, 0, list[i] ?? '');
      return fromLines(list);
    },
  },
  {
    name: 'duplicate a block of lines',
    apply(bytes, rng) {
      const list = lines(bytes);
      const i = rng.int(list.length);
      const block = list.slice(i, i + 1 + rng.int(8));
      list.splice(i, 0, ...block);
      return fromLines(list);
    },
  },
  {
    name: 'swap two lines',
    apply(bytes, rng) {
      const list = lines(bytes);
      const i = rng.int(list.length);
      const j = rng.int(list.length);
      const a = list[i] ?? '';
      list[i] = list[j] ?? '';
      list[j] = a;
      return fromLines(list);
    },
  },
  {
    name: 'insert a YAML special character',
    apply(bytes, rng) {
      return insertAt(bytes, rng.int(bytes.length + 1), rng.pick(YAML_SPECIALS));
    },
  },
  {
    name: 'truncate',
    apply(bytes, rng) {
      return bytes.subarray(0, rng.int(bytes.length + 1));
    },
  },
  {
    name: 'nest deeply',
    apply(bytes, rng) {
      const depth = 1 + rng.int(rng.next() < 0.5 ? 80 : 20_000);
      const opener = rng.pick(['[', '{', '- ', '{a: ', '? ', 'a: ', '[{b: ']);
      const closed = rng.next() < 0.5;
      const closer = opener.startsWith('[') ? ']' : opener.startsWith('{') ? '}' : '';
      const text = opener.repeat(depth) + (closed ? closer.repeat(depth) : '');
      return insertAt(bytes, rng.int(bytes.length + 1), text);
    },
  },
  {
    name: 'nest by indentation',
    apply(bytes, rng) {
      const depth = 1 + rng.int(200);
      let text = '\n';
      for (let i = 0; i < depth; i++) text += `${' '.repeat(i)}k${i}:\n`;
      return insertAt(bytes, rng.int(bytes.length + 1), text);
    },
  },
  {
    name: 'replace a number with a huge or odd one',
    apply(bytes, rng) {
      return replaceNumber(bytes, rng, rng.pick(HUGE_NUMBERS));
    },
  },
  {
    name: 'insert unicode or control characters',
    apply(bytes, rng) {
      return insertAt(bytes, rng.int(bytes.length + 1), rng.pick(UNICODE));
    },
  },
  {
    name: 'indent with a tab',
    apply(bytes, rng) {
      const list = lines(bytes);
      const i = rng.int(list.length);
      list[i] = (list[i] ?? '').replace(/^ */, (s) => (s.length > 0 ? '\t' + s.slice(1) : '\t'));
      return fromLines(list);
    },
  },
  {
    name: 'insert a tab',
    apply(bytes, rng) {
      return insertAt(bytes, rng.int(bytes.length + 1), '\t');
    },
  },
  {
    name: 'use CRLF line ends',
    apply(bytes) {
      return Buffer.from(bytes.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
    },
  },
  {
    name: 'prepend a byte order mark',
    apply(bytes) {
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    },
  },
  {
    name: 'insert a long value',
    apply(bytes, rng) {
      const unit = rng.pick(['a', 'é', '[]', ' ', '"', '\\n']);
      return insertAt(bytes, rng.int(bytes.length + 1), unit.repeat(1 + rng.int(20_000)));
    },
  },
  {
    name: 'replace a word with a reserved or odd name',
    apply(bytes, rng) {
      const source = bytes.toString('latin1');
      const words = [...source.matchAll(/[A-Za-z][A-Za-z0-9_-]*/g)];
      if (words.length === 0) return bytes;
      const m = rng.pick(words);
      const name = rng.pick(RESERVED_OR_ODD_NAMES);
      return Buffer.concat([
        bytes.subarray(0, m.index),
        Buffer.from(name, 'utf8'),
        bytes.subarray(m.index + m[0].length),
      ]);
    },
  },
  {
    name: 'anchor and alias a value',
    apply(bytes, rng) {
      const list = lines(bytes);
      const i = rng.int(list.length);
      const j = rng.int(list.length);
      list[i] = (list[i] ?? '').replace(/: /, ': &a ');
      list[j] = (list[j] ?? '').replace(/: .*$/, ': *a');
      return fromLines(list);
    },
  },
];

/** Applies 1-3 random mutations; returns the bytes and the names of what was done. */
export function mutate(bytes: Buffer, rng: Prng): { bytes: Buffer; applied: string[] } {
  let out = bytes;
  const applied: string[] = [];
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const mutation = rng.pick(MUTATIONS);
    out = mutation.apply(out, rng);
    applied.push(mutation.name);
  }
  return { bytes: out, applied };
}
