// Link impairments (issue 10): what one direction of a link does to its frames, with netem's
// names, units and semantics (tc-netem(8)), so that a Zephyr developer's netem knowledge carries
// over. Pure code: used by the engine's fabric, the topology validator, the CLI and the renderer.

/** Shape of the random variation of the delay (netem's `distribution`). */
export type DelayDistribution = 'uniform' | 'normal' | 'pareto';

/** Every delay distribution, in display order. */
export const DELAY_DISTRIBUTIONS: readonly DelayDistribution[] = ['uniform', 'normal', 'pareto'];

/**
 * Bursty loss after the Gilbert-Elliott model, as netem's `loss gemodel p r 1-h 1-k`: a frame
 * arriving in the good state first moves to the bad state with probability p, a frame arriving in
 * the bad state moves back to good with probability r; it is then lost with probability 1-k if it
 * arrived in the good state, 1-h if in the bad one. All four are percentages (0-100). With
 * 1-h = 100 and 1-k = 0 (the defaults) this is the simple Gilbert model: the mean loss burst is
 * 100/r frames and the loss rate p/(p+r).
 */
export interface GilbertElliott {
  /** Percent chance per good-state frame of moving to the bad state. */
  p: number;
  /** Percent chance per bad-state frame of moving back to the good state (tc's default 100-p). */
  r: number;
  /** Percent of bad-state frames lost, netem's "1-h" (tc's default 100). */
  oneMinusH: number;
  /** Percent of good-state frames lost, netem's "1-k" (tc's default 0). */
  oneMinusK: number;
}

/**
 * Tail-drop queue in front of the rate limit: at most `limit` frames, or bytes, waiting for or in
 * transmission when a frame reaches the rate limit; a frame that does not fit is a 'rate-queue'
 * drop.
 */
export interface RateQueue {
  limit: number;
  unit: 'frames' | 'bytes';
}

/**
 * What one direction of a link does to its frames. Every field is optional: an empty spec does
 * nothing. Percentages are 0-100 as in netem's text ("loss=1%" is `loss: 1`). See the text form
 * in parseImpairment().
 */
export interface Impairment {
  /** Fixed delay added to every frame, in microseconds (netem `delay`). */
  delayUs?: number;
  /** Random variation of the delay, in microseconds (netem's second `delay` argument). */
  jitterUs?: number;
  /** Shape of the jitter; default 'uniform' (delay ± jitter, as netem without a table). */
  distribution?: DelayDistribution;
  /** Percent by which each random jitter value depends on the previous one (netem's third). */
  correlation?: number;
  /** Lost frames: a percentage of random loss, or a Gilbert-Elliott model for bursts. */
  loss?: number | GilbertElliott;
  /** Link rate in bits per second: each frame is delayed by its own transmission time. */
  rateBitsPerSecond?: number;
  /** Queue in front of the rate; default none (only `limit` bounds what waits). */
  queue?: RateQueue;
  /** Percent of frames sent twice. */
  duplicate?: number;
  /** Percent of frames with one random bit flipped (delivered, not dropped). */
  corrupt?: number;
  /** Percent of frames sent at once while the others wait their delay (needs a delay). */
  reorder?: number;
  /** Reorder only every gap-th frame at most (netem `gap`); default 1. */
  gap?: number;
  /** Most frames held at once (delayed or rate-limited); default 1000 as netem. */
  limit?: number;
  /** Seed of the random decisions: same seed and same frames, same decisions. */
  seed?: number;
}

/** netem's default queue limit, in frames. */
export const DEFAULT_IMPAIRMENT_LIMIT = 1000;

/** Longest delay or jitter accepted: one hour, in microseconds. */
export const MAX_IMPAIRMENT_DELAY_US = 3_600_000_000;

/** Largest `limit` and rate queue in frames. */
export const MAX_IMPAIRMENT_FRAMES = 1_000_000;

/** Fastest rate accepted, in bits per second (10 tbit). */
export const MAX_IMPAIRMENT_RATE = 1e13;

/** Largest rate queue in bytes (1 GiB). */
export const MAX_IMPAIRMENT_QUEUE_BYTES = 1024 * 1024 * 1024;

/** Every key of the text form, in the order formatImpairment() writes them. */
export const IMPAIRMENT_KEYS = [
  'delay',
  'jitter',
  'distribution',
  'correlation',
  'loss',
  'rate',
  'queue',
  'duplicate',
  'corrupt',
  'reorder',
  'gap',
  'limit',
  'seed',
] as const;

/** A key of the text form. */
export type ImpairmentKey = (typeof IMPAIRMENT_KEYS)[number];

/** What an impairment did so far, besides drops (which the port counts by cause). */
export interface ImpairmentCounters {
  /** Frames held right now (delayed or waiting for the rate). */
  held: number;
  /** Copies made by `duplicate`. */
  duplicated: number;
  /** Frames delivered with a bit flipped by `corrupt`. */
  corrupted: number;
  /** Frames sent ahead of the delayed ones by `reorder`. */
  reordered: number;
}

/** One direction's impairment as status shows it. */
export interface ImpairmentStatus {
  /** The spec as set. */
  spec: Impairment;
  /** formatImpairment(spec). */
  text: string;
  /**
   * False when the spec does nothing (e.g. loss=0%): then no stage runs and frames pass at the
   * cost of an unimpaired port.
   */
  active: boolean;
  /** The seed in use (the spec's, or the one drawn for it), while active. */
  seed?: number;
  /** While active. */
  counters?: ImpairmentCounters;
}

/** Result of parseImpairment(). */
export type ImpairmentParse =
  | { ok: true; value: Impairment }
  | {
      ok: false;
      /** The key at fault, when one is. */
      key?: string;
      /** One sentence naming the bad key or value and the accepted form. */
      error: string;
    };

const KEY_LIST = IMPAIRMENT_KEYS.join(', ');

const TIME_UNITS: Readonly<Record<string, number>> = {
  us: 1,
  usec: 1,
  usecs: 1,
  ms: 1e3,
  msec: 1e3,
  msecs: 1e3,
  s: 1e6,
  sec: 1e6,
  secs: 1e6,
};

// tc's rate units: bit-based names count bits, bps-based ones bytes per second.
const RATE_UNITS: Readonly<Record<string, number>> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  tibit: 1024 ** 4,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
  kibps: 8 * 1024,
  mibps: 8 * 1024 ** 2,
  gibps: 8 * 1024 ** 3,
  tibps: 8 * 1024 ** 4,
};

// tc's size units (kb = 1024 bytes).
const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

const FORMS: Readonly<Record<ImpairmentKey, string>> = {
  delay: 'a time like delay=20ms (units us, ms, s)',
  jitter: 'a time like jitter=5ms (units us, ms, s)',
  distribution: `one of ${DELAY_DISTRIBUTIONS.join(', ')}, like distribution=normal`,
  correlation: 'a percentage like correlation=25%',
  loss: 'a percentage like loss=1% or loss=0.5%, or bursts like loss=gemodel:1%,25%,100%,0% (p, r, 1-h, 1-k; the last three optional)',
  rate: 'a rate like rate=10mbit (bit, kbit, mbit, gbit; bps, kbps, mbps, gbps are bytes per second)',
  queue: 'frames like queue=100 or bytes like queue=64kb (b, kb, mb)',
  duplicate: 'a percentage like duplicate=1%',
  corrupt: 'a percentage like corrupt=0.1%',
  reorder: 'a percentage like reorder=25%',
  gap: 'a whole number of frames like gap=5',
  limit: `a whole number of frames like limit=${DEFAULT_IMPAIRMENT_LIMIT}`,
  seed: 'a whole number like seed=42',
};

const NUMBER = /^(\d+(?:\.\d*)?|\.\d+)([a-z%]*)$/i;

function isKey(key: string): key is ImpairmentKey {
  return (IMPAIRMENT_KEYS as readonly string[]).includes(key);
}

/** Rounds a time in microseconds to whole nanoseconds (what the kernel keeps). */
function roundUs(us: number): number {
  return Math.round(us * 1000) / 1000;
}

function bad(key: string, value: string, why?: string): ImpairmentParse {
  const form = isKey(key) ? FORMS[key] : '';
  return {
    ok: false,
    key,
    error: `${key} "${value}" ${why ?? 'is not valid'}: write ${form}.`,
  };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

function parseNumberWithUnit(text: string): { n: number; unit: string } | undefined {
  const m = NUMBER.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  return { n, unit: (m[2] ?? '').toLowerCase() };
}

function parseTime(text: string): Parsed<number> {
  const v = parseNumberWithUnit(text);
  if (v === undefined) return { ok: false, why: 'is not a time' };
  if (v.unit === '') return { ok: false, why: 'needs a time unit' };
  const scale = TIME_UNITS[v.unit];
  if (scale === undefined) return { ok: false, why: `has an unknown time unit "${v.unit}"` };
  const us = roundUs(v.n * scale);
  if (us > MAX_IMPAIRMENT_DELAY_US) return { ok: false, why: 'is longer than one hour' };
  return { ok: true, value: us };
}

function parsePercent(text: string): Parsed<number> {
  const v = parseNumberWithUnit(text);
  if (v === undefined || (v.unit !== '' && v.unit !== '%')) {
    return { ok: false, why: 'is not a percentage' };
  }
  if (v.n > 100) return { ok: false, why: 'is more than 100%' };
  return { ok: true, value: v.n };
}

function parseRate(text: string): Parsed<number> {
  const v = parseNumberWithUnit(text);
  if (v === undefined) return { ok: false, why: 'is not a rate' };
  if (v.unit === '') return { ok: false, why: 'needs a rate unit' };
  const scale = RATE_UNITS[v.unit];
  if (scale === undefined) return { ok: false, why: `has an unknown rate unit "${v.unit}"` };
  const bits = Math.round(v.n * scale);
  if (bits < 8) return { ok: false, why: 'is below 8bit (one byte per second)' };
  if (bits > MAX_IMPAIRMENT_RATE) return { ok: false, why: 'is above 10tbit' };
  return { ok: true, value: bits };
}

function parseWhole(text: string, min: number, max: number): Parsed<number> {
  if (!/^\d+$/.test(text)) return { ok: false, why: 'is not a whole number' };
  const n = Number(text);
  if (n < min) return { ok: false, why: `is below ${min}` };
  if (n > max) return { ok: false, why: `is above ${max}` };
  return { ok: true, value: n };
}

function parseQueue(text: string): Parsed<RateQueue> {
  if (/^\d+$/.test(text)) {
    const frames = parseWhole(text, 1, MAX_IMPAIRMENT_FRAMES);
    return frames.ok ? { ok: true, value: { limit: frames.value, unit: 'frames' } } : frames;
  }
  const v = parseNumberWithUnit(text);
  const scale = v === undefined ? undefined : SIZE_UNITS[v.unit];
  if (v === undefined || scale === undefined) return { ok: false, why: 'is not a queue size' };
  const bytes = Math.round(v.n * scale);
  if (bytes < 1) return { ok: false, why: 'is below one byte' };
  if (bytes > MAX_IMPAIRMENT_QUEUE_BYTES) return { ok: false, why: 'is above 1gb' };
  return { ok: true, value: { limit: bytes, unit: 'bytes' } };
}

function parseLoss(text: string): Parsed<number | GilbertElliott> {
  const lower = text.toLowerCase();
  if (!lower.startsWith('gemodel')) return parsePercent(text);
  const rest = lower.slice('gemodel'.length);
  if (!rest.startsWith(':') || rest.length === 1) {
    return { ok: false, why: 'needs the model parameters after "gemodel:"' };
  }
  const parts = rest.slice(1).split(',');
  if (parts.length > 4) return { ok: false, why: 'has more than four model parameters' };
  const values: number[] = [];
  for (const part of parts) {
    const v = parsePercent(part);
    if (!v.ok) return { ok: false, why: `has "${part}", which ${v.why}` };
    values.push(v.value);
  }
  // tc's defaults: r = 100% - p (so that "gemodel:P" alone loses P% of frames, independently),
  // 1-h = 100%, 1-k = 0%.
  const [p = 0, r = Math.round((100 - p) * 1e9) / 1e9, oneMinusH = 100, oneMinusK = 0] = values;
  return { ok: true, value: { p, r, oneMinusH, oneMinusK } };
}

/**
 * Parses the text form: `key=value` pairs separated by blanks (or given as separate strings,
 * as on a command line), e.g. "delay=20ms jitter=5ms distribution=normal loss=1% rate=10mbit
 * queue=64kb limit=100 seed=7". Units follow tc: times us, ms, s; rates bit, kbit, mbit, gbit
 * (and kibit...), or bps, kbps, mbps, gbps in bytes per second; percentages "1%", "0.5%" (a bare
 * number is a percentage too); queue sizes a bare number of frames or b, kb, mb of bytes.
 * Bursty loss is "loss=gemodel:P,R,1-H,1-K" (R, 1-H, 1-K optional, tc's defaults 100%-P,
 * 100%, 0%). "" and "none" give the empty spec. Errors are one sentence naming the key and value.
 */
export function parseImpairment(text: string | readonly string[]): ImpairmentParse {
  const joined = typeof text === 'string' ? text : text.join(' ');
  const tokens = joined.split(/\s+/).filter((t) => t.length > 0);
  const spec: Impairment = {};
  if (tokens.length === 1 && tokens[0]?.toLowerCase() === 'none') return { ok: true, value: spec };
  const seen = new Set<string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) {
      const key = eq === 0 ? token : token.toLowerCase();
      if (eq < 0 && isKey(key)) {
        return { ok: false, key, error: `${key} has no value: write ${FORMS[key]}.` };
      }
      return {
        ok: false,
        error: `"${token}" is not a key=value pair: write impairments like delay=20ms loss=1% (keys ${KEY_LIST}).`,
      };
    }
    const key = token.slice(0, eq).toLowerCase();
    const value = token.slice(eq + 1);
    if (!isKey(key)) {
      return {
        ok: false,
        key,
        error: `"${token.slice(0, eq)}" is not an impairment: the keys are ${KEY_LIST}.`,
      };
    }
    if (seen.has(key)) return { ok: false, key, error: `${key} is given twice; give it once.` };
    seen.add(key);
    if (value.length === 0) {
      return { ok: false, key, error: `${key} has no value: write ${FORMS[key]}.` };
    }
    const result = applyKey(spec, key, value);
    if (result !== undefined) return result;
  }
  const problem = checkImpairment(spec);
  if (problem !== undefined) return { ok: false, key: problem.key, error: problem.error };
  return { ok: true, value: spec };
}

function applyKey(
  spec: Impairment,
  key: ImpairmentKey,
  value: string,
): ImpairmentParse | undefined {
  const fail = (r: { why: string }): ImpairmentParse => bad(key, value, r.why);
  switch (key) {
    case 'delay':
    case 'jitter': {
      const t = parseTime(value);
      if (!t.ok) return fail(t);
      if (key === 'delay') spec.delayUs = t.value;
      else spec.jitterUs = t.value;
      return undefined;
    }
    case 'distribution': {
      const d = value.toLowerCase();
      if (!(DELAY_DISTRIBUTIONS as readonly string[]).includes(d)) {
        return fail({ why: 'is not a distribution' });
      }
      spec.distribution = d as DelayDistribution;
      return undefined;
    }
    case 'correlation':
    case 'duplicate':
    case 'corrupt':
    case 'reorder': {
      const p = parsePercent(value);
      if (!p.ok) return fail(p);
      spec[key] = p.value;
      return undefined;
    }
    case 'loss': {
      const l = parseLoss(value);
      if (!l.ok) return fail(l);
      spec.loss = l.value;
      return undefined;
    }
    case 'rate': {
      const r = parseRate(value);
      if (!r.ok) return fail(r);
      spec.rateBitsPerSecond = r.value;
      return undefined;
    }
    case 'queue': {
      const q = parseQueue(value);
      if (!q.ok) return fail(q);
      spec.queue = q.value;
      return undefined;
    }
    case 'gap':
    case 'limit': {
      const n = parseWhole(value, 1, MAX_IMPAIRMENT_FRAMES);
      if (!n.ok) return fail(n);
      spec[key] = n.value;
      return undefined;
    }
    case 'seed': {
      const n = parseWhole(value, 0, Number.MAX_SAFE_INTEGER);
      if (!n.ok) return fail(n);
      spec.seed = n.value;
      return undefined;
    }
  }
}

/** A value received as JSON, for an error message. */
function shown(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}

/** An object's fields, or undefined for anything else. */
function fieldsOf(v: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function isPercent(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;
}

function isWhole(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_IMPAIRMENT_DELAY_US;
}

/**
 * Checks a spec built in code or received as JSON: value ranges, and the rules between keys that
 * netem enforces (a jitter shape needs a jitter, reorder needs a delay, a queue needs a rate).
 * Returns the first problem (the key and one sentence), or undefined when the spec is valid.
 */
export function checkImpairment(
  spec: Impairment,
): { key: ImpairmentKey; error: string } | undefined {
  const problem = (key: ImpairmentKey, error: string): { key: ImpairmentKey; error: string } => ({
    key,
    error,
  });
  const s = spec as Record<keyof Impairment, unknown>;
  if (s.delayUs !== undefined && !isTime(s.delayUs)) {
    return problem('delay', `delay must be 0 to 1 hour in microseconds, not ${shown(s.delayUs)}.`);
  }
  if (s.jitterUs !== undefined && !isTime(s.jitterUs)) {
    return problem(
      'jitter',
      `jitter must be 0 to 1 hour in microseconds, not ${shown(s.jitterUs)}.`,
    );
  }
  if (
    s.distribution !== undefined &&
    !(DELAY_DISTRIBUTIONS as readonly unknown[]).includes(s.distribution)
  ) {
    return problem(
      'distribution',
      `distribution must be one of ${DELAY_DISTRIBUTIONS.join(', ')}, not ${shown(s.distribution)}.`,
    );
  }
  for (const key of ['correlation', 'duplicate', 'corrupt', 'reorder'] as const) {
    if (s[key] !== undefined && !isPercent(s[key])) {
      return problem(key, `${key} must be a percentage from 0 to 100, not ${shown(s[key])}.`);
    }
  }
  if (s.loss !== undefined && !isPercent(s.loss)) {
    const ge = fieldsOf(s.loss);
    if (
      ge === undefined ||
      !isPercent(ge.p) ||
      !isPercent(ge.r) ||
      !isPercent(ge.oneMinusH) ||
      !isPercent(ge.oneMinusK)
    ) {
      return problem(
        'loss',
        'loss must be a percentage from 0 to 100, or a Gilbert-Elliott model with p, r, oneMinusH and oneMinusK percentages.',
      );
    }
  }
  if (
    s.rateBitsPerSecond !== undefined &&
    !(
      typeof s.rateBitsPerSecond === 'number' &&
      Number.isFinite(s.rateBitsPerSecond) &&
      s.rateBitsPerSecond >= 8 &&
      s.rateBitsPerSecond <= MAX_IMPAIRMENT_RATE
    )
  ) {
    return problem(
      'rate',
      `rate must be 8 to 10^13 bits per second, not ${shown(s.rateBitsPerSecond)}.`,
    );
  }
  if (s.queue !== undefined) {
    const q = fieldsOf(s.queue);
    const max = q?.unit === 'bytes' ? MAX_IMPAIRMENT_QUEUE_BYTES : MAX_IMPAIRMENT_FRAMES;
    if (
      q === undefined ||
      (q.unit !== 'frames' && q.unit !== 'bytes') ||
      !isWhole(q.limit, 1, max)
    ) {
      return problem('queue', `queue must be a whole number of frames or bytes from 1 to ${max}.`);
    }
  }
  for (const key of ['gap', 'limit'] as const) {
    if (s[key] !== undefined && !isWhole(s[key], 1, MAX_IMPAIRMENT_FRAMES)) {
      return problem(
        key,
        `${key} must be a whole number of frames from 1 to ${MAX_IMPAIRMENT_FRAMES}, not ${shown(s[key])}.`,
      );
    }
  }
  if (s.seed !== undefined && !isWhole(s.seed, 0, Number.MAX_SAFE_INTEGER)) {
    return problem('seed', `seed must be a whole number from 0 to 2^53-1, not ${shown(s.seed)}.`);
  }
  const jitter = spec.jitterUs ?? 0;
  if (spec.distribution !== undefined && jitter === 0) {
    return problem(
      'distribution',
      `distribution shapes the jitter, and there is none: add a jitter, e.g. jitter=5ms distribution=${spec.distribution}.`,
    );
  }
  if (spec.correlation !== undefined && spec.correlation > 0 && jitter === 0) {
    return problem(
      'correlation',
      'correlation relates successive jitter values, and there is no jitter: add one, e.g. jitter=5ms correlation=25%.',
    );
  }
  if (spec.reorder !== undefined && spec.reorder > 0 && (spec.delayUs ?? 0) === 0) {
    return problem(
      'reorder',
      'reorder sends some frames ahead of delayed ones, and there is no delay: add one, e.g. delay=10ms reorder=25%.',
    );
  }
  if (spec.gap !== undefined && !(spec.reorder !== undefined && spec.reorder > 0)) {
    return problem(
      'gap',
      'gap spaces reordered frames, and nothing is reordered: add reorder, e.g. reorder=25% gap=5.',
    );
  }
  if (spec.queue !== undefined && spec.rateBitsPerSecond === undefined) {
    return problem(
      'queue',
      'queue is the queue in front of a rate, and there is none: add one, e.g. rate=1mbit queue=64kb.',
    );
  }
  return undefined;
}

/**
 * True when the spec changes nothing (no delay, jitter or rate; no loss, duplicate, corrupt or
 * reorder above 0%): the fabric then installs no stage at all, so an impairment set to e.g.
 * loss=0% costs what an unimpaired port costs.
 */
export function isInertImpairment(spec: Impairment): boolean {
  const loss = spec.loss;
  const lossy =
    typeof loss === 'number'
      ? loss > 0
      : loss !== undefined && (loss.oneMinusK > 0 || (loss.p > 0 && loss.oneMinusH > 0));
  return !(
    (spec.delayUs ?? 0) > 0 ||
    (spec.jitterUs ?? 0) > 0 ||
    spec.rateBitsPerSecond !== undefined ||
    lossy ||
    (spec.duplicate ?? 0) > 0 ||
    (spec.corrupt ?? 0) > 0 ||
    (spec.reorder ?? 0) > 0
  );
}

/** A number in plain decimal notation (never exponent notation, which the parser refuses). */
function decimal(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/\.?0+$/, '');
}

/** A time in microseconds in the largest unit that keeps it whole: "20ms", "1500us", "2s". */
export function formatDuration(us: number): string {
  if (us !== 0 && us % 1e6 === 0) return `${decimal(us / 1e6)}s`;
  if (us !== 0 && us % 1e3 === 0) return `${decimal(us / 1e3)}ms`;
  return `${decimal(us)}us`;
}

/** A rate in bits per second in tc's units: "10mbit", "64kbit", "1500bit". */
export function formatBitRate(bitsPerSecond: number): string {
  for (const [unit, scale] of [
    ['gbit', 1e9],
    ['mbit', 1e6],
    ['kbit', 1e3],
  ] as const) {
    if (bitsPerSecond % scale === 0) return `${decimal(bitsPerSecond / scale)}${unit}`;
  }
  return `${decimal(bitsPerSecond)}bit`;
}

function formatQueue(q: RateQueue): string {
  if (q.unit === 'frames') return String(q.limit);
  if (q.limit % 1024 ** 2 === 0) return `${q.limit / 1024 ** 2}mb`;
  if (q.limit % 1024 === 0) return `${q.limit / 1024}kb`;
  return `${q.limit}b`;
}

const percent = (n: number): string => `${decimal(n)}%`;

/**
 * The spec in the text form parseImpairment() reads (keys in IMPAIRMENT_KEYS order), e.g.
 * "delay=20ms jitter=5ms loss=1%"; "" for the empty spec. parseImpairment(formatImpairment(s))
 * gives back `s`.
 */
export function formatImpairment(spec: Impairment): string {
  const out: string[] = [];
  if (spec.delayUs !== undefined) out.push(`delay=${formatDuration(spec.delayUs)}`);
  if (spec.jitterUs !== undefined) out.push(`jitter=${formatDuration(spec.jitterUs)}`);
  if (spec.distribution !== undefined) out.push(`distribution=${spec.distribution}`);
  if (spec.correlation !== undefined) out.push(`correlation=${percent(spec.correlation)}`);
  const loss = spec.loss;
  if (typeof loss === 'number') out.push(`loss=${percent(loss)}`);
  else if (loss !== undefined) {
    const params = [loss.p, loss.r, loss.oneMinusH, loss.oneMinusK].map(percent).join(',');
    out.push(`loss=gemodel:${params}`);
  }
  if (spec.rateBitsPerSecond !== undefined) {
    out.push(`rate=${formatBitRate(spec.rateBitsPerSecond)}`);
  }
  if (spec.queue !== undefined) out.push(`queue=${formatQueue(spec.queue)}`);
  if (spec.duplicate !== undefined) out.push(`duplicate=${percent(spec.duplicate)}`);
  if (spec.corrupt !== undefined) out.push(`corrupt=${percent(spec.corrupt)}`);
  if (spec.reorder !== undefined) out.push(`reorder=${percent(spec.reorder)}`);
  if (spec.gap !== undefined) out.push(`gap=${spec.gap}`);
  if (spec.limit !== undefined) out.push(`limit=${spec.limit}`);
  if (spec.seed !== undefined) out.push(`seed=${spec.seed}`);
  return out.join(' ');
}
