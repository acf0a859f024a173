// Which server answers a switch's dhcp, ra and dns: the `server` setting, its default (dnsmasq
// when installed, else the built-in one), and the refusal when dnsmasq is asked for and missing.
import { describe, expect, it } from 'vitest';
import { pickServer } from '../../../src/kinds/nodes/switch/engine/index.js';
import { formatProblem, validateTopologyText } from '../../../src/shared/topology/index.js';
import { resolveServices } from '../../../src/kinds/nodes/switch/definition.js';

function lab(services: string): string {
  return `
name: lab
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {}
  sw:
    kind: switch
    host: {}
    services: ${services}
links:
  - endpoints: [h1:eth0, sw]
`;
}

function validate(services: string): { server?: string; problems: string[] } {
  const r = validateTopologyText(lab(services), 'lab.yaml');
  if (!r.ok) return { problems: r.problems.map(formatProblem) };
  const sw = r.topology.nodes['sw'];
  if (sw?.kind !== 'switch') throw new Error('no switch');
  const s = resolveServices(sw);
  return { ...(s?.server !== undefined ? { server: s.server } : {}), problems: [] };
}

describe('services.server', () => {
  it('accepts builtin and dnsmasq and leaves the default open', () => {
    expect(validate('{dhcp: true, server: builtin}')).toEqual({ server: 'builtin', problems: [] });
    expect(validate('{dns: true, server: dnsmasq}')).toEqual({ server: 'dnsmasq', problems: [] });
    expect(validate('{dhcp: true}')).toEqual({ problems: [] });
  });

  it('rejects other servers with one sentence', () => {
    const { problems } = validate('{dhcp: true, server: kea}');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/services\.server/);
    expect(problems[0]).toMatch(/valid servers are .*builtin.*dnsmasq/);
  });

  it('picks dnsmasq when installed, else builtin, and refuses a missing dnsmasq asked for', () => {
    expect(pickServer(undefined, true)).toBe('dnsmasq');
    expect(pickServer(undefined, false)).toBe('builtin');
    expect(pickServer('builtin', true)).toBe('builtin');
    expect(pickServer('builtin', false)).toBe('builtin');
    expect(pickServer('dnsmasq', true)).toBe('dnsmasq');
    expect(pickServer('dnsmasq', false)).toBeUndefined();
  });
});
