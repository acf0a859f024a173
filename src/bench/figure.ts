// One reported figure: every run's value, the load each run was measured under, and the median.
import type { Load } from './load.js';

/** The load of each run of a figure, index for index with its runs. */
export interface LoadSeries {
  loadavg1: number[];
  otherCpuPercent: number[];
  ownCpuPercent: number[];
  kernelThreadCpuPercent: number[];
  irqCpuPercent: number[];
}

/** A figure as the benchmark's JSON carries it. */
export interface Figure {
  median: number;
  runs: number[];
  load: LoadSeries;
}

/** The median (the mean of the middle two for an even count); NaN without values. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Rounds to `digits` decimals. */
export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Collects the runs of one figure. */
export class FigureRuns {
  private readonly runs: number[] = [];
  private readonly loads: Load[] = [];

  /** `digits`: decimals kept in the JSON. */
  constructor(private readonly digits = 0) {}

  add(value: number, load: Load): void {
    this.runs.push(roundTo(value, this.digits));
    this.loads.push(load);
  }

  get count(): number {
    return this.runs.length;
  }

  /** The median of the runs so far (not rounded further). */
  median(): number {
    return median(this.runs);
  }

  toJSON(): Figure {
    const pick = (k: keyof Load): number[] => this.loads.map((l) => l[k]);
    return {
      median: roundTo(this.median(), this.digits),
      runs: [...this.runs],
      load: {
        loadavg1: pick('loadavg1'),
        otherCpuPercent: pick('otherCpuPercent'),
        ownCpuPercent: pick('ownCpuPercent'),
        kernelThreadCpuPercent: pick('kernelThreadCpuPercent'),
        irqCpuPercent: pick('irqCpuPercent'),
      },
    };
  }
}
