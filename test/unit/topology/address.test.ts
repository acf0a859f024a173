// The pure address parsers used by validation (shared code cannot use node:net).
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  formatIp,
  hasHostBits,
  networkOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseMac,
  formatCidr,
} from '../../../src/shared/topology/index.js';

function ip6(text: string): string {
  const parsed = parseIPv6(text);
  if (!parsed.ok) throw new Error(`${text} ${parsed.reason}`);
  return formatIp(parsed.value);
}

function reason(result: { ok: true } | { ok: false; reason: string }): string {
  return result.ok ? 'ok' : result.reason;
}

describe('IPv4', () => {
  it('accepts dotted quads with octets 0-255', () => {
    for (const a of ['0.0.0.0', '192.0.2.1', '255.255.255.255', '10.0.0.10']) {
      expect(parseIPv4(a).ok, a).toBe(true);
    }
  });

  it('refuses out-of-range octets, leading zeros, wrong part counts and junk', () => {
    expect(reason(parseIPv4('192.0.2.256'))).toBe('has octet 256, outside 0-255');
    expect(reason(parseIPv4('192.0.2.01'))).toContain('leading zero');
    expect(reason(parseIPv4('192.0.2'))).toContain('has 3 parts');
    expect(reason(parseIPv4('192.0.2.x'))).toContain('not a decimal number');
    expect(reason(parseIPv4('192..2.1'))).toContain('empty octet');
    expect(reason(parseIPv4('1.2.3.4.5'))).toContain('has 5 parts');
  });
});

describe('IPv6', () => {
  it('parses "::" compression and prints RFC 5952 form', () => {
    expect(ip6('2001:db8::1')).toBe('2001:db8::1');
    expect(ip6('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(ip6('::')).toBe('::');
    expect(ip6('::1')).toBe('::1');
    expect(ip6('fe80::')).toBe('fe80::');
    expect(ip6('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(ip6('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(ip6('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
  });

  it('parses an embedded IPv4 tail', () => {
    expect(ip6('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    expect(ip6('64:ff9b::198.51.100.7')).toBe('64:ff9b::c633:6407');
  });

  it('agrees with node:net on what is an address', () => {
    const samples = [
      '2001:db8::1',
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1::2::3',
      ':1::',
      '1:::2',
      'g::1',
      '12345::1',
      '::ffff:1.2.3.4',
      '::ffff:1.2.3',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '',
      ':',
      '2001:db8::1%eth0',
    ];
    for (const s of samples) expect(parseIPv6(s).ok, s).toBe(isIP(s) === 6 && !s.includes('%'));
  });

  it('explains what is wrong', () => {
    expect(reason(parseIPv6('1::2::3'))).toBe('uses "::" more than once');
    expect(reason(parseIPv6('2001:db8::g1'))).toContain('group "g1"');
    expect(reason(parseIPv6('1:2:3:4:5:6:7'))).toContain('has 7 groups');
  });
});

describe('CIDR', () => {
  it('checks the prefix range per family', () => {
    expect(parseCidr('192.0.2.1/32').ok).toBe(true);
    expect(reason(parseCidr('192.0.2.1/33'))).toBe('has prefix /33, outside 0-32');
    expect(parseCidr('2001:db8::1/128').ok).toBe(true);
    expect(reason(parseCidr('2001:db8::1/129'))).toBe('has prefix /129, outside 0-128');
    expect(reason(parseCidr('192.0.2.1'))).toBe('has no prefix length');
    expect(reason(parseCidr('192.0.2.1/024'))).toContain('not a number');
    expect(reason(parseCidr('2001:db8::1/64', 4))).toContain(
      'IPv6 address where an IPv4 address is expected',
    );
  });

  it('computes networks, host bits and containment', () => {
    const c = parseCidr('192.0.2.77/26');
    if (!c.ok) throw new Error(c.reason);
    expect(formatCidr(networkOf(c.value))).toBe('192.0.2.64/26');
    expect(hasHostBits(c.value)).toBe(true);
    const inside = parseIPv4('192.0.2.127');
    const outside = parseIPv4('192.0.2.128');
    if (!inside.ok || !outside.ok) throw new Error('test addresses');
    expect(cidrContains(c.value, inside.value)).toBe(true);
    expect(cidrContains(c.value, outside.value)).toBe(false);
    const v6 = parseCidr('2001:db8:100::/48');
    if (!v6.ok) throw new Error(v6.reason);
    expect(hasHostBits(v6.value)).toBe(false);
  });
});

describe('MAC', () => {
  it('accepts unicast addresses in either case', () => {
    expect(parseMac('00:00:5e:00:53:01').ok).toBe(true);
    expect(parseMac('52:54:00:12:34:56').ok).toBe(true);
    expect(parseMac('00:00:5E:00:53:FF').ok).toBe(true);
  });

  it('refuses multicast, all-zero and malformed addresses', () => {
    expect(reason(parseMac('01:00:5e:00:00:01'))).toContain('multicast');
    expect(reason(parseMac('00:00:00:00:00:00'))).toBe('is all zeros');
    expect(reason(parseMac('00-00-5e-00-53-01'))).toContain('has 1 group');
    expect(reason(parseMac('00:00:5e:00:53:1'))).toContain('group "1"');
  });
});
