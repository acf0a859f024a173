// The `impair:` field of a link (issue 10): netem's words, one text for both directions or one
// per direction, refused with a line and column when a value is wrong.
import { describe, expect, it } from 'vitest';
import { impairTexts, validateTopologyText } from '../../../src/shared/topology/index.js';

const lab = (impair: string): string => `name: imp
nodes:
  h1: {kind: host, interfaces: {eth0: {}}}
  sw: {kind: switch}
links:
  - endpoints: [h1:eth0, sw]
    impair: ${impair}
`;

describe('impair on a link', () => {
  it('takes one text for both directions, or one per direction', () => {
    const both = validateTopologyText(lab('delay=20ms jitter=5ms loss=1%'), 'lab.yaml');
    expect(both.ok).toBe(true);
    if (both.ok) {
      const link = both.topology.links[0];
      expect(impairTexts(link && 'impair' in link ? link.impair : undefined)).toEqual({
        'a->b': 'delay=20ms jitter=5ms loss=1%',
        'b->a': 'delay=20ms jitter=5ms loss=1%',
      });
    }
    const one = validateTopologyText(lab('{a->b: "rate=10mbit queue=64kb"}'), 'lab.yaml');
    expect(one.ok).toBe(true);
    if (one.ok) {
      const link = one.topology.links[0];
      expect(impairTexts(link && 'impair' in link ? link.impair : undefined)).toEqual({
        'a->b': 'rate=10mbit queue=64kb',
      });
    }
  });

  it('refuses a bad value or direction with its line and column', () => {
    const bad = validateTopologyText(lab('delay=20 loss=1%'), 'lab.yaml');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems).toEqual([
        expect.objectContaining({
          line: 7,
          column: 13,
          message:
            'links[0].impair: delay "20" needs a time unit: write a time like delay=20ms (units us, ms, s).',
        }),
      ]);
    }
    const dir = validateTopologyText(lab('{up: "delay=1ms"}'), 'lab.yaml');
    expect(dir.ok).toBe(false);
    if (!dir.ok) expect(dir.problems[0]?.message).toContain('valid keys are a->b, b->a');
  });
});
