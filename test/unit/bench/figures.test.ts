// The benchmark's bookkeeping: medians, figures with their load, offload read-back, /proc
// parsing and the JSON layout.
import { describe, expect, it } from 'vitest';
import { FigureRuns, median } from '../../../src/bench/figure.js';
import { formatJson } from '../../../src/bench/json.js';
import { parseProcStat, parseTaskStat, type Load } from '../../../src/bench/load.js';
import {
  OFFLOADS_OFF_ARGS,
  offloadsNotOff,
  offloadSummary,
  parseOffloads,
} from '../../../src/bench/measuredPath.js';

const load = (other: number): Load => ({
  loadavg1: 1.5,
  otherCpuPercent: other,
  ownCpuPercent: 40,
  kernelThreadCpuPercent: 2,
  irqCpuPercent: 1,
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(median([NaN, 5])).toBe(5);
  });
});

describe('FigureRuns', () => {
  it('carries every run, the load of each run, and the median', () => {
    const f = new FigureRuns(3);
    f.add(2.34567, load(10));
    f.add(1.2, load(20));
    f.add(3, load(30));
    expect(f.toJSON()).toEqual({
      median: 2.346,
      runs: [2.346, 1.2, 3],
      load: {
        loadavg1: [1.5, 1.5, 1.5],
        otherCpuPercent: [10, 20, 30],
        ownCpuPercent: [40, 40, 40],
        kernelThreadCpuPercent: [2, 2, 2],
        irqCpuPercent: [1, 1, 1],
      },
    });
  });
});

describe('offload read-back', () => {
  const veth = [
    'Features for va:',
    'rx-checksumming: off',
    'tx-checksumming: off',
    '\ttx-checksum-ip-generic: off',
    'scatter-gather: on',
    'tcp-segmentation-offload: off',
    'generic-segmentation-offload: off',
    'generic-receive-offload: off',
    'large-receive-offload: off [fixed]',
  ].join('\n');

  it('reads all five offloads from ethtool -k', () => {
    const state = parseOffloads(veth);
    expect(offloadsNotOff(state)).toEqual([]);
    expect(offloadSummary(state)).toBe('tso off, gso off, gro off, tx off, rx off');
  });

  it('names the offloads still on, and counts an unlisted one as not off', () => {
    const state = parseOffloads(
      veth
        .replace('tcp-segmentation-offload: off', 'tcp-segmentation-offload: on')
        .replace('generic-receive-offload: off\n', ''),
    );
    expect(offloadsNotOff(state)).toEqual(['tso', 'gro']);
    expect(offloadSummary(state)).toBe('tso on, gso off, gro ?, tx off, rx off');
  });

  it('turns every one of them off with ethtool -K', () => {
    expect(OFFLOADS_OFF_ARGS).toEqual([
      'tso',
      'off',
      'gso',
      'off',
      'gro',
      'off',
      'tx',
      'off',
      'rx',
      'off',
    ]);
  });
});

describe('/proc parsing', () => {
  it('splits /proc/stat into task, irq and total ticks', () => {
    expect(parseProcStat('cpu  10 1 5 100 3 2 4 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n')).toEqual({
      total: 125,
      tasks: 16,
      irq: 6,
    });
  });

  it('reads /proc/<pid>/stat, even with a command name holding ") "', () => {
    const stat =
      '1234 (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 11 13 20 0 1 0 555 1000 10';
    expect(parseTaskStat(stat)).toEqual({
      ppid: 1,
      flags: 4194560,
      ownTicks: 10,
      childTicks: 24,
      start: 555,
    });
  });
});

describe('formatJson', () => {
  it('keeps arrays of numbers on one line and parses back to the same value', () => {
    const value = { a: { runs: [1, 2.5, 3], notes: ['x', 'y'] }, empty: [], o: {} };
    const text = formatJson(value);
    expect(text).toContain('"runs": [1, 2.5, 3]');
    expect(text).toContain('"notes": [\n      "x",\n      "y"\n    ]');
    expect(JSON.parse(text)).toEqual(value);
  });
});
