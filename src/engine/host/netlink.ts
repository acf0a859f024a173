// A lab's interfaces, addresses and routes set up through rtnetlink from the engine itself:
// what `ip link`, `ip addr` and `ip route` do, without an ip process. Each ip process costs a
// lab's start about 8 ms (a fork of the engine, the exec, then the same netlink requests), and a
// native_sim node or a host node needed one or two on the way to its first frame.
//
// The requests are built here (plain bytes, unit-tested against what iproute2 sends) and sent by
// @netweave/tap, which opens the NETLINK_ROUTE socket inside the node's namespace, sends them in
// order and stops at the first one the kernel refuses. Names are resolved to interface indexes
// in that namespace where a request needs an index (addresses, routes, a bridge's ports).
import { endianness } from 'node:os';
import { parseCidr, parseIp, parseMac, type IpAddress } from '../../shared/topology/address.js';
import { netnsCalls } from '../process/inNetns.js';

// <linux/rtnetlink.h>, <linux/netlink.h>, <linux/if_link.h>, <linux/if_addr.h>
const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const IFF_UP = 0x1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_AF_SPEC = 26;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_BR_FORWARD_DELAY = 1;
const IFLA_BR_MCAST_SNOOPING = 23;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_F_NODAD = 0x02;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;

const NLMSG_HDRLEN = 16;
/** Netlink uses the host's byte order. */
const LE = endianness() === 'LE';

/** One attribute: its type and payload, or nested attributes. */
type Attr = readonly [type: number, value: Buffer | readonly Attr[]];

function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
}

const pad4 = (n: number): number => (n + 3) & ~3;

function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const [type, value] of attrs) {
    const payload = Buffer.isBuffer(value) ? value : encodeAttrs(value);
    const head = Buffer.alloc(4);
    const len = 4 + payload.length;
    if (LE) {
      head.writeUInt16LE(len, 0);
      head.writeUInt16LE(type, 2);
    } else {
      head.writeUInt16BE(len, 0);
      head.writeUInt16BE(type, 2);
    }
    parts.push(head, payload, Buffer.alloc(pad4(len) - len));
  }
  return Buffer.concat(parts);
}

/** A whole message: header (length and flags; sequence and port id are the sender's), body, attributes. */
function message(type: number, flags: number, body: Buffer, attrs: readonly Attr[]): Buffer {
  const payload = Buffer.concat([body, encodeAttrs(attrs)]);
  const head = Buffer.alloc(NLMSG_HDRLEN);
  const len = NLMSG_HDRLEN + payload.length;
  if (LE) {
    head.writeUInt32LE(len, 0);
    head.writeUInt16LE(type, 4);
    head.writeUInt16LE(flags, 6);
  } else {
    head.writeUInt32BE(len, 0);
    head.writeUInt16BE(type, 4);
    head.writeUInt16BE(flags, 6);
  }
  return Buffer.concat([head, payload]);
}

/** struct ifinfomsg: family, type, index, flags, change. */
function ifinfomsg(index: number, flags: number, change: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(AF_UNSPEC, 0);
  const w = (v: number, at: number): number =>
    LE ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at);
  w(index, 4);
  w(flags, 8);
  w(change, 12);
  return b;
}

/** A netlink request and what it does, in ip's words for error messages. */
export interface NetlinkRequest {
  bytes: Buffer;
  what: string;
}

/** Changes to an existing interface (by name), all in one request. */
export interface LinkChanges {
  up?: boolean;
  /** The interface's alias (ifalias), netweave's ownership tag. */
  alias?: string;
  mac?: string;
  mtu?: number;
  /** Index of the bridge to enslave it to. */
  master?: number;
  /** No IPv6 link-local address (addrgenmode none): the interface must not talk by itself. */
  noIpv6LinkLocal?: boolean;
}

const ADDR_GEN_MODE_NONE: Attr = [
  IFLA_AF_SPEC,
  [[AF_INET6, [[IFLA_INET6_ADDR_GEN_MODE, u8(IN6_ADDR_GEN_MODE_NONE)]]]],
];

/** `ip link set dev NAME [address MAC] [mtu N] [alias TEXT] [master BR] [addrgenmode none] [up]`. */
export function setLink(name: string, c: LinkChanges): NetlinkRequest {
  const attrs: Attr[] = [[IFLA_IFNAME, cstring(name)]];
  const words: string[] = [];
  if (c.mac !== undefined) {
    const mac = parseMac(c.mac);
    if (!mac.ok) throw new Error(`MAC ${JSON.stringify(c.mac)} ${mac.reason}`);
    attrs.push([IFLA_ADDRESS, Buffer.from(mac.value)]);
    words.push('address', c.mac);
  }
  if (c.mtu !== undefined) {
    attrs.push([IFLA_MTU, u32(c.mtu)]);
    words.push('mtu', String(c.mtu));
  }
  if (c.alias !== undefined) {
    attrs.push([IFLA_IFALIAS, cstring(c.alias)]);
    words.push('alias', c.alias);
  }
  if (c.master !== undefined) {
    attrs.push([IFLA_MASTER, u32(c.master)]);
    words.push('master', `#${c.master}`);
  }
  if (c.noIpv6LinkLocal === true) {
    attrs.push(ADDR_GEN_MODE_NONE);
    words.push('addrgenmode', 'none');
  }
  if (c.up === true) words.push('up');
  const up = c.up === true ? IFF_UP : 0;
  return {
    bytes: message(RTM_NEWLINK, 0, ifinfomsg(0, up, up), attrs),
    what: `link set dev ${name} ${words.join(' ')}`.trimEnd(),
  };
}

/**
 * `ip link add NAME type bridge forward_delay 0 mcast_snooping 0`: a bridge that forwards at
 * once (no STP learning delay) and sends no IGMP queries or reports of its own. Its addrgenmode
 * can only be set once it exists (setLink), as the kernel gives a device its IPv6 state when it
 * registers it.
 */
export function addQuietBridge(name: string): NetlinkRequest {
  const attrs: Attr[] = [
    [IFLA_IFNAME, cstring(name)],
    [
      IFLA_LINKINFO,
      [
        [IFLA_INFO_KIND, cstring('bridge')],
        [
          IFLA_INFO_DATA,
          [
            [IFLA_BR_FORWARD_DELAY, u32(0)],
            [IFLA_BR_MCAST_SNOOPING, u8(0)],
          ],
        ],
      ],
    ],
  ];
  return {
    bytes: message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0, 0, 0), attrs),
    what: `link add name ${name} type bridge forward_delay 0 mcast_snooping 0`,
  };
}

function addressBytes(a: IpAddress): Buffer {
  return Buffer.from(a.bytes);
}

/** `ip addr add CIDR dev NAME [nodad]`; `index` is NAME's interface index. */
export function addAddress(
  name: string,
  index: number,
  cidr: string,
  opts: { nodad?: boolean } = {},
): NetlinkRequest {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) throw new Error(`address ${JSON.stringify(cidr)} ${parsed.reason}`);
  const { address, prefix } = parsed.value;
  const body = Buffer.alloc(8);
  body.writeUInt8(address.family === 4 ? AF_INET : AF_INET6, 0);
  body.writeUInt8(prefix, 1);
  body.writeUInt8(opts.nodad === true ? IFA_F_NODAD : 0, 2);
  body.writeUInt8(RT_SCOPE_UNIVERSE, 3);
  if (LE) body.writeUInt32LE(index, 4);
  else body.writeUInt32BE(index, 4);
  const bytes = addressBytes(address);
  return {
    bytes: message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body, [
      [IFA_LOCAL, bytes],
      [IFA_ADDRESS, bytes],
    ]),
    what: `addr add ${cidr} dev ${name}${opts.nodad === true ? ' nodad' : ''}`,
  };
}

/** `ip route add TO via VIA [dev NAME]`; TO is "default" or a network; `dev` with its index. */
export function addRoute(
  to: string,
  via: string,
  dev?: { name: string; index: number },
): NetlinkRequest {
  const gateway = parseIp(via);
  if (!gateway.ok) throw new Error(`gateway ${JSON.stringify(via)} ${gateway.reason}`);
  const family = gateway.value.family;
  let dst: { bytes: Buffer; prefix: number } | undefined;
  if (to !== 'default') {
    const net = parseCidr(to, family);
    if (!net.ok) throw new Error(`route destination ${JSON.stringify(to)} ${net.reason}`);
    dst = { bytes: addressBytes(net.value.address), prefix: net.value.prefix };
  }
  const body = Buffer.from([
    family === 4 ? AF_INET : AF_INET6,
    dst?.prefix ?? 0,
    0, // src_len
    0, // tos
    RT_TABLE_MAIN,
    RTPROT_BOOT,
    RT_SCOPE_UNIVERSE,
    RTN_UNICAST,
    0,
    0,
    0,
    0, // flags
  ]);
  const attrs: Attr[] = [
    ...(dst !== undefined ? [[RTA_DST, dst.bytes] as const] : []),
    [RTA_GATEWAY, addressBytes(gateway.value)],
    ...(dev !== undefined ? [[RTA_OIF, u32(dev.index)] as const] : []),
  ];
  return {
    bytes: message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, body, attrs),
    what: `route add ${to} via ${via}${dev !== undefined ? ` dev ${dev.name}` : ''}`,
  };
}

/** Index of interface `name` in the namespace at `netns`. */
export function ifIndex(name: string, netns: string): number {
  return netnsCalls().ifIndex(name, netns);
}

function errorField(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null
    ? (err as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Sends the requests in order in the namespace at `netns`. Throws at the first the kernel
 * refuses, naming it as ip would have: `ip addr add 192.0.2.1/24 dev eth0 in PATH failed: File
 * exists (EEXIST)`, with the kernel's own explanation when it gave one.
 */
export function rtnetlink(netns: string, requests: readonly NetlinkRequest[]): void {
  if (requests.length === 0) return;
  try {
    netnsCalls().rtnetlink(
      requests.map((r) => r.bytes),
      netns,
    );
  } catch (err) {
    const index = errorField(err, 'request');
    const failed = typeof index === 'number' ? requests[index] : undefined;
    if (failed === undefined) throw err;
    const code = errorField(err, 'code');
    const detail = errorField(err, 'detail');
    const message = err instanceof Error ? err.message : String(err);
    const why = /: ([^:]+ \([A-Z0-9]+\))$/.exec(message)?.[1] ?? String(code);
    const extra = typeof detail === 'string' && detail !== '' ? `: ${detail}` : '';
    throw new Error(`ip ${failed.what} in ${netns} failed: ${why}${extra}`, { cause: err });
  }
}
