// A DHCPv4 server (RFC 2131, options RFC 2132) for one segment: one pool, leases in memory keyed
// by the client's hardware address, authoritative like the dnsmasq it stands in for
// (--dhcp-authoritative: a REQUEST for an address this server cannot give gets a NAK at once).

/** UDP port of DHCP servers. */
export const DHCP_SERVER_PORT = 67;
/** UDP port of DHCP clients. */
export const DHCP_CLIENT_PORT = 68;

/** BOOTP op codes. */
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** DHCP message types (option 53). */
export const DHCP = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

/** Option codes used here. */
export const OPT = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  BROADCAST: 28,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  MESSAGE: 56,
  RENEWAL_T1: 58,
  REBINDING_T2: 59,
  END: 255,
} as const;

const MAGIC_COOKIE = 0x63825363;
/** Fixed BOOTP part: op .. file, then the magic cookie. */
const FIXED = 236;
/** BOOTP's minimum message size; some clients drop shorter replies. */
const MIN_MESSAGE = 300;
/** The BROADCAST bit of `flags` (RFC 2131 figure 2). */
export const FLAG_BROADCAST = 0x8000;
/** How long an offered address is held for the client it was offered to. */
const OFFER_HOLD_MS = 60_000;
/** How long an address a client declined (found in use) stays out of the pool. */
const DECLINE_HOLD_MS = 10 * 60_000;

/** A DHCP message; addresses are 4-byte buffers, chaddr 16 bytes, options in order. */
export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: Buffer;
  yiaddr: Buffer;
  siaddr: Buffer;
  giaddr: Buffer;
  chaddr: Buffer;
  options: Array<[number, Buffer]>;
}

/** The first value of an option, if present. */
export function option(msg: DhcpMessage, code: number): Buffer | undefined {
  return msg.options.find(([c]) => c === code)?.[1];
}

/** The DHCP message type (option 53), or undefined for plain BOOTP. */
export function messageType(msg: DhcpMessage): number | undefined {
  return option(msg, OPT.MESSAGE_TYPE)?.[0];
}

/** Parses a DHCP message (a BOOTP message with the magic cookie), or undefined. */
export function parseDhcp(buf: Buffer): DhcpMessage | undefined {
  if (buf.length < FIXED + 4 || buf.readUInt32BE(FIXED) !== MAGIC_COOKIE) return undefined;
  const options: Array<[number, Buffer]> = [];
  let at = FIXED + 4;
  while (at < buf.length) {
    const code = buf[at] ?? OPT.END;
    if (code === OPT.END) break;
    if (code === OPT.PAD) {
      at++;
      continue;
    }
    const len = buf[at + 1];
    if (len === undefined || at + 2 + len > buf.length) return undefined;
    options.push([code, buf.subarray(at + 2, at + 2 + len)]);
    at += 2 + len;
  }
  return {
    op: buf[0] ?? 0,
    htype: buf[1] ?? 0,
    hlen: buf[2] ?? 0,
    hops: buf[3] ?? 0,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: buf.subarray(12, 16),
    yiaddr: buf.subarray(16, 20),
    siaddr: buf.subarray(20, 24),
    giaddr: buf.subarray(24, 28),
    chaddr: buf.subarray(28, 44),
    options,
  };
}

/** Encodes a DHCP message, padded to BOOTP's 300 bytes. */
export function buildDhcp(msg: DhcpMessage): Buffer {
  const optBytes = msg.options.reduce((n, [, v]) => n + 2 + v.length, 0) + 1;
  const buf = Buffer.alloc(Math.max(MIN_MESSAGE, FIXED + 4 + optBytes));
  buf[0] = msg.op;
  buf[1] = msg.htype;
  buf[2] = msg.hlen;
  buf[3] = msg.hops;
  buf.writeUInt32BE(msg.xid >>> 0, 4);
  buf.writeUInt16BE(msg.secs, 8);
  buf.writeUInt16BE(msg.flags, 10);
  msg.ciaddr.copy(buf, 12);
  msg.yiaddr.copy(buf, 16);
  msg.siaddr.copy(buf, 20);
  msg.giaddr.copy(buf, 24);
  msg.chaddr.copy(buf, 28, 0, 16);
  buf.writeUInt32BE(MAGIC_COOKIE, FIXED);
  let at = FIXED + 4;
  for (const [code, value] of msg.options) {
    buf[at] = code;
    buf[at + 1] = value.length;
    value.copy(buf, at + 2);
    at += 2 + value.length;
  }
  buf[at] = OPT.END;
  return buf;
}

/** Settings of a DhcpServer; addresses as dotted quads. */
export interface DhcpServerConfig {
  /** The server's own address: server identifier and source of replies. */
  serverIp: string;
  start: string;
  end: string;
  netmask: string;
  /** Lease time in seconds. */
  lease: number;
  /** Default gateway handed out (option 3); none without NAT, as with dnsmasq. */
  router?: string;
  /** DNS server handed out (option 6). */
  dns?: string;
}

/** A lease or an offer, as DhcpServer.leases() lists it. */
export interface DhcpLease {
  /** Client hardware address, "aa:bb:cc:dd:ee:ff". */
  mac: string;
  ip: string;
  /** Epoch ms at which it ends. */
  expires: number;
  state: 'offered' | 'bound';
}

/** Where a reply goes (RFC 2131 section 4.1). */
export type DhcpDestination =
  | { kind: 'broadcast' }
  /** Unicast to `ip` at the hardware address `mac` (no ARP: the server knows both). */
  | { kind: 'unicast'; ip: Buffer; mac: Buffer };

/** A reply and where to send it. */
export interface DhcpReply {
  message: DhcpMessage;
  to: DhcpDestination;
}

function v4(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function v4Buffer(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function macKey(chaddr: Buffer): string {
  return [...chaddr.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

interface Entry {
  ip: number;
  expires: number;
  state: 'offered' | 'bound';
}

/** The DHCPv4 server of one segment; handle() maps a request to at most one reply. */
export class DhcpServer {
  private readonly byMac = new Map<string, Entry>();
  /** Declined addresses and when they may be offered again. */
  private readonly declined = new Map<number, number>();
  private readonly server: number;
  private readonly first: number;
  private readonly last: number;
  private readonly mask: number;

  constructor(
    private readonly config: DhcpServerConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.server = v4(config.serverIp);
    this.first = v4(config.start);
    this.last = v4(config.end);
    this.mask = v4(config.netmask);
  }

  /** The current leases and offers. */
  leases(): DhcpLease[] {
    const now = this.clock();
    return [...this.byMac]
      .filter(([, e]) => e.expires > now)
      .map(([mac, e]) => ({
        mac,
        ip: v4Buffer(e.ip).join('.'),
        expires: e.expires,
        state: e.state,
      }));
  }

  /** Answers one client message; undefined when it gets no reply. */
  handle(req: DhcpMessage): DhcpReply | undefined {
    // Ethernet clients only: the lease key and unicast replies use a 6-byte address.
    if (req.op !== BOOTREQUEST || req.htype !== 1 || req.hlen !== 6) return undefined;
    const type = messageType(req);
    const mac = macKey(req.chaddr);
    switch (type) {
      case DHCP.DISCOVER:
        return this.discover(req, mac);
      case DHCP.REQUEST:
        return this.request(req, mac);
      case DHCP.RELEASE:
        this.release(req, mac);
        return undefined;
      case DHCP.DECLINE:
        this.decline(req, mac);
        return undefined;
      case DHCP.INFORM:
        return this.reply(req, DHCP.ACK, 0, { inform: true });
      default:
        return undefined;
    }
  }

  private discover(req: DhcpMessage, mac: string): DhcpReply | undefined {
    const ip = this.choose(req, mac);
    if (ip === undefined) return undefined;
    const now = this.clock();
    const held = this.byMac.get(mac);
    // A bound client that asks again keeps its lease; otherwise the offer is held briefly.
    if (!(held?.state === 'bound' && held.ip === ip && held.expires > now)) {
      this.byMac.set(mac, { ip, expires: now + OFFER_HOLD_MS, state: 'offered' });
    }
    return this.reply(req, DHCP.OFFER, ip);
  }

  private request(req: DhcpMessage, mac: string): DhcpReply | undefined {
    const serverId = option(req, OPT.SERVER_ID);
    const requested = option(req, OPT.REQUESTED_IP);
    const ciaddr = req.ciaddr.readUInt32BE(0);
    if (serverId !== undefined) {
      // SELECTING: the client answers an offer; if it chose another server, forget ours.
      if (serverId.length !== 4 || serverId.readUInt32BE(0) !== this.server) {
        const e = this.byMac.get(mac);
        if (e?.state === 'offered') this.byMac.delete(mac);
        return undefined;
      }
      const want = requested?.length === 4 ? requested.readUInt32BE(0) : ciaddr;
      return this.bind(req, mac, want);
    }
    if (requested?.length === 4 && ciaddr === 0) {
      // INIT-REBOOT: the client checks an address it remembers.
      return this.bind(req, mac, requested.readUInt32BE(0));
    }
    if (ciaddr !== 0) {
      // RENEWING (unicast) or REBINDING (broadcast).
      return this.bind(req, mac, ciaddr);
    }
    return undefined;
  }

  private bind(req: DhcpMessage, mac: string, ip: number): DhcpReply {
    if (!this.available(ip, mac)) return this.reply(req, DHCP.NAK, 0);
    this.byMac.set(mac, {
      ip,
      expires: this.clock() + this.config.lease * 1000,
      state: 'bound',
    });
    return this.reply(req, DHCP.ACK, ip);
  }

  private release(req: DhcpMessage, mac: string): void {
    const e = this.byMac.get(mac);
    if (e !== undefined && e.ip === req.ciaddr.readUInt32BE(0)) this.byMac.delete(mac);
  }

  private decline(req: DhcpMessage, mac: string): void {
    const requested = option(req, OPT.REQUESTED_IP);
    if (requested?.length !== 4) return;
    const ip = requested.readUInt32BE(0);
    const e = this.byMac.get(mac);
    if (e?.ip === ip) this.byMac.delete(mac);
    this.declined.set(ip, this.clock() + DECLINE_HOLD_MS);
  }

  /** The address to offer: the client's own, the one it asks for, or the first free one. */
  private choose(req: DhcpMessage, mac: string): number | undefined {
    const now = this.clock();
    const mine = this.byMac.get(mac);
    if (mine !== undefined && mine.expires > now && this.available(mine.ip, mac)) return mine.ip;
    const requested = option(req, OPT.REQUESTED_IP);
    if (requested?.length === 4) {
      const ip = requested.readUInt32BE(0);
      if (this.available(ip, mac)) return ip;
    }
    for (let ip = this.first; ip <= this.last; ip++) if (this.available(ip, mac)) return ip;
    // Pool exhausted: reclaim nothing that is still valid; the client retries later.
    return undefined;
  }

  /** True when `ip` is in the pool and not held by another client. */
  private available(ip: number, mac: string): boolean {
    if (ip < this.first || ip > this.last || ip === this.server) return false;
    const net = this.server & this.mask;
    if ((ip & this.mask) !== net) return false;
    // Network and broadcast addresses of the subnet are never leased.
    if (ip === net || ip === (net | (~this.mask >>> 0)) >>> 0) return false;
    const now = this.clock();
    const until = this.declined.get(ip);
    if (until !== undefined) {
      if (until > now) return false;
      this.declined.delete(ip);
    }
    for (const [other, e] of this.byMac) {
      if (other !== mac && e.ip === ip && e.expires > now) return false;
    }
    return true;
  }

  private reply(
    req: DhcpMessage,
    type: number,
    yiaddr: number,
    o: { inform?: boolean } = {},
  ): DhcpReply {
    const options: Array<[number, Buffer]> = [
      [OPT.MESSAGE_TYPE, Buffer.of(type)],
      [OPT.SERVER_ID, v4Buffer(this.server)],
    ];
    if (type === DHCP.NAK) {
      options.push([OPT.MESSAGE, Buffer.from('address not available on this segment')]);
    } else {
      const lease = this.config.lease;
      if (o.inform !== true) {
        options.push(
          [OPT.LEASE_TIME, u32(lease)],
          [OPT.RENEWAL_T1, u32(Math.floor(lease / 2))],
          [OPT.REBINDING_T2, u32(Math.floor((lease * 7) / 8))],
        );
      }
      const net = this.server & this.mask;
      options.push(
        [OPT.SUBNET_MASK, v4Buffer(this.mask)],
        [OPT.BROADCAST, v4Buffer((net | ~this.mask) >>> 0)],
      );
      if (this.config.router !== undefined) {
        options.push([OPT.ROUTER, v4Buffer(v4(this.config.router))]);
      }
      if (this.config.dns !== undefined) options.push([OPT.DNS, v4Buffer(v4(this.config.dns))]);
    }
    const zero = Buffer.alloc(4);
    const message: DhcpMessage = {
      op: BOOTREPLY,
      htype: req.htype,
      hlen: req.hlen,
      hops: 0,
      xid: req.xid,
      secs: 0,
      flags: req.flags,
      // RFC 2131 table 3: ciaddr is echoed in an ACK to a client that has an address.
      ciaddr: type === DHCP.ACK ? Buffer.from(req.ciaddr) : zero,
      yiaddr: v4Buffer(yiaddr),
      siaddr: zero,
      giaddr: Buffer.from(req.giaddr),
      chaddr: Buffer.from(req.chaddr),
      options,
    };
    return { message, to: destination(req, type, yiaddr) };
  }
}

function u32(n: number): Buffer {
  return v4Buffer(n);
}

/**
 * RFC 2131 section 4.1: a client with an address (ciaddr) gets unicast; a NAK, or a client that
 * set the BROADCAST flag, gets a broadcast; otherwise unicast to yiaddr at chaddr.
 */
function destination(req: DhcpMessage, type: number, yiaddr: number): DhcpDestination {
  const mac = Buffer.from(req.chaddr.subarray(0, 6));
  const ciaddr = req.ciaddr.readUInt32BE(0);
  if (type !== DHCP.NAK && ciaddr !== 0) {
    return { kind: 'unicast', ip: Buffer.from(req.ciaddr), mac };
  }
  if (type === DHCP.NAK || (req.flags & FLAG_BROADCAST) !== 0 || yiaddr === 0) {
    return { kind: 'broadcast' };
  }
  return { kind: 'unicast', ip: v4Buffer(yiaddr), mac };
}
