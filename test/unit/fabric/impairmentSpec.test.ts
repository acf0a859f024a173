import { describe, expect, it } from 'vitest';
import {
  checkImpairment,
  formatImpairment,
  isInertImpairment,
  parseImpairment,
  type Impairment,
} from '../../../src/shared/impairment.js';

function parsed(text: string | readonly string[]): Impairment {
  const r = parseImpairment(text);
  if (!r.ok) throw new Error(`unexpected parse error: ${r.error}`);
  return r.value;
}

function parseError(text: string): { key?: string; error: string } {
  const r = parseImpairment(text);
  if (r.ok) throw new Error(`"${text}" parsed, expected an error`);
  return r;
}

describe('parseImpairment', () => {
  it('reads netem-style key=value text with tc units', () => {
    expect(
      parsed(
        'delay=20ms jitter=5ms distribution=normal correlation=25% loss=1% rate=10mbit queue=64kb ' +
          'duplicate=0.5% corrupt=0.1% reorder=25% gap=5 limit=100 seed=42',
      ),
    ).toEqual({
      delayUs: 20_000,
      jitterUs: 5_000,
      distribution: 'normal',
      correlation: 25,
      loss: 1,
      rateBitsPerSecond: 10_000_000,
      queue: { limit: 65_536, unit: 'bytes' },
      duplicate: 0.5,
      corrupt: 0.1,
      reorder: 25,
      gap: 5,
      limit: 100,
      seed: 42,
    });
  });

  it('takes separate command-line words as well as one string', () => {
    expect(parsed(['delay=20ms', 'loss=1%'])).toEqual({ delayUs: 20_000, loss: 1 });
  });

  it('reads times in us, ms and s, with fractions', () => {
    expect(parsed('delay=250us').delayUs).toBe(250);
    expect(parsed('delay=1.5ms').delayUs).toBe(1500);
    expect(parsed('delay=1.1ms').delayUs).toBe(1100);
    expect(parsed('delay=2s').delayUs).toBe(2_000_000);
    expect(parsed('delay=0.5us').delayUs).toBe(0.5);
    expect(parsed('delay=20MS').delayUs).toBe(20_000);
  });

  it('reads rates in bits like tc, and kbps-style units as bytes per second', () => {
    expect(parsed('rate=100bit').rateBitsPerSecond).toBe(100);
    expect(parsed('rate=64kbit').rateBitsPerSecond).toBe(64_000);
    expect(parsed('rate=1.5mbit').rateBitsPerSecond).toBe(1_500_000);
    expect(parsed('rate=1gbit').rateBitsPerSecond).toBe(1_000_000_000);
    expect(parsed('rate=1kibit').rateBitsPerSecond).toBe(1024);
    expect(parsed('rate=10kbps').rateBitsPerSecond).toBe(80_000);
    expect(parsed('rate=1mbps').rateBitsPerSecond).toBe(8_000_000);
    expect(parsed('rate=100bps').rateBitsPerSecond).toBe(800);
  });

  it('reads percentages with or without %, and queues in frames or bytes', () => {
    expect(parsed('loss=1%').loss).toBe(1);
    expect(parsed('loss=0.5%').loss).toBe(0.5);
    expect(parsed('loss=2').loss).toBe(2);
    expect(parsed('loss=100%').loss).toBe(100);
    expect(parsed('rate=1mbit queue=50').queue).toEqual({ limit: 50, unit: 'frames' });
    expect(parsed('rate=1mbit queue=1500b').queue).toEqual({ limit: 1500, unit: 'bytes' });
    expect(parsed('rate=1mbit queue=2mb').queue).toEqual({ limit: 2 * 1024 * 1024, unit: 'bytes' });
  });

  it("reads Gilbert-Elliott loss with tc's defaults for the parameters left out", () => {
    expect(parsed('loss=gemodel:1%,25%,90%,0.1%').loss).toEqual({
      p: 1,
      r: 25,
      oneMinusH: 90,
      oneMinusK: 0.1,
    });
    expect(parsed('loss=gemodel:1%').loss).toEqual({ p: 1, r: 99, oneMinusH: 100, oneMinusK: 0 });
    expect(parsed('loss=gemodel:1%,30%').loss).toEqual({
      p: 1,
      r: 30,
      oneMinusH: 100,
      oneMinusK: 0,
    });
  });

  it('gives the empty spec for "", blanks and "none"', () => {
    expect(parsed('')).toEqual({});
    expect(parsed('   ')).toEqual({});
    expect(parsed('none')).toEqual({});
    expect(parsed([])).toEqual({});
  });

  it.each([
    ['dealy=20ms', 'dealy', /"dealy" is not an impairment: the keys are delay, jitter/],
    ['delay=20', 'delay', /^delay "20" needs a time unit: write a time like delay=20ms/],
    ['delay=20m', 'delay', /delay "20m" has an unknown time unit "m": write .*us, ms, s/],
    ['delay=-5ms', 'delay', /delay "-5ms" is not a time/],
    ['delay=2h', 'delay', /unknown time unit "h"/],
    ['delay=3601s', 'delay', /longer than one hour/],
    ['jitter=fast', 'jitter', /jitter "fast" is not a time: write a time like jitter=5ms/],
    ['loss=150%', 'loss', /loss "150%" is more than 100%: write a percentage like loss=1%/],
    ['loss=1e-3%', 'loss', /loss "1e-3%" is not a percentage/],
    ['loss=lots', 'loss', /loss "lots" is not a percentage/],
    ['loss=gemodel', 'loss', /needs the model parameters after "gemodel:"/],
    ['loss=gemodel:1%,x', 'loss', /has "x", which is not a percentage: write .*gemodel:1%,25%/],
    ['loss=gemodel:1,2,3,4,5', 'loss', /more than four model parameters/],
    ['rate=10', 'rate', /rate "10" needs a rate unit: write a rate like rate=10mbit/],
    ['rate=10mb', 'rate', /rate "10mb" has an unknown rate unit "mb"/],
    ['rate=1bit', 'rate', /below 8bit/],
    [
      'rate=1mbit queue=10x',
      'queue',
      /queue "10x" is not a queue size: write frames like queue=100/,
    ],
    ['limit=0', 'limit', /limit "0" is below 1: write a whole number of frames like limit=1000/],
    ['limit=1.5', 'limit', /limit "1.5" is not a whole number/],
    ['seed=-1', 'seed', /seed "-1" is not a whole number: write a whole number like seed=42/],
    [
      'distribution=gauss jitter=1ms',
      'distribution',
      /distribution "gauss" is not a distribution: write one of uniform, normal, pareto/,
    ],
    ['delay=1ms delay=2ms', 'delay', /^delay is given twice; give it once\.$/],
    ['delay=', 'delay', /^delay has no value: write a time like delay=20ms/],
    ['delay', 'delay', /^delay has no value/],
    [
      'delay=1ms distribution=normal',
      'distribution',
      /distribution shapes the jitter, and there is none/,
    ],
    ['delay=1ms correlation=25%', 'correlation', /correlation relates successive jitter values/],
    [
      'reorder=25%',
      'reorder',
      /reorder .* there is no delay: add one, e\.g\. delay=10ms reorder=25%/,
    ],
    ['delay=10ms gap=5', 'gap', /gap spaces reordered frames/],
    ['queue=100', 'queue', /queue is the queue in front of a rate, and there is none/],
  ])('refuses %s in one sentence naming %s', (text, key, message) => {
    const e = parseError(text);
    expect(e.key).toBe(key);
    expect(e.error).toMatch(message);
    // One sentence: ends with a full stop, no line breaks.
    expect(e.error).toMatch(/\.$/);
    expect(e.error).not.toMatch(/\n/);
  });

  it('refuses a word that is not key=value', () => {
    const e = parseError('delay=1ms 20ms');
    expect(e.key).toBeUndefined();
    expect(e.error).toMatch(/"20ms" is not a key=value pair: write impairments like delay=20ms/);
  });
});

describe('formatImpairment', () => {
  it('writes the text form in key order, in the largest whole unit', () => {
    expect(
      formatImpairment({
        seed: 7,
        loss: 1,
        delayUs: 20_000,
        jitterUs: 1500,
        rateBitsPerSecond: 10_000_000,
        queue: { limit: 65_536, unit: 'bytes' },
      }),
    ).toBe('delay=20ms jitter=1500us loss=1% rate=10mbit queue=64kb seed=7');
    expect(formatImpairment({ delayUs: 2_000_000 })).toBe('delay=2s');
    expect(formatImpairment({ rateBitsPerSecond: 1500 })).toBe('rate=1500bit');
    expect(formatImpairment({ rateBitsPerSecond: 64_000 })).toBe('rate=64kbit');
    expect(formatImpairment({ loss: { p: 1, r: 25, oneMinusH: 100, oneMinusK: 0 } })).toBe(
      'loss=gemodel:1%,25%,100%,0%',
    );
    expect(formatImpairment({})).toBe('');
  });

  it.each([
    'delay=20ms',
    'delay=20ms jitter=5ms',
    'delay=100ms jitter=20ms distribution=pareto correlation=25%',
    'delay=0.5us',
    'delay=1.1ms jitter=0.3ms distribution=normal',
    'loss=0.1%',
    'loss=0.0001%',
    'loss=gemodel:1%,25%,90%,0.1%',
    'rate=10kbps queue=1500b',
    'rate=1.5mbit queue=20',
    'rate=1kibit queue=3mb',
    'delay=10ms reorder=25% gap=5',
    'duplicate=1% corrupt=0.1% limit=100 seed=9007199254740991',
    'delay=1s jitter=1us limit=1',
  ])('round-trips %s', (text) => {
    const spec = parsed(text);
    const again = parsed(formatImpairment(spec));
    expect(again).toEqual(spec);
    expect(formatImpairment(again)).toBe(formatImpairment(spec));
  });
});

describe('checkImpairment and isInertImpairment', () => {
  it('checks specs built in code or received as JSON', () => {
    expect(checkImpairment({ delayUs: 1000, loss: 5 })).toBeUndefined();
    expect(checkImpairment({ loss: 101 })?.key).toBe('loss');
    expect(checkImpairment({ delayUs: -1 })?.key).toBe('delay');
    expect(checkImpairment({ rateBitsPerSecond: Number.NaN })?.key).toBe('rate');
    expect(checkImpairment({ limit: 2.5 })?.key).toBe('limit');
    const fromJson = JSON.parse('{"loss":{"p":"1"}}') as Impairment;
    expect(checkImpairment(fromJson)?.error).toMatch(/Gilbert-Elliott/);
    const wrongType = JSON.parse('{"delayUs":"20ms"}') as Impairment;
    expect(checkImpairment(wrongType)?.error).toBe(
      'delay must be 0 to 1 hour in microseconds, not "20ms".',
    );
  });

  it('calls a spec that changes nothing inert', () => {
    expect(isInertImpairment({})).toBe(true);
    expect(isInertImpairment(parsed('loss=0%'))).toBe(true);
    expect(isInertImpairment(parsed('delay=0ms duplicate=0% corrupt=0% limit=10 seed=1'))).toBe(
      true,
    );
    expect(isInertImpairment(parsed('loss=gemodel:0%'))).toBe(true);
    expect(isInertImpairment(parsed('loss=gemodel:1%,25%,0%,0%'))).toBe(true);
    expect(isInertImpairment(parsed('loss=0.1%'))).toBe(false);
    expect(isInertImpairment(parsed('loss=gemodel:0%,100%,100%,1%'))).toBe(false);
    expect(isInertImpairment(parsed('jitter=1ms'))).toBe(false);
    expect(isInertImpairment(parsed('rate=1gbit'))).toBe(false);
    expect(isInertImpairment(parsed('duplicate=1%'))).toBe(false);
  });
});
