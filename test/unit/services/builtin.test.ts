// The built-in segment services (DHCPv4, router advertisements, DNS) driven with crafted frames
// through the egress stage the switch puts in front of the lab's interface: what they answer,
// what they let through to the kernel, and (with tshark, when installed) that every frame they
// build decodes cleanly with correct checksums.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PcapngWriter } from '../../../src/engine/fabric/pcapng.js';
import { BuiltinServices, SERVED } from '../../../src/engine/services/builtin/index.js';
import {
  BOOTREQUEST,
  buildDhcp,
  DHCP,
  FLAG_BROADCAST,
  messageType,
  option,
  OPT,
  parseDhcp,
  type DhcpMessage,
} from '../../../src/engine/services/builtin/dhcp.js';
import {
  buildDnsQuery,
  DnsZone,
  parseDnsResponse,
  RCODE,
  reverseName,
  RR,
} from '../../../src/engine/services/builtin/dns.js';
import {
  buildIp,
  buildUdp,
  buildUdpFrame,
  internetChecksum,
  ipBytes,
  IPV4_ANY,
  IPV4_BROADCAST,
  linkLocalFromMac,
  MAC_BROADCAST,
  macBytes,
  parseIpFrame,
  parseIpv4,
  parseUdp,
  PROTO_UDP,
  upperChecksumOk,
} from '../../../src/engine/services/builtin/packets.js';
import { ALL_NODES, buildRsFrame, ICMPV6_RA } from '../../../src/engine/services/builtin/ra.js';
import type { ResolvedServices } from '../../../src/kinds/nodes/switch/definition.js';

const HOST_MAC = '00:00:5e:00:53:ff';
const CLIENT1 = macBytes('02:00:00:00:00:01');
const CLIENT2 = macBytes('02:00:00:00:00:02');

const ALL: ResolvedServices = {
  ipv4: '192.0.2.2/24',
  ipv6: '2001:db8::2/64',
  dhcp: { start: '192.0.2.16', end: '192.0.2.32', lease: 3600, netmask: '255.255.255.0' },
  ra: { prefix: '2001:db8::/64', mtu: 1280 },
  dns: { names: { '4.zephyr.test': '192.0.2.1', '6.zephyr.test': '2001:db8::1' } },
  nat: false,
};

/** Every frame the tests built or received, for the tshark check at the end. */
const seen: Buffer[] = [];

/** A BuiltinServices whose answers are collected; `served(frames)` runs the egress stage. */
function harness(services: ResolvedServices = ALL): {
  svc: BuiltinServices;
  counts: Map<string, number>;
  /** Runs frames through the stage; returns what passed on to the kernel and the answers. */
  run(frames: Buffer[]): Promise<{ passed: Buffer[]; answers: Buffer[] }>;
} {
  const injected: Buffer[] = [];
  const counts = new Map<string, number>();
  const svc = new BuiltinServices({
    services,
    mac: HOST_MAC,
    inject: (frames) => {
      injected.push(...frames);
    },
    count: (e) => counts.set(e, (counts.get(e) ?? 0) + 1),
  });
  return {
    svc,
    counts,
    async run(frames) {
      seen.push(...frames);
      const passed: Buffer[] = [];
      svc.process(frames, (f) => passed.push(...f));
      // Answers are injected on a microtask, never from inside the switch's delivery.
      expect(injected).toEqual([]);
      await Promise.resolve();
      const answers = injected.splice(0);
      seen.push(...answers);
      return { passed, answers };
    },
  };
}

function dhcpRequest(
  mac: Buffer,
  type: number,
  o: { options?: Array<[number, Buffer]>; ciaddr?: string; flags?: number; xid?: number } = {},
): DhcpMessage {
  const chaddr = Buffer.alloc(16);
  mac.copy(chaddr);
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: o.xid ?? 0x1234_5678,
    secs: 0,
    flags: o.flags ?? 0,
    ciaddr: o.ciaddr !== undefined ? ipBytes(o.ciaddr) : Buffer.alloc(4),
    yiaddr: Buffer.alloc(4),
    siaddr: Buffer.alloc(4),
    giaddr: Buffer.alloc(4),
    chaddr,
    options: [[OPT.MESSAGE_TYPE, Buffer.of(type)], ...(o.options ?? [])],
  };
}

/** A client's DHCP frame: broadcast from 0.0.0.0, or unicast from ciaddr to the server. */
function dhcpFrame(msg: DhcpMessage, mac: Buffer, unicastTo?: string): Buffer {
  const fromAddr = msg.ciaddr.readUInt32BE(0) !== 0;
  return buildUdpFrame({
    dstMac: unicastTo !== undefined ? macBytes(HOST_MAC) : MAC_BROADCAST,
    srcMac: mac,
    src: fromAddr ? Buffer.from(msg.ciaddr) : IPV4_ANY,
    dst: unicastTo !== undefined ? ipBytes(unicastTo) : IPV4_BROADCAST,
    srcPort: 68,
    dstPort: 67,
    data: buildDhcp(msg),
  });
}

/** The DHCP reply in an answer frame, with its IP and Ethernet destinations. */
function dhcpReply(frame: Buffer | undefined): {
  msg: DhcpMessage;
  dstMac: string;
  dstIp: string;
  srcIp: string;
} {
  if (frame === undefined) throw new Error('no answer');
  const p = parseIpFrame(frame);
  if (p === undefined) throw new Error('answer is not IP');
  expect(upperChecksumOk(p.ip)).toBe(true);
  const udp = parseUdp(p.ip.payload);
  expect(udp?.srcPort).toBe(67);
  expect(udp?.dstPort).toBe(68);
  const msg = udp ? parseDhcp(udp.data) : undefined;
  if (msg === undefined) throw new Error('answer is not DHCP');
  expect(p.eth.src.equals(macBytes(HOST_MAC))).toBe(true);
  return {
    msg,
    dstMac: [...p.eth.dst].map((b) => b.toString(16).padStart(2, '0')).join(':'),
    dstIp: [...p.ip.dst].join('.'),
    srcIp: [...p.ip.src].join('.'),
  };
}

const ip4 = (b: Buffer | undefined): string => (b ? [...b].join('.') : '');

describe('packet builders', () => {
  it('computes the Internet checksum (RFC 1071 example) and valid IPv4 headers', () => {
    // RFC 1071 section 3 example: the sum of 0001 f203 f4f5 f6f7 is ddf2, checksum 220d.
    expect(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'))).toBe(0x220d);
    // Odd lengths and split parts give the same result as one buffer.
    const data = Buffer.from('0102030405060708090a0b', 'hex');
    expect(internetChecksum(data.subarray(0, 3), data.subarray(3))).toBe(internetChecksum(data));
    const udp = buildUdp(ipBytes('192.0.2.2'), ipBytes('192.0.2.1'), 53, 4242, Buffer.from('x'));
    const packet = buildIp(ipBytes('192.0.2.2'), ipBytes('192.0.2.1'), PROTO_UDP, udp);
    const parsed = parseIpv4(packet);
    expect(parsed?.protocol).toBe(PROTO_UDP);
    expect(parsed && upperChecksumOk(parsed)).toBe(true);
    // A flipped bit fails the header checksum: the packet is not parsed (not served).
    const bad = Buffer.from(packet);
    bad[8] = 1;
    expect(parseIpv4(bad)).toBeUndefined();
  });

  it('derives the EUI-64 link-local address of a MAC', () => {
    expect(linkLocalFromMac(macBytes(HOST_MAC)).toString('hex')).toBe(
      'fe800000000000000200' + '5efffe0053ff',
    );
  });

  it('round-trips a DHCP message with its options, padded to 300 bytes', () => {
    const msg = dhcpRequest(CLIENT1, DHCP.DISCOVER, {
      options: [[OPT.REQUESTED_IP, ipBytes('192.0.2.20')]],
    });
    const bytes = buildDhcp(msg);
    expect(bytes.length).toBe(300);
    const back = parseDhcp(bytes);
    expect(back && messageType(back)).toBe(DHCP.DISCOVER);
    expect(ip4(back && option(back, OPT.REQUESTED_IP))).toBe('192.0.2.20');
    expect(back?.chaddr.subarray(0, 6).equals(CLIENT1)).toBe(true);
    expect(back?.xid).toBe(0x1234_5678);
  });
});

describe('built-in DHCPv4', () => {
  it('offers and acknowledges the first pool address with the right options', async () => {
    const h = harness();
    const offer = await h.run([dhcpFrame(dhcpRequest(CLIENT1, DHCP.DISCOVER), CLIENT1)]);
    expect(offer.passed).toEqual([]);
    const o = dhcpReply(offer.answers[0]);
    expect(messageType(o.msg)).toBe(DHCP.OFFER);
    expect(ip4(o.msg.yiaddr)).toBe('192.0.2.16');
    // No BROADCAST flag: unicast to the offered address at the client's MAC (RFC 2131 4.1).
    expect(o.dstMac).toBe('02:00:00:00:00:01');
    expect(o.dstIp).toBe('192.0.2.16');
    expect(o.srcIp).toBe('192.0.2.2');
    expect(ip4(option(o.msg, OPT.SERVER_ID))).toBe('192.0.2.2');
    expect(ip4(option(o.msg, OPT.SUBNET_MASK))).toBe('255.255.255.0');
    expect(ip4(option(o.msg, OPT.BROADCAST))).toBe('192.0.2.255');
    expect(ip4(option(o.msg, OPT.DNS))).toBe('192.0.2.2');
    expect(option(o.msg, OPT.LEASE_TIME)?.readUInt32BE(0)).toBe(3600);
    // Without NAT there is no way out: no router option, as with dnsmasq.
    expect(option(o.msg, OPT.ROUTER)).toBeUndefined();

    const ack = await h.run([
      dhcpFrame(
        dhcpRequest(CLIENT1, DHCP.REQUEST, {
          options: [
            [OPT.SERVER_ID, ipBytes('192.0.2.2')],
            [OPT.REQUESTED_IP, ipBytes('192.0.2.16')],
          ],
        }),
        CLIENT1,
      ),
    ]);
    const a = dhcpReply(ack.answers[0]);
    expect(messageType(a.msg)).toBe(DHCP.ACK);
    expect(ip4(a.msg.yiaddr)).toBe('192.0.2.16');
    expect(option(a.msg, OPT.RENEWAL_T1)?.readUInt32BE(0)).toBe(1800);
    expect(h.svc.dhcp?.leases()).toEqual([
      expect.objectContaining({ mac: '02:00:00:00:00:01', ip: '192.0.2.16', state: 'bound' }),
    ]);
    expect(h.counts.get(SERVED.dhcp)).toBe(2);
    h.svc.dispose();
  });

  it('gives a second client the next address, NAKs a taken one, and frees a released one', async () => {
    const h = harness();
    const bind = async (mac: Buffer): Promise<string> => {
      const o = dhcpReply(
        (await h.run([dhcpFrame(dhcpRequest(mac, DHCP.DISCOVER), mac)])).answers[0],
      );
      const req = dhcpRequest(mac, DHCP.REQUEST, {
        options: [
          [OPT.SERVER_ID, ipBytes('192.0.2.2')],
          [OPT.REQUESTED_IP, Buffer.from(o.msg.yiaddr)],
        ],
      });
      const a = dhcpReply((await h.run([dhcpFrame(req, mac)])).answers[0]);
      expect(messageType(a.msg)).toBe(DHCP.ACK);
      return ip4(a.msg.yiaddr);
    };
    expect(await bind(CLIENT1)).toBe('192.0.2.16');
    expect(await bind(CLIENT2)).toBe('192.0.2.17');

    // INIT-REBOOT for client 1's address from client 2: NAK, broadcast.
    const steal = dhcpRequest(CLIENT2, DHCP.REQUEST, {
      options: [[OPT.REQUESTED_IP, ipBytes('192.0.2.16')]],
    });
    const nak = dhcpReply((await h.run([dhcpFrame(steal, CLIENT2)])).answers[0]);
    expect(messageType(nak.msg)).toBe(DHCP.NAK);
    expect(nak.dstMac).toBe('ff:ff:ff:ff:ff:ff');
    expect(nak.dstIp).toBe('255.255.255.255');

    // An address outside the pool: NAK as well (authoritative).
    const outside = dhcpRequest(CLIENT2, DHCP.REQUEST, {
      options: [[OPT.REQUESTED_IP, ipBytes('198.51.100.5')]],
    });
    expect(
      messageType(dhcpReply((await h.run([dhcpFrame(outside, CLIENT2)])).answers[0]).msg),
    ).toBe(DHCP.NAK);

    // Renewal: unicast from ciaddr to the server, answered by unicast to ciaddr.
    const renew = dhcpRequest(CLIENT1, DHCP.REQUEST, { ciaddr: '192.0.2.16' });
    const r = dhcpReply((await h.run([dhcpFrame(renew, CLIENT1, '192.0.2.2')])).answers[0]);
    expect(messageType(r.msg)).toBe(DHCP.ACK);
    expect(r.dstIp).toBe('192.0.2.16');
    expect(ip4(r.msg.ciaddr)).toBe('192.0.2.16');

    // Release: no answer; the address is free for the next client.
    const release = await h.run([
      dhcpFrame(dhcpRequest(CLIENT1, DHCP.RELEASE, { ciaddr: '192.0.2.16' }), CLIENT1, '192.0.2.2'),
    ]);
    expect(release.answers).toEqual([]);
    expect(release.passed).toEqual([]);
    expect(h.svc.dhcp?.leases().map((l) => l.ip)).toEqual(['192.0.2.17']);
    const third = macBytes('02:00:00:00:00:03');
    expect(await bind(third)).toBe('192.0.2.16');
    h.svc.dispose();
  });

  it('broadcasts to a client that sets the BROADCAST flag, and gives a router with NAT', async () => {
    const h = harness({ ...ALL, nat: true });
    const disc = dhcpRequest(CLIENT1, DHCP.DISCOVER, { flags: FLAG_BROADCAST });
    const o = dhcpReply((await h.run([dhcpFrame(disc, CLIENT1)])).answers[0]);
    expect(o.dstMac).toBe('ff:ff:ff:ff:ff:ff');
    expect(o.dstIp).toBe('255.255.255.255');
    expect(o.msg.flags & FLAG_BROADCAST).toBe(FLAG_BROADCAST);
    expect(ip4(option(o.msg, OPT.ROUTER))).toBe('192.0.2.2');
    h.svc.dispose();
  });

  it('forgets its offer when the client chooses another server', async () => {
    const h = harness();
    await h.run([dhcpFrame(dhcpRequest(CLIENT1, DHCP.DISCOVER), CLIENT1)]);
    const other = dhcpRequest(CLIENT1, DHCP.REQUEST, {
      options: [
        [OPT.SERVER_ID, ipBytes('192.0.2.99')],
        [OPT.REQUESTED_IP, ipBytes('192.0.2.50')],
      ],
    });
    const r = await h.run([dhcpFrame(other, CLIENT1)]);
    expect(r.answers).toEqual([]);
    expect(h.svc.dhcp?.leases()).toEqual([]);
    h.svc.dispose();
  });
});

describe('built-in DNS', () => {
  const zone = new DnsZone(
    new Map([
      ['4.zephyr.test', ipBytes('192.0.2.1')],
      ['6.zephyr.test', ipBytes('2001:db8::1')],
    ]),
  );
  const ask = (name: string, type: number): ReturnType<typeof parseDnsResponse> => {
    const answer = zone.answer(buildDnsQuery(7, name, type));
    return answer ? parseDnsResponse(answer) : undefined;
  };

  it('answers A, AAAA and PTR for its names, case-insensitively', () => {
    const a = ask('4.Zephyr.TEST', RR.A);
    expect(a?.rcode).toBe(RCODE.NOERROR);
    expect(a?.id).toBe(7);
    expect(a?.answers.map((x) => ip4(x.data))).toEqual(['192.0.2.1']);
    const aaaa = ask('6.zephyr.test', RR.AAAA);
    expect(aaaa?.answers.map((x) => x.data.toString('hex'))).toEqual([
      ipBytes('2001:db8::1').toString('hex'),
    ]);
    // A name that exists but has no record of the type: NOERROR, no answers.
    const none = ask('4.zephyr.test', RR.AAAA);
    expect(none?.rcode).toBe(RCODE.NOERROR);
    expect(none?.answers).toEqual([]);
    const ptr = ask(reverseName(ipBytes('192.0.2.1')), RR.PTR);
    expect(ptr?.answers).toHaveLength(1);
    expect(reverseName(ipBytes('192.0.2.1'))).toBe('1.2.0.192.in-addr.arpa');
  });

  it('says NXDOMAIN for other names in its domain and REFUSED for the rest', () => {
    expect(ask('5.zephyr.test', RR.A)?.rcode).toBe(RCODE.NXDOMAIN);
    expect(ask('example.com', RR.A)?.rcode).toBe(RCODE.REFUSED);
    // Never answers a response (no loops between responders).
    const response = zone.answer(buildDnsQuery(1, '4.zephyr.test', RR.A));
    expect(response && zone.answer(response)).toBeUndefined();
  });

  it('serves queries to the lab addresses over IPv4 and IPv6, and passes others on', async () => {
    const h = harness();
    const q4 = buildUdpFrame({
      dstMac: macBytes(HOST_MAC),
      srcMac: CLIENT1,
      src: ipBytes('192.0.2.10'),
      dst: ipBytes('192.0.2.2'),
      srcPort: 40000,
      dstPort: 53,
      data: buildDnsQuery(0x4242, '4.zephyr.test', RR.A),
    });
    const q6 = buildUdpFrame({
      dstMac: macBytes(HOST_MAC),
      srcMac: CLIENT1,
      src: ipBytes('2001:db8::10'),
      dst: ipBytes('2001:db8::2'),
      srcPort: 40001,
      dstPort: 53,
      data: buildDnsQuery(0x4243, '6.zephyr.test', RR.AAAA),
    });
    // A query to another server on the segment is not ours.
    const elsewhere = buildUdpFrame({
      dstMac: macBytes('02:00:00:00:00:09'),
      srcMac: CLIENT1,
      src: ipBytes('192.0.2.10'),
      dst: ipBytes('192.0.2.9'),
      srcPort: 40002,
      dstPort: 53,
      data: buildDnsQuery(1, '4.zephyr.test', RR.A),
    });
    const { passed, answers } = await h.run([q4, elsewhere, q6]);
    expect(passed).toEqual([elsewhere]);
    expect(answers).toHaveLength(2);
    const [r4, r6] = answers.map((f) => {
      const p = parseIpFrame(f);
      if (p === undefined) throw new Error('not IP');
      expect(upperChecksumOk(p.ip)).toBe(true);
      const udp = parseUdp(p.ip.payload);
      return { p, udp, dns: udp ? parseDnsResponse(udp.data) : undefined };
    });
    expect(ip4(r4?.p.ip.src)).toBe('192.0.2.2');
    expect(ip4(r4?.p.ip.dst)).toBe('192.0.2.10');
    expect(r4?.udp?.dstPort).toBe(40000);
    expect(r4?.dns?.id).toBe(0x4242);
    expect(r4?.dns?.answers.map((a) => ip4(a.data))).toEqual(['192.0.2.1']);
    expect(r6?.p.ip.src.equals(ipBytes('2001:db8::2'))).toBe(true);
    expect(r6?.dns?.answers[0]?.data.equals(ipBytes('2001:db8::1'))).toBe(true);
    expect(h.counts.get(SERVED.dns)).toBe(2);
    h.svc.dispose();
  });
});

describe('built-in router advertisements', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function checkRa(frame: Buffer | undefined): void {
    if (frame === undefined) throw new Error('no RA');
    const p = parseIpFrame(frame);
    if (p === undefined) throw new Error('RA is not IP');
    expect(p.eth.dst.toString('hex')).toBe('333300000001');
    expect(p.eth.src.equals(macBytes(HOST_MAC))).toBe(true);
    expect(p.ip.dst.equals(ALL_NODES)).toBe(true);
    expect(p.ip.src.equals(linkLocalFromMac(macBytes(HOST_MAC)))).toBe(true);
    expect(p.ip.ttl).toBe(255);
    expect(upperChecksumOk(p.ip)).toBe(true);
    const icmp = p.ip.payload;
    expect(icmp[0]).toBe(ICMPV6_RA);
    expect(icmp.readUInt16BE(6)).toBe(0); // router lifetime 0, as with dnsmasq
    // Options after the 16-byte header: source link-layer, MTU, prefix, RDNSS.
    const opts = new Map<number, Buffer>();
    for (let at = 16; at < icmp.length;) {
      const len = (icmp[at + 1] ?? 0) * 8;
      opts.set(icmp[at] ?? 0, icmp.subarray(at, at + len));
      at += len;
    }
    expect(opts.get(1)?.subarray(2, 8).equals(macBytes(HOST_MAC))).toBe(true);
    expect(opts.get(5)?.readUInt32BE(4)).toBe(1280);
    const prefix = opts.get(3);
    expect(prefix?.[2]).toBe(64);
    expect(prefix?.[3]).toBe(0xc0);
    expect(prefix?.subarray(16, 32).equals(ipBytes('2001:db8::'))).toBe(true);
    expect(opts.get(25)?.subarray(8, 24).equals(ipBytes('2001:db8::2'))).toBe(true);
  }

  it('answers a Router Solicitation with an advertisement of the prefix and MTU', async () => {
    const h = harness();
    const rs = buildRsFrame(CLIENT1, linkLocalFromMac(CLIENT1));
    const { passed, answers } = await h.run([rs]);
    expect(passed).toEqual([]);
    expect(answers).toHaveLength(1);
    checkRa(answers[0]);
    // From the unspecified address (before the client has one) too.
    const early = await h.run([buildRsFrame(CLIENT1, Buffer.alloc(16))]);
    checkRa(early.answers[0]);
    h.svc.dispose();
  });

  it('advertises on start, a few times quickly, then every interval, until disposed', async () => {
    const injected: Buffer[] = [];
    const svc = new BuiltinServices({
      services: ALL,
      mac: HOST_MAC,
      linkLocal: 'fe80::200:5eff:fe00:53ff',
      inject: (f) => injected.push(...f),
      raIntervalMs: 10_000,
    });
    svc.start();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(injected).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(injected).toHaveLength(5);
    checkRa(injected[0]);
    svc.dispose();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(injected).toHaveLength(5);
  });

  it('does not advertise or take solicitations without ra', async () => {
    const { ra: _ra, ...noRa } = ALL;
    const h = harness(noRa);
    h.svc.start();
    await vi.advanceTimersByTimeAsync(15_000);
    const rs = buildRsFrame(CLIENT1, linkLocalFromMac(CLIENT1));
    const { passed, answers } = await h.run([rs]);
    expect(passed).toEqual([rs]);
    expect(answers).toEqual([]);
    h.svc.dispose();
  });
});

describe('built-in services pass everything else to the kernel', () => {
  it('leaves ARP, other UDP, and DHCP without dhcp untouched, in order', async () => {
    const arp = Buffer.alloc(42);
    MAC_BROADCAST.copy(arp, 0);
    CLIENT1.copy(arp, 6);
    arp.writeUInt16BE(0x0806, 12);
    const echo = buildUdpFrame({
      dstMac: macBytes(HOST_MAC),
      srcMac: CLIENT1,
      src: ipBytes('192.0.2.10'),
      dst: ipBytes('192.0.2.2'),
      srcPort: 4242,
      dstPort: 4242,
      data: Buffer.from('hello'),
    });
    const discover = dhcpFrame(dhcpRequest(CLIENT1, DHCP.DISCOVER), CLIENT1);
    const { dhcp: _dhcp, ...noDhcp } = ALL;
    const h = harness(noDhcp);
    const { passed, answers } = await h.run([arp, echo, discover]);
    expect(passed).toEqual([arp, echo, discover]);
    expect(answers).toEqual([]);
    h.svc.dispose();
  });
});

/** tshark's verdicts on every frame the tests built and received. */
describe.skipIf(!existsSync('/usr/bin/tshark'))('tshark reads the built-in frames', () => {
  let dir: string | undefined;
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function tshark(file: string, filter: string, fields = ['frame.number']): Promise<string[]> {
    return new Promise((res, rej) => {
      execFile(
        'tshark',
        [
          '-r',
          file,
          '-o',
          'ip.check_checksum:TRUE',
          '-o',
          'udp.check_checksum:TRUE',
          '-Y',
          filter,
          '-T',
          'fields',
          ...fields.flatMap((f) => ['-e', f]),
        ],
        (e, out, err) =>
          e ? rej(new Error(`${e.message}\n${err}`)) : res(out.split('\n').filter(Boolean)),
      );
    });
  }

  it('decodes DHCP ACKs, RAs and DNS answers with no malformed frame or bad checksum', async () => {
    expect(seen.length).toBeGreaterThan(20);
    const chunks: Buffer[] = [];
    const w = new PcapngWriter((c) => chunks.push(c));
    const ifc = w.addInterface({ name: 'sw:host', linkType: 'ethernet' });
    w.writePackets(ifc, seen, seen.length, Date.now() * 1000, 'inbound');
    await w.end();
    dir = mkdtempSync(join(tmpdir(), 'nw-builtin-'));
    const file = join(dir, 'builtin.pcapng');
    writeFileSync(file, Buffer.concat(chunks));

    expect(await tshark(file, '_ws.malformed || _ws.expert.severity >= error')).toEqual([]);
    expect(
      await tshark(
        file,
        'ip.checksum.status == 0 || udp.checksum.status == 0 || icmpv6.checksum.status == 0',
      ),
    ).toEqual([]);
    expect((await tshark(file, 'dhcp.option.dhcp == 5')).length).toBeGreaterThan(0);
    expect((await tshark(file, 'dhcp.option.dhcp == 2')).length).toBeGreaterThan(0);
    expect((await tshark(file, 'dhcp.option.dhcp == 6')).length).toBeGreaterThan(0);
    expect(
      await tshark(file, 'dhcp.option.dhcp == 5', ['dhcp.ip.your', 'dhcp.option.subnet_mask']),
    ).toContain('192.0.2.16\t255.255.255.0');
    const ra = await tshark(file, 'icmpv6.type == 134', [
      'icmpv6.opt.prefix',
      'icmpv6.opt.mtu',
      'icmpv6.nd.ra.router_lifetime',
    ]);
    expect(ra.length).toBeGreaterThan(0);
    expect(ra[0]).toBe('2001:db8::\t1280\t0');
    expect((await tshark(file, 'dns.a == 192.0.2.1')).length).toBeGreaterThan(0);
    expect((await tshark(file, 'dns.aaaa == 2001:db8::1')).length).toBeGreaterThan(0);
    // The checksums were verified, not skipped.
    expect((await tshark(file, 'udp.checksum.status == 1')).length).toBe(
      (await tshark(file, 'udp')).length,
    );
    expect((await tshark(file, 'icmpv6.checksum.status == 1')).length).toBe(
      (await tshark(file, 'icmpv6')).length,
    );
  });
});
