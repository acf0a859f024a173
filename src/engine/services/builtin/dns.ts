// An authoritative-only DNS responder (RFC 1035) for a segment's names: A and AAAA for the
// configured names, PTR for their addresses, NXDOMAIN for other names in the domains those
// names live in (e.g. zephyr.test), REFUSED for everything else (it forwards nothing).

/** UDP port of DNS. */
export const DNS_PORT = 53;

/** Record types. */
export const RR = { A: 1, PTR: 12, AAAA: 28, ANY: 255 } as const;
/** Response codes. */
export const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const CLASS_IN = 1;
const HEADER = 12;
/** TTL of the answers: 0, as dnsmasq gives its --host-record names (local-ttl default). */
const ANSWER_TTL = 0;
/** Longest name in wire form (RFC 1035 2.3.4). */
const MAX_NAME = 255;

/** A parsed question. */
export interface DnsQuestion {
  /** Lower-case name without the trailing dot, "" for the root. */
  name: string;
  type: number;
  qclass: number;
}

/** A parsed query: header fields, the one question, and where it ends. */
export interface DnsQuery {
  id: number;
  flags: number;
  question: DnsQuestion;
  /** Byte offset just after the question. */
  questionEnd: number;
}

/** A record as DnsZone answers it. */
interface Record {
  type: number;
  data: Buffer;
}

/** Reads a name without compression (queries carry none); undefined when malformed. */
function readName(buf: Buffer, at: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let p = at;
  for (;;) {
    const len = buf[p];
    if (len === undefined || (len & 0xc0) !== 0) return undefined;
    p++;
    if (len === 0) break;
    if (p + len > buf.length) return undefined;
    labels.push(buf.toString('latin1', p, p + len));
    p += len;
    if (p - at > MAX_NAME) return undefined;
  }
  return { name: labels.join('.').toLowerCase(), end: p };
}

/** Encodes a name in wire form (no compression). */
export function encodeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l.length > 0);
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l, 'latin1')])),
    Buffer.of(0),
  ]);
}

/** Parses a standard query with exactly one question; an RCODE when it cannot be answered. */
export function parseDnsQuery(buf: Buffer): DnsQuery | { error: number; id: number } | undefined {
  if (buf.length < HEADER) return undefined;
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  // A response (QR set) is never answered: that could loop between two responders.
  if ((flags & 0x8000) !== 0) return undefined;
  const opcode = (flags >> 11) & 0x0f;
  if (opcode !== 0) return { error: RCODE.NOTIMP, id };
  if (buf.readUInt16BE(4) !== 1) return { error: RCODE.FORMERR, id };
  const name = readName(buf, HEADER);
  if (name === undefined || name.end + 4 > buf.length) return { error: RCODE.FORMERR, id };
  return {
    id,
    flags,
    question: {
      name: name.name,
      type: buf.readUInt16BE(name.end),
      qclass: buf.readUInt16BE(name.end + 2),
    },
    questionEnd: name.end + 4,
  };
}

/** Builds a query (for tests and diagnostics). */
export function buildDnsQuery(id: number, name: string, type: number, recursion = true): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(recursion ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

/** One answer record of a response, as parseDnsResponse returns it. */
export interface DnsAnswer {
  type: number;
  ttl: number;
  data: Buffer;
}

/** Parses a response's header and answers (names compressed as this responder writes them). */
export function parseDnsResponse(
  buf: Buffer,
): { id: number; flags: number; rcode: number; answers: DnsAnswer[] } | undefined {
  if (buf.length < HEADER) return undefined;
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let at = HEADER;
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, at);
    if (n === undefined) return undefined;
    at = n.end + 4;
  }
  const answers: DnsAnswer[] = [];
  for (let i = 0; i < an; i++) {
    // Owner name: a pointer (2 bytes) or a plain name.
    if (((buf[at] ?? 0) & 0xc0) === 0xc0) at += 2;
    else {
      const n = readName(buf, at);
      if (n === undefined) return undefined;
      at = n.end;
    }
    if (at + 10 > buf.length) return undefined;
    const type = buf.readUInt16BE(at);
    const ttl = buf.readUInt32BE(at + 4);
    const len = buf.readUInt16BE(at + 8);
    answers.push({ type, ttl, data: buf.subarray(at + 10, at + 10 + len) });
    at += 10 + len;
  }
  return { id: buf.readUInt16BE(0), flags, rcode: flags & 0x0f, answers };
}

/** The reverse-lookup name of an address (in-addr.arpa / ip6.arpa). */
export function reverseName(addr: Buffer): string {
  if (addr.length === 4) return `${[...addr].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const b of addr) nibbles.push((b >> 4).toString(16), (b & 0x0f).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** The names of one segment and the answers they give. */
export class DnsZone {
  private readonly records = new Map<string, Record[]>();
  /** Domains the responder is the authority for: the parents of the configured names. */
  private readonly domains = new Set<string>();

  /** `names` maps a name to an address (bytes: 4 for A, 16 for AAAA). */
  constructor(names: ReadonlyMap<string, Buffer>) {
    for (const [raw, addr] of names) {
      const name = raw.toLowerCase().replace(/\.$/, '');
      this.add(name, { type: addr.length === 4 ? RR.A : RR.AAAA, data: addr });
      this.add(reverseName(addr), { type: RR.PTR, data: encodeName(name) });
      const dot = name.indexOf('.');
      if (dot > 0) this.domains.add(name.slice(dot + 1));
    }
  }

  private add(name: string, record: Record): void {
    const list = this.records.get(name) ?? [];
    list.push(record);
    this.records.set(name, list);
  }

  /** The response to a query, or undefined when the message gets none. */
  answer(query: Buffer): Buffer | undefined {
    const q = parseDnsQuery(query);
    if (q === undefined) return undefined;
    if ('error' in q) return header(q.id, 0, q.error, 0, 0);
    const { name, type, qclass } = q.question;
    const questionBytes = query.subarray(HEADER, q.questionEnd);
    const found = this.records.get(name);
    let rcode: number = RCODE.NOERROR;
    let records: Record[] = [];
    if (qclass !== CLASS_IN && qclass !== RR.ANY) rcode = RCODE.REFUSED;
    else if (found !== undefined) {
      records = found.filter((r) => type === RR.ANY || r.type === type);
    } else if (this.inOurDomains(name)) rcode = RCODE.NXDOMAIN;
    else rcode = RCODE.REFUSED;
    const answers = records.map((r) => {
      const rr = Buffer.alloc(12 + r.data.length);
      rr.writeUInt16BE(0xc000 | HEADER, 0); // the owner is the question's name
      rr.writeUInt16BE(r.type, 2);
      rr.writeUInt16BE(CLASS_IN, 4);
      rr.writeUInt32BE(ANSWER_TTL, 6);
      rr.writeUInt16BE(r.data.length, 10);
      r.data.copy(rr, 12);
      return rr;
    });
    const authoritative = rcode !== RCODE.REFUSED;
    return Buffer.concat([
      header(q.id, q.flags & 0x0100, rcode, 1, answers.length, authoritative),
      questionBytes,
      ...answers,
    ]);
  }

  private inOurDomains(name: string): boolean {
    for (const d of this.domains) if (name === d || name.endsWith(`.${d}`)) return true;
    return false;
  }
}

/** A response header: QR set, RD copied, AA when authoritative. */
function header(
  id: number,
  rd: number,
  rcode: number,
  qdcount: number,
  ancount: number,
  authoritative = false,
): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x8000 | (authoritative ? 0x0400 : 0) | rd | rcode, 2);
  h.writeUInt16BE(qdcount, 4);
  h.writeUInt16BE(ancount, 6);
  return h;
}
