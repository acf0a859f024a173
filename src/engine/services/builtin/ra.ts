// IPv6 router advertisements (RFC 4861 4.2) for SLAAC on a segment, with the semantics of the
// dnsmasq setup they stand in for: the /64 prefix (on-link, autonomous), the MTU option, router
// lifetime 0 (the lab advertises the prefix but does not route IPv6), and an RDNSS option
// (RFC 8106) naming the lab's address when the segment has DNS names.
import {
  buildEthernet,
  buildIcmpv6,
  buildIp,
  ETHERTYPE_IPV6,
  ipv6MulticastMac,
  PROTO_ICMPV6,
} from './packets.js';

/** ICMPv6 Router Solicitation. */
export const ICMPV6_RS = 133;
/** ICMPv6 Router Advertisement. */
export const ICMPV6_RA = 134;

/** ff02::1, all nodes. */
export const ALL_NODES: Buffer = Buffer.from('ff020000000000000000000000000001', 'hex');

const OPT_SOURCE_LLADDR = 1;
const OPT_PREFIX_INFO = 3;
const OPT_MTU = 5;
const OPT_RDNSS = 25;
/** Neighbor discovery messages travel one hop only: hop limit 255 (RFC 4861 6.1.2). */
const ND_HOP_LIMIT = 255;
/** Current hop limit advertised to hosts. */
const CUR_HOP_LIMIT = 64;
/** Prefix lifetimes: radvd's defaults (1 day valid, 4 hours preferred). */
export const PREFIX_VALID_S = 86_400;
export const PREFIX_PREFERRED_S = 14_400;
/** RDNSS lifetime: well over three advertisement intervals (RFC 8106 5.1). */
export const RDNSS_LIFETIME_S = 600;

/** What one advertisement says. */
export interface RaConfig {
  /** The /64 prefix bytes (16; host bits are cleared). */
  prefix: Buffer;
  prefixLength: number;
  mtu: number;
  /** The router's Ethernet address (source link-layer option and frame source). */
  mac: Buffer;
  /** The router's link-local address, the advertisement's source. */
  linkLocal: Buffer;
  /** Recursive DNS server to advertise, if any. */
  rdnss?: Buffer;
}

/** The body of a Router Advertisement after type, code and checksum. */
export function raBody(c: RaConfig): Buffer {
  const fixed = Buffer.alloc(12);
  fixed[0] = CUR_HOP_LIMIT;
  fixed[1] = 0; // M=0, O=0: addresses by SLAAC only
  fixed.writeUInt16BE(0, 2); // router lifetime 0: not a default router
  fixed.writeUInt32BE(0, 4); // reachable time: unspecified
  fixed.writeUInt32BE(0, 8); // retrans timer: unspecified
  const sll = Buffer.alloc(8);
  sll[0] = OPT_SOURCE_LLADDR;
  sll[1] = 1;
  c.mac.copy(sll, 2);
  const mtu = Buffer.alloc(8);
  mtu[0] = OPT_MTU;
  mtu[1] = 1;
  mtu.writeUInt32BE(c.mtu, 4);
  const pi = Buffer.alloc(32);
  pi[0] = OPT_PREFIX_INFO;
  pi[1] = 4;
  pi[2] = c.prefixLength;
  pi[3] = 0xc0; // L (on-link) and A (autonomous address configuration)
  pi.writeUInt32BE(PREFIX_VALID_S, 4);
  pi.writeUInt32BE(PREFIX_PREFERRED_S, 8);
  c.prefix.copy(pi, 16);
  const parts = [fixed, sll, mtu, pi];
  if (c.rdnss !== undefined) {
    const r = Buffer.alloc(24);
    r[0] = OPT_RDNSS;
    r[1] = 3;
    r.writeUInt32BE(RDNSS_LIFETIME_S, 4);
    c.rdnss.copy(r, 8);
    parts.push(r);
  }
  return Buffer.concat(parts);
}

/** A whole advertisement frame to `dst` (default all nodes, ff02::1). */
export function buildRaFrame(c: RaConfig, dst: Buffer = ALL_NODES, dstMac?: Buffer): Buffer {
  const icmp = buildIcmpv6(c.linkLocal, dst, ICMPV6_RA, 0, raBody(c));
  return buildEthernet(
    dstMac ?? ipv6MulticastMac(dst),
    c.mac,
    ETHERTYPE_IPV6,
    buildIp(c.linkLocal, dst, PROTO_ICMPV6, icmp, ND_HOP_LIMIT),
  );
}

/** Builds a Router Solicitation frame (for tests) from `mac` / `src` to all routers. */
export function buildRsFrame(mac: Buffer, src: Buffer): Buffer {
  const allRouters = Buffer.from('ff020000000000000000000000000002', 'hex');
  const body = Buffer.alloc(4); // reserved
  const unspecified = src.every((b) => b === 0);
  const opt = unspecified ? Buffer.alloc(0) : Buffer.concat([Buffer.of(OPT_SOURCE_LLADDR, 1), mac]);
  const icmp = buildIcmpv6(src, allRouters, ICMPV6_RS, 0, Buffer.concat([body, opt]));
  return buildEthernet(
    ipv6MulticastMac(allRouters),
    mac,
    ETHERTYPE_IPV6,
    buildIp(src, allRouters, PROTO_ICMPV6, icmp, ND_HOP_LIMIT),
  );
}
