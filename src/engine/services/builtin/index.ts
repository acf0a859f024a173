// The built-in segment services: DHCPv4, router advertisements and DNS names answered by the
// engine itself, for machines without dnsmasq (or when a topology asks for `server: builtin`).
//
// They sit IN FRONT of the lab's own interface rather than beside it: an egress stage on the
// switch's host port takes out the requests they serve (DHCP to port 67, DNS to the lab's
// addresses, Router Solicitations) before the kernel TAP sees them, and the answers enter the
// segment at the host port with the interface's own MAC and addresses. So the router, DHCP
// server and DNS server are 192.0.2.2 / 2001:db8::2 as in Zephyr's net-tools, the kernel keeps
// answering ARP and neighbor solicitations for them, and everything else passes untouched.
import type { ResolvedServices } from '../../../kinds/nodes/switch/definition.js';
import type { Disposable } from '../../../shared/lifecycle.js';
import type { EgressNext, EgressStage } from '../../fabric/egress.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DhcpServer, parseDhcp, buildDhcp } from './dhcp.js';
import { DNS_PORT, DnsZone } from './dns.js';
import {
  buildUdpFrame,
  ETH_HEADER,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  IPV4_BROADCAST,
  ipBytes,
  linkLocalFromMac,
  MAC_BROADCAST,
  macBytes,
  parseIpFrame,
  parseUdp,
  PROTO_ICMPV6,
  PROTO_UDP,
  upperChecksumOk,
  type IpPacket,
} from './packets.js';
import { buildRaFrame, ICMPV6_RS, type RaConfig } from './ra.js';

/** Unsolicited advertisements every 10 s, the interval the dnsmasq setup uses. */
export const RA_INTERVAL_MS = 10_000;
/** The first advertisements after start (RFC 4861 6.2.4 allows a faster start): 0 s, 1 s, 3 s. */
const RA_INITIAL_DELAYS_MS = [0, 1_000, 3_000] as const;
/** Hop limit of an RS: neighbor discovery from off-link is rejected (RFC 4861 6.1.1). */
const ND_HOP_LIMIT = 255;
/** Where an IPv6 frame without extension headers has its UDP destination port. */
const IPV6_UDP_DPORT_AT = ETH_HEADER + 40 + 2;
/** Where an IPv6 frame without extension headers has its ICMPv6 type. */
const IPV6_ICMP_TYPE_AT = ETH_HEADER + 40;

/** Names of the served-request counters (shown under the host port's `extra`). */
export const SERVED = { dhcp: 'builtin-dhcp', dns: 'builtin-dns', ra: 'builtin-ra' } as const;

/** What the built-in services are created with. */
export interface BuiltinServicesOptions {
  services: ResolvedServices;
  /** Ethernet address of the lab's interface ("00:00:5e:00:53:ff" or 6 bytes). */
  mac: string | Buffer;
  /** Its link-local IPv6 address as the kernel has it; default: the EUI-64 one of `mac`. */
  linkLocal?: string;
  /** Puts frames into the segment at the lab's interface (the host port's receive side). */
  inject: (frames: Buffer[]) => void;
  /** Counts a served request or a sent advertisement under `event`. */
  count?: (event: string) => void;
  /** Interval of unsolicited advertisements; default RA_INTERVAL_MS. */
  raIntervalMs?: number;
  /** Clock of the DHCP leases; default Date.now. */
  clock?: () => number;
}

/** True when the services of a switch include any the built-in server answers. */
export function hasBuiltinWork(s: ResolvedServices | undefined): boolean {
  return !!s && (s.dhcp !== undefined || s.ra !== undefined || s.dns !== undefined);
}

/**
 * DHCPv4, RA and DNS for one segment. Insert `this` as the first egress stage of the host port
 * (it is an EgressStage), then start() the advertisements; dispose() stops everything.
 */
export class BuiltinServices implements EgressStage, Disposable {
  readonly name = 'builtin-services';
  /** The DHCP server, when the segment has DHCP (exposed for status and tests). */
  readonly dhcp: DhcpServer | undefined;
  private readonly zone: DnsZone | undefined;
  private readonly ra: RaConfig | undefined;
  private readonly mac: Buffer;
  private readonly v4: Buffer | undefined;
  /** Addresses DNS answers on: the lab's IPv4, IPv6 and link-local addresses. */
  private readonly dnsAddrs: Buffer[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private interval: NodeJS.Timeout | undefined;
  private queue: Buffer[] = [];
  private flushing = false;
  private disposed = false;

  constructor(private readonly o: BuiltinServicesOptions) {
    const s = o.services;
    this.mac = typeof o.mac === 'string' ? macBytes(o.mac) : Buffer.from(o.mac);
    const linkLocal = o.linkLocal !== undefined ? ipBytes(o.linkLocal) : linkLocalFromMac(this.mac);
    this.v4 = s.ipv4 !== undefined ? ipBytes(s.ipv4) : undefined;
    const v6 = s.ipv6 !== undefined ? ipBytes(s.ipv6) : undefined;
    const v4Text = s.ipv4?.split('/')[0];
    if (s.dhcp !== undefined && v4Text !== undefined) {
      this.dhcp = new DhcpServer(
        {
          serverIp: v4Text,
          start: s.dhcp.start,
          end: s.dhcp.end,
          netmask: s.dhcp.netmask,
          lease: s.dhcp.lease,
          // Without NAT the segment has no way out: no default gateway (as with dnsmasq).
          ...(s.nat ? { router: v4Text } : {}),
          ...(s.dns !== undefined ? { dns: v4Text } : {}),
        },
        o.clock,
      );
    }
    if (s.dns !== undefined) {
      this.zone = new DnsZone(
        new Map(Object.entries(s.dns.names).map(([name, ip]) => [name, ipBytes(ip)])),
      );
      for (const a of [this.v4, v6, linkLocal]) if (a !== undefined) this.dnsAddrs.push(a);
    }
    if (s.ra !== undefined) {
      const [net = '', len = '64'] = s.ra.prefix.split('/');
      this.ra = {
        prefix: ipBytes(net),
        prefixLength: Number(len),
        mtu: s.ra.mtu,
        mac: this.mac,
        linkLocal,
        ...(s.dns !== undefined && v6 !== undefined ? { rdnss: v6 } : {}),
      };
    }
  }

  /** Starts the unsolicited router advertisements (a fast first few, then periodic). */
  start(): void {
    if (this.ra === undefined || this.disposed || this.interval !== undefined) return;
    for (const delay of RA_INITIAL_DELAYS_MS) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.advertise();
      }, delay);
      t.unref();
      this.timers.add(t);
    }
    this.interval = setInterval(() => {
      this.advertise();
    }, this.o.raIntervalMs ?? RA_INTERVAL_MS);
    this.interval.unref();
  }

  /** The egress stage: serves what it answers, passes everything else on to the kernel. */
  process(frames: readonly Buffer[], next: EgressNext): void {
    let kept: Buffer[] | undefined;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      if (frame === undefined) continue;
      if (this.serve(frame)) kept ??= frames.slice(0, i);
      else kept?.push(frame);
    }
    if (kept === undefined) next(frames);
    else if (kept.length > 0) next(kept);
  }

  /** Stops the advertisements and drops queued answers. */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    this.queue = [];
  }

  /**
   * Answers one frame if it is a request this server takes; true when it took the frame (it
   * then never reaches the kernel).
   */
  serve(frame: Buffer): boolean {
    // Cheap checks first: most frames are neither UDP nor ICMPv6.
    if (frame.length < 42) return false;
    const etherType = frame.readUInt16BE(12);
    // Then the UDP destination port (or the ICMPv6 type) read in place, so that ordinary traffic
    // to the lab interface is passed on without being parsed.
    if (etherType === ETHERTYPE_IPV4) {
      if (frame[23] !== PROTO_UDP || (this.dhcp === undefined && this.zone === undefined)) {
        return false;
      }
      const dportAt = ETH_HEADER + ((frame[ETH_HEADER] ?? 0) & 0x0f) * 4 + 2;
      if (frame.length < dportAt + 2) return false;
      const dport = frame.readUInt16BE(dportAt);
      if (dport !== DHCP_SERVER_PORT && dport !== DNS_PORT) return false;
    } else if (etherType === ETHERTYPE_IPV6) {
      const nh = frame[20];
      if (nh === PROTO_UDP) {
        if (frame.length < IPV6_UDP_DPORT_AT + 2) return false;
        if (frame.readUInt16BE(IPV6_UDP_DPORT_AT) !== DNS_PORT) return false;
      } else if (nh === PROTO_ICMPV6) {
        if (frame[IPV6_ICMP_TYPE_AT] !== ICMPV6_RS) return false;
      } else return false;
    } else return false;
    const parsed = parseIpFrame(frame);
    if (parsed === undefined) return false;
    const { eth, ip } = parsed;
    if (ip.protocol === PROTO_ICMPV6) return this.serveRs(ip);
    const udp = parseUdp(ip.payload);
    if (udp === undefined) return false;
    if (ip.family === 4 && udp.dstPort === DHCP_SERVER_PORT && this.dhcp !== undefined) {
      if (!ip.dst.equals(IPV4_BROADCAST) && !(this.v4 !== undefined && ip.dst.equals(this.v4))) {
        return false;
      }
      if (!upperChecksumOk(ip)) return true;
      this.serveDhcp(this.dhcp, udp.data);
      return true;
    }
    if (udp.dstPort === DNS_PORT && this.zone !== undefined) {
      if (!this.dnsAddrs.some((a) => a.equals(ip.dst))) return false;
      if (!upperChecksumOk(ip)) return true;
      const answer = this.zone.answer(udp.data);
      if (answer !== undefined) {
        this.o.count?.(SERVED.dns);
        this.send(
          buildUdpFrame({
            dstMac: Buffer.from(eth.src),
            srcMac: this.mac,
            src: Buffer.from(ip.dst),
            dst: Buffer.from(ip.src),
            srcPort: DNS_PORT,
            dstPort: udp.srcPort,
            data: answer,
          }),
        );
      }
      return true;
    }
    return false;
  }

  private serveDhcp(server: DhcpServer, data: Buffer): void {
    const req = parseDhcp(data);
    if (req === undefined || this.v4 === undefined) return;
    const reply = server.handle(req);
    if (reply === undefined) return;
    this.o.count?.(SERVED.dhcp);
    const to = reply.to;
    this.send(
      buildUdpFrame({
        dstMac: to.kind === 'broadcast' ? MAC_BROADCAST : to.mac,
        srcMac: this.mac,
        src: this.v4,
        dst: to.kind === 'broadcast' ? IPV4_BROADCAST : to.ip,
        srcPort: DHCP_SERVER_PORT,
        dstPort: DHCP_CLIENT_PORT,
        data: buildDhcp(reply.message),
      }),
    );
  }

  /** A valid Router Solicitation gets an advertisement to all nodes at once. */
  private serveRs(ip: IpPacket): boolean {
    if (this.ra === undefined || ip.payload.length < 8 || ip.payload[0] !== ICMPV6_RS) {
      return false;
    }
    if (ip.ttl !== ND_HOP_LIMIT || ip.payload[1] !== 0 || !upperChecksumOk(ip)) return true;
    this.advertise();
    return true;
  }

  private advertise(): void {
    if (this.ra === undefined || this.disposed) return;
    this.o.count?.(SERVED.ra);
    this.send(buildRaFrame(this.ra));
  }

  /**
   * Queues an answer. Answers are injected on the next microtask, never from inside the
   * switch's delivery of the request (which would re-enter the switch mid-batch).
   */
  private send(frame: Buffer): void {
    if (this.disposed) return;
    this.queue.push(frame);
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      const batch = this.queue;
      this.queue = [];
      if (!this.disposed && batch.length > 0) this.o.inject(batch);
    });
  }
}
