// Pure IPv4, IPv6 and MAC address parsing (no node:net, so the renderer can use it too).

/** The result of parsing user input: the value, or one clause saying what is wrong. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** An IP address family. */
export type IpFamily = 4 | 6;

/** A parsed IP address: 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
export interface IpAddress {
  family: IpFamily;
  bytes: number[];
}

/** A parsed address with a prefix length, e.g. 192.0.2.1/24. */
export interface Cidr {
  address: IpAddress;
  prefix: number;
}

const DECIMAL = /^[0-9]+$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

/** Parses a dotted-quad IPv4 address; octets are 0-255 without leading zeros. */
export function parseIPv4(text: string): Parsed<IpAddress> {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return fail(
      `has ${parts.length} part${parts.length === 1 ? '' : 's'} where an IPv4 address has 4 numbers separated by dots`,
    );
  }
  const bytes: number[] = [];
  for (const part of parts) {
    if (part === '') return fail('has an empty octet');
    if (!DECIMAL.test(part)) return fail(`has octet "${part}", which is not a decimal number`);
    if (part.length > 1 && part.startsWith('0')) {
      return fail(`has octet "${part}" with a leading zero, which some tools read as octal`);
    }
    const n = Number(part);
    if (n > 255) return fail(`has octet ${part}, outside 0-255`);
    bytes.push(n);
  }
  return { ok: true, value: { family: 4, bytes } };
}

function parseGroups(text: string): Parsed<number[]> {
  if (text === '') return { ok: true, value: [] };
  const out: number[] = [];
  for (const group of text.split(':')) {
    if (group === '') return fail('has an empty group (":" must separate 1-4 hex digits)');
    if (!HEX_GROUP.test(group))
      return fail(`has group "${group}", which is not 1-4 hexadecimal digits`);
    out.push(parseInt(group, 16));
  }
  return { ok: true, value: out };
}

/** Parses an IPv6 address, including "::" compression and a dotted IPv4 tail. */
export function parseIPv6(text: string): Parsed<IpAddress> {
  if (text.includes('%')) return fail('has a zone index ("%..."), which is not allowed here');
  const halves = text.split('::');
  if (halves.length > 2) return fail('uses "::" more than once');
  let tailV4: number[] = [];
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4.ok) return fail(`has an embedded IPv4 part that ${v4.reason}`);
    tailV4 = v4.value.bytes;
    // Drop the ":" before the IPv4 part, but keep a "::" (as in "::ffff:192.0.2.1" -> "::ffff").
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const v4Groups = tailV4.length === 4 ? 2 : 0;
  const words: number[] = [];
  if (body.includes('::')) {
    const [head = '', tail = ''] = body.split('::');
    const h = parseGroups(head);
    if (!h.ok) return h;
    const t = parseGroups(tail);
    if (!t.ok) return t;
    const missing = 8 - v4Groups - h.value.length - t.value.length;
    if (missing < 1) return fail('has too many groups for "::" to stand for any');
    words.push(...h.value, ...new Array<number>(missing).fill(0), ...t.value);
  } else {
    const g = parseGroups(body);
    if (!g.ok) return g;
    if (g.value.length + v4Groups !== 8) {
      return fail(
        `has ${g.value.length + v4Groups} groups where an IPv6 address has 8 (or "::" for a run of zeros)`,
      );
    }
    words.push(...g.value);
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  bytes.push(...tailV4);
  return { ok: true, value: { family: 6, bytes } };
}

/** Parses an IPv4 or IPv6 address; `family` restricts it to one. */
export function parseIp(text: string, family?: IpFamily): Parsed<IpAddress> {
  const v6 = text.includes(':');
  if (family === 4 && v6) return fail('is an IPv6 address where an IPv4 address is expected');
  if (family === 6 && !v6) return fail('is not an IPv6 address (it has no ":")');
  return v6 ? parseIPv6(text) : parseIPv4(text);
}

/** Parses "address/prefix" (prefix 0-32 for IPv4, 0-128 for IPv6). */
export function parseCidr(text: string, family?: IpFamily): Parsed<Cidr> {
  const slash = text.indexOf('/');
  if (slash < 0) return fail('has no prefix length');
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = parseIp(addrText, family);
  if (!address.ok) return address;
  const max = address.value.family === 4 ? 32 : 128;
  if (!DECIMAL.test(prefixText) || (prefixText.length > 1 && prefixText.startsWith('0'))) {
    return fail(`has prefix "/${prefixText}", which is not a number from 0 to ${max}`);
  }
  const prefix = Number(prefixText);
  if (prefix > max) return fail(`has prefix /${prefix}, outside 0-${max}`);
  return { ok: true, value: { address: address.value, prefix } };
}

/** Formats an address canonically (RFC 5952 for IPv6: lower case, longest zero run as "::"). */
export function formatIp(addr: IpAddress): string {
  if (addr.family === 4) return addr.bytes.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2)
    words.push(((addr.bytes[i] ?? 0) << 8) | (addr.bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Formats a CIDR canonically. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.address)}/${cidr.prefix}`;
}

/** The network of a CIDR: its address with every host bit cleared. */
export function networkOf(cidr: Cidr): Cidr {
  const bytes = cidr.address.bytes.map((b, i) => {
    const bits = Math.min(8, Math.max(0, cidr.prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return { address: { family: cidr.address.family, bytes }, prefix: cidr.prefix };
}

/** True when the CIDR's address has bits set beyond its prefix (e.g. 192.0.2.1/24). */
export function hasHostBits(cidr: Cidr): boolean {
  return networkOf(cidr).address.bytes.some((b, i) => b !== cidr.address.bytes[i]);
}

/** True when `addr` lies inside the CIDR's network. */
export function cidrContains(cidr: Cidr, addr: IpAddress): boolean {
  if (cidr.address.family !== addr.family) return false;
  const net = networkOf(cidr).address.bytes;
  const other = networkOf({ address: addr, prefix: cidr.prefix }).address.bytes;
  return net.every((b, i) => b === other[i]);
}

/** True for an IPv6 link-local address (fe80::/10). */
export function isLinkLocalIPv6(addr: IpAddress): boolean {
  return addr.family === 6 && addr.bytes[0] === 0xfe && ((addr.bytes[1] ?? 0) & 0xc0) === 0x80;
}

/** Parses a unicast MAC address written as six colon-separated pairs of hex digits. */
export function parseMac(text: string): Parsed<number[]> {
  const parts = text.split(':');
  if (parts.length !== 6) {
    return fail(
      `has ${parts.length} group${parts.length === 1 ? '' : 's'} where a MAC address has 6 pairs of hex digits separated by ":"`,
    );
  }
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^[0-9A-Fa-f]{2}$/.test(part))
      return fail(`has group "${part}", which is not 2 hexadecimal digits`);
    bytes.push(parseInt(part, 16));
  }
  if (((bytes[0] ?? 0) & 1) === 1) {
    return fail('is a multicast address (the lowest bit of the first byte is set)');
  }
  if (bytes.every((b) => b === 0)) return fail('is all zeros');
  return { ok: true, value: bytes };
}

/** Formats MAC bytes as lower-case colon-separated hex. */
export function formatMac(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
