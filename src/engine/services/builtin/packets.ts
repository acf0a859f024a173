// Ethernet, IPv4, IPv6, UDP and ICMPv6 as the built-in segment services need them: parsers
// that return undefined for anything they do not handle (so the frame passes on untouched), and
// builders that compute every checksum (IPv4 header, UDP over IPv4 and IPv6, ICMPv6).
import { parseIp, parseMac } from '../../../shared/topology/address.js';

/** EtherType of IPv4. */
export const ETHERTYPE_IPV4 = 0x0800;
/** EtherType of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** IP protocol number of UDP. */
export const PROTO_UDP = 17;
/** IPv6 next-header number of ICMPv6. */
export const PROTO_ICMPV6 = 58;

export const ETH_HEADER = 14;
const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
/** TTL of the IPv4 packets the services send (Linux's default). */
const DEFAULT_TTL = 64;

/** The Ethernet broadcast address. */
export const MAC_BROADCAST: Buffer = Buffer.alloc(6, 0xff);
/** IPv4 limited broadcast, 255.255.255.255. */
export const IPV4_BROADCAST: Buffer = Buffer.alloc(4, 0xff);
/** IPv4 "this host", 0.0.0.0. */
export const IPV4_ANY: Buffer = Buffer.alloc(4, 0);

/** One Ethernet II frame, its payload a view into the frame. */
export interface EthernetFrame {
  dst: Buffer;
  src: Buffer;
  etherType: number;
  payload: Buffer;
}

/** An IP packet of either family with the fields the services use; payload is a view. */
export interface IpPacket {
  family: 4 | 6;
  src: Buffer;
  dst: Buffer;
  /** IPv4 protocol or IPv6 next header. */
  protocol: number;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  payload: Buffer;
}

/** A UDP datagram; data is a view. */
export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  data: Buffer;
}

/** The bytes of an IP address ("192.0.2.2", "2001:db8::2"); throws on a malformed one. */
export function ipBytes(text: string): Buffer {
  const parsed = parseIp(text.split('/')[0] ?? text);
  if (!parsed.ok) throw new Error(`not an IP address: ${text}`);
  return Buffer.from(parsed.value.bytes);
}

/** The bytes of a MAC address ("00:00:5e:00:53:ff"); throws on a malformed one. */
export function macBytes(text: string): Buffer {
  const parsed = parseMac(text);
  if (!parsed.ok) throw new Error(`not a MAC address: ${text}`);
  return Buffer.from(parsed.value);
}

/** The fe80::/64 address whose interface id is the modified EUI-64 of `mac` (RFC 4291). */
export function linkLocalFromMac(mac: Buffer): Buffer {
  const out = Buffer.alloc(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = (mac[0] ?? 0) ^ 0x02;
  out[9] = mac[1] ?? 0;
  out[10] = mac[2] ?? 0;
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3] ?? 0;
  out[14] = mac[4] ?? 0;
  out[15] = mac[5] ?? 0;
  return out;
}

/** The Ethernet address an IPv6 multicast group maps to (33:33 + its low 32 bits). */
export function ipv6MulticastMac(group: Buffer): Buffer {
  return Buffer.concat([Buffer.of(0x33, 0x33), group.subarray(12, 16)]);
}

/** Parses an untagged Ethernet II frame. */
export function parseEthernet(frame: Buffer): EthernetFrame | undefined {
  if (frame.length < ETH_HEADER) return undefined;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    etherType: frame.readUInt16BE(12),
    payload: frame.subarray(ETH_HEADER),
  };
}

/** Builds an Ethernet II frame (no FCS). */
export function buildEthernet(
  dst: Buffer,
  src: Buffer,
  etherType: number,
  payload: Buffer,
): Buffer {
  return Buffer.concat([dst, src, Buffer.of(etherType >> 8, etherType & 0xff), payload]);
}

/** The Internet checksum (RFC 1071) of the concatenated parts. */
export function internetChecksum(...parts: readonly Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    let i = 0;
    if (odd !== undefined && part.length > 0) {
      sum += (odd << 8) | (part[0] ?? 0);
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < part.length; i += 2) sum += ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0);
    if (i < part.length) odd = part[i];
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Where each family's fixed IP header keeps the fields the services read and write. */
const IP_HEADERS = {
  4: { size: IPV4_MIN_HEADER, first: 0x45, length: 2, ttl: 8, protocol: 9, src: 12, addr: 4 },
  6: { size: IPV6_HEADER, first: 0x60, length: 4, ttl: 7, protocol: 6, src: 8, addr: 16 },
} as const;

/** The packet in `buf`, an IP header of `family`, with its payload from start to end. */
function ipPacket(buf: Buffer, family: 4 | 6, start: number, end: number): IpPacket {
  const h = IP_HEADERS[family];
  return {
    family,
    src: buf.subarray(h.src, h.src + h.addr),
    dst: buf.subarray(h.src + h.addr, h.src + 2 * h.addr),
    protocol: buf[h.protocol] ?? 0,
    ttl: buf[h.ttl] ?? 0,
    payload: buf.subarray(start, end),
  };
}

/**
 * Parses an IPv4 packet: a valid header (version, length, checksum) and not a fragment, or
 * undefined. The payload stops at the total length (Ethernet padding is cut off).
 */
export function parseIpv4(buf: Buffer): IpPacket | undefined {
  if (buf.length < IPV4_MIN_HEADER || (buf[0] ?? 0) >> 4 !== 4) return undefined;
  const ihl = ((buf[0] ?? 0) & 0x0f) * 4;
  const total = buf.readUInt16BE(2);
  if (ihl < IPV4_MIN_HEADER || total < ihl || total > buf.length) return undefined;
  // More-fragments or a fragment offset: not something a service answers.
  if ((buf.readUInt16BE(6) & 0x3fff) !== 0) return undefined;
  if (internetChecksum(buf.subarray(0, ihl)) !== 0) return undefined;
  return ipPacket(buf, 4, ihl, total);
}

/** Parses an IPv6 packet without extension headers, or undefined. */
export function parseIpv6(buf: Buffer): IpPacket | undefined {
  if (buf.length < IPV6_HEADER || (buf[0] ?? 0) >> 4 !== 6) return undefined;
  const length = buf.readUInt16BE(4);
  if (IPV6_HEADER + length > buf.length) return undefined;
  return ipPacket(buf, 6, IPV6_HEADER, IPV6_HEADER + length);
}

/** Parses the IP packet in an Ethernet frame of either family. */
export function parseIpFrame(frame: Buffer): { eth: EthernetFrame; ip: IpPacket } | undefined {
  const eth = parseEthernet(frame);
  if (eth === undefined) return undefined;
  const ip =
    eth.etherType === ETHERTYPE_IPV4
      ? parseIpv4(eth.payload)
      : eth.etherType === ETHERTYPE_IPV6
        ? parseIpv6(eth.payload)
        : undefined;
  return ip === undefined ? undefined : { eth, ip };
}

/**
 * Builds an IP packet of src's family: IPv4 without options, DF clear and id 0, with its header
 * checksum; IPv6 with traffic class and flow label 0.
 */
export function buildIp(
  src: Buffer,
  dst: Buffer,
  protocol: number,
  payload: Buffer,
  ttl = DEFAULT_TTL,
): Buffer {
  const family = src.length === 4 ? 4 : 6;
  const h = IP_HEADERS[family];
  const buf = Buffer.alloc(h.size + payload.length);
  buf[0] = h.first;
  // IPv4's length field counts the header too, IPv6's only the payload.
  buf.writeUInt16BE(family === 4 ? buf.length : payload.length, h.length);
  buf[h.ttl] = ttl;
  buf[h.protocol] = protocol;
  src.copy(buf, h.src);
  dst.copy(buf, h.src + h.addr);
  if (family === 4) buf.writeUInt16BE(internetChecksum(buf.subarray(0, h.size)), 10);
  payload.copy(buf, h.size);
  return buf;
}

/** The pseudo-header of an upper-layer checksum (RFC 768 for IPv4, RFC 8200 8.1 for IPv6). */
function pseudoHeader(src: Buffer, dst: Buffer, protocol: number, length: number): Buffer {
  if (src.length === 4) {
    const p = Buffer.alloc(12);
    src.copy(p, 0);
    dst.copy(p, 4);
    p[9] = protocol;
    p.writeUInt16BE(length, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = protocol;
  return p;
}

/** Parses a UDP datagram (the data stops at the UDP length). */
export function parseUdp(buf: Buffer): UdpDatagram | undefined {
  if (buf.length < UDP_HEADER) return undefined;
  const length = buf.readUInt16BE(4);
  if (length < UDP_HEADER || length > buf.length) return undefined;
  return {
    srcPort: buf.readUInt16BE(0),
    dstPort: buf.readUInt16BE(2),
    data: buf.subarray(UDP_HEADER, length),
  };
}

/** Builds a UDP datagram with its checksum over the pseudo-header of src and dst. */
export function buildUdp(
  src: Buffer,
  dst: Buffer,
  srcPort: number,
  dstPort: number,
  data: Buffer,
): Buffer {
  const buf = Buffer.alloc(UDP_HEADER + data.length);
  buf.writeUInt16BE(srcPort, 0);
  buf.writeUInt16BE(dstPort, 2);
  buf.writeUInt16BE(buf.length, 4);
  data.copy(buf, UDP_HEADER);
  const sum = internetChecksum(pseudoHeader(src, dst, PROTO_UDP, buf.length), buf);
  // A computed 0 is sent as all ones: 0 means "no checksum" (RFC 768; mandatory over IPv6).
  buf.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return buf;
}

/** Builds an ICMPv6 message (type, code, body) with its checksum. */
export function buildIcmpv6(
  src: Buffer,
  dst: Buffer,
  type: number,
  code: number,
  body: Buffer,
): Buffer {
  const buf = Buffer.alloc(4 + body.length);
  buf[0] = type;
  buf[1] = code;
  body.copy(buf, 4);
  buf.writeUInt16BE(internetChecksum(pseudoHeader(src, dst, PROTO_ICMPV6, buf.length), buf), 2);
  return buf;
}

/** True when the upper-layer checksum of a UDP datagram or ICMPv6 message in `ip` is right. */
export function upperChecksumOk(ip: IpPacket): boolean {
  // UDP over IPv4 may carry no checksum at all.
  if (ip.family === 4 && ip.protocol === PROTO_UDP && ip.payload.readUInt16BE(6) === 0) return true;
  return (
    internetChecksum(pseudoHeader(ip.src, ip.dst, ip.protocol, ip.payload.length), ip.payload) === 0
  );
}

/** A whole Ethernet frame carrying UDP over IPv4 or IPv6. */
export function buildUdpFrame(o: {
  dstMac: Buffer;
  srcMac: Buffer;
  src: Buffer;
  dst: Buffer;
  srcPort: number;
  dstPort: number;
  data: Buffer;
  hopLimit?: number;
}): Buffer {
  const udp = buildUdp(o.src, o.dst, o.srcPort, o.dstPort, o.data);
  const etherType = o.src.length === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  return buildEthernet(
    o.dstMac,
    o.srcMac,
    etherType,
    buildIp(o.src, o.dst, PROTO_UDP, udp, o.hopLimit),
  );
}
