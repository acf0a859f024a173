// Seeded randomness for impairments: a small, fast PRNG (xoshiro128**, seeded through
// splitmix32) and the delay distributions netem draws from. Same seed, same numbers, on every
// machine: decisions are reproducible from a status line's seed.
import type { DelayDistribution } from '../../../shared/impairment.js';

const TWO_POW_32 = 0x1_0000_0000;

/** One step of splitmix32: returns [output, next state]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, next];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128** (Blackman and Vigna): 32-bit state words, period 2^128 - 1, plenty for per-frame
 * decisions. Each (seed, stream) pair gives an independent sequence, so every kind of decision
 * (loss, duplicate, corrupt, delay, reorder) has its own and one does not shift another's.
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed`: a whole number from 0 to 2^53-1; `stream`: which independent sequence. */
  constructor(seed: number, stream = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    let state =
      (lo ^ Math.imul(hi ^ 0x5bd1e995, 0x27d4eb2f) ^ Math.imul(stream + 1, 0x165667b1)) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [out, next] = splitmix32(state);
      words.push(out);
      state = next;
    }
    const [a = 1, b = 0, c = 0, d = 0] = words;
    // The all-zero state is the one xoshiro cannot leave.
    this.a = (a | b | c | d) === 0 ? 1 : a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** The next number, uniform in [0, 2^32). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** The next number, uniform in [0, 1). */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** A whole number uniform in [0, n), for n up to 2^32. */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * netem's correlated random numbers (get_crandom): each value is `correlation` percent the
 * previous value and the rest a fresh one. As tc-netem(8) warns, this is not a true statistical
 * correlation, but it is what netem does.
 */
export class CorrelatedRandom {
  private last: number;
  private readonly weight: number;

  constructor(
    private readonly rng: Xoshiro128,
    correlationPercent: number,
  ) {
    this.weight = Math.min(Math.max(correlationPercent, 0), 100) / 100;
    this.last = rng.nextU32();
  }

  /** The next number in [0, 2^32). */
  nextU32(): number {
    const value = this.rng.nextU32();
    if (this.weight === 0) return value;
    this.last = value * (1 - this.weight) + this.last * this.weight;
    return this.last;
  }
}

/** Largest value netem's distribution tables hold (a signed 16-bit entry over 8192): ~4. */
const TABLE_MAX = 32767 / 8192;

/**
 * The inverse of the standard normal distribution function (Acklam's rational approximation,
 * relative error below 1.2e-9), for p in (0, 1).
 */
export function inverseNormal(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * A delay around `mu` varying by `sigma` (both in microseconds), from a uniform random number
 * `u32` in [0, 2^32), as netem's tabledist():
 * - uniform: mu - sigma to mu + sigma (netem without a table);
 * - normal: mu + sigma * N(0,1), cut at ±4 sigma like tc's normal table;
 * - pareto: mu + sigma * (4/3)(U^(-1/3) - 1.5), a Pareto of shape 3 moved to mean 0 as tc's
 *   pareto table, so from mu - 2/3 sigma to (cut) mu + 4 sigma.
 * The result may be negative; the caller treats that as no delay, as netem does.
 */
export function distributedDelay(
  mu: number,
  sigma: number,
  u32: number,
  distribution: DelayDistribution,
): number {
  if (sigma === 0) return mu;
  const u = (u32 + 0.5) / TWO_POW_32; // (0, 1), never 0 or 1
  switch (distribution) {
    case 'uniform':
      return mu - sigma + u * 2 * sigma;
    case 'normal': {
      const t = inverseNormal(u);
      return mu + sigma * Math.min(Math.max(t, -TABLE_MAX), TABLE_MAX);
    }
    case 'pareto': {
      const t = (4 / 3) * (Math.pow(1 - u, -1 / 3) - 1.5);
      return mu + sigma * Math.min(t, TABLE_MAX);
    }
  }
}
