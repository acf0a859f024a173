// The soak's checks that need no machine: counter consistency, RSS flatness, ping output and
// pcapng files. Everything here is a pure function of what the soak sampled.
import type { CounterSnapshot, DirectionCounters, PortCounters } from '../shared/contract.js';
import { DROP_CAUSES, type DropCause } from '../shared/kinds.js';

/** Largest Ethernet frame the fabric accepts by default (1514 + one VLAN tag, no FCS). */
export const ETHERNET_MAX_FRAME = 1518;
/** Smallest Ethernet frame a kernel TAP or QEMU hands over: the 14-byte header. */
export const ETHERNET_MIN_FRAME = 14;
/** Frames one direction of a patch cable may hold between two turns of the engine's loop. */
export const PATCH_QUEUE_FRAMES = 1024;

/** One counter-consistency violation. */
export interface CounterViolation {
  /** Engine time of the snapshot (ms since the epoch). */
  time: number;
  /** Which engine lifetime (1-based). */
  lifetime: number;
  check:
    | 'drop-causes'
    | 'frame-size'
    | 'too-big'
    | 'switch-conservation'
    | 'trunk-conservation'
    | 'monotonic'
    | 'port-vanished'
    | 'port-down-unaccounted'
    | 'port-failed';
  port?: string;
  detail: string;
}

/** A switch and the fabric ports attached to it (from `status`). */
export interface SwitchMembers {
  name: string;
  ports: string[];
}

/** The two patch ports of a trunk between switches. */
export interface TrunkPorts {
  name: string;
  ports: [string, string];
}

/** A time window in which a port was allowed to be down (a flap, a killed guest). */
export interface DownWindow {
  port: string;
  from: number;
  /** Undefined while the window is still open. */
  to?: number;
}

function totalDrops(d: DirectionCounters): number {
  let n = 0;
  for (const c of DROP_CAUSES) n += d.drops[c] ?? 0;
  return n;
}

function byPort(snap: CounterSnapshot): Map<string, PortCounters> {
  return new Map(snap.ports.map((p) => [p.port, p]));
}

/**
 * Checks of one snapshot on its own:
 * - port-failed: no port reports that its device failed (`failure`, where the engine has it);
 * - drop-causes: each direction's drops are exactly the known causes, as whole numbers >= 0;
 * - frame-size: an Ethernet port's bytes lie within [14, 1518] x its frames, per direction;
 * - too-big: no 'too-big' drops (the soak's traffic is pings of at most 1500 bytes);
 * - switch-conservation: for every switch with n ports, IN <= OUT <= (n - 1) x IN, where
 *   IN = sum over its ports of (rx.frames - rx.no-destination) (frames the switch forwarded or
 *   flooded) and OUT = sum of (tx.frames + every tx drop) (frames handed to a port: delivered or
 *   dropped with a cause). Exact, because the engine switches a batch and counts it in the
 *   same turn of its loop and takes a snapshot in one turn;
 * - trunk-conservation: for a patch cable X-Y, Y.rx(frames + port-down + too-big) <= X.tx.frames
 *   <= that + PATCH_QUEUE_FRAMES, each way (frames in flight wait at most one turn of the loop).
 */
export function checkSnapshot(
  snap: CounterSnapshot,
  lifetime: number,
  switches: readonly SwitchMembers[],
  trunks: readonly TrunkPorts[],
): CounterViolation[] {
  const out: CounterViolation[] = [];
  const v = (
    check: CounterViolation['check'],
    detail: string,
    port?: string,
  ): CounterViolation => ({
    time: snap.time,
    lifetime,
    check,
    ...(port !== undefined ? { port } : {}),
    detail,
  });
  for (const p of snap.ports) {
    // Newer engines say why a port's device failed for good (a TAP read error, ...).
    const failure = (p as PortCounters & { failure?: unknown }).failure;
    if (typeof failure === 'string') out.push(v('port-failed', failure, p.port));
    for (const dir of ['rx', 'tx'] as const) {
      const d = p[dir];
      const keys = Object.keys(d.drops).sort();
      const known = [...DROP_CAUSES].sort();
      if (keys.join(',') !== known.join(',')) {
        out.push(v('drop-causes', `${dir} drop causes are ${keys.join(', ')}`, p.port));
      }
      for (const c of DROP_CAUSES) {
        const n = d.drops[c];
        if (!Number.isInteger(n) || n < 0)
          out.push(v('drop-causes', `${dir} ${c} is ${String(n)}`, p.port));
      }
      if (!Number.isInteger(d.frames) || d.frames < 0 || !Number.isInteger(d.bytes) || d.bytes < 0)
        out.push(v('frame-size', `${dir} frames ${d.frames}, bytes ${d.bytes}`, p.port));
      if (p.linkType === 'ethernet') {
        if (d.bytes > d.frames * ETHERNET_MAX_FRAME || d.bytes < d.frames * ETHERNET_MIN_FRAME) {
          out.push(
            v(
              'frame-size',
              `${dir} has ${d.bytes} bytes in ${d.frames} frames (outside ${ETHERNET_MIN_FRAME}-${ETHERNET_MAX_FRAME} per frame)`,
              p.port,
            ),
          );
        }
      }
      if ((d.drops['too-big'] ?? 0) > 0)
        out.push(v('too-big', `${dir} dropped ${d.drops['too-big']} frames as too big`, p.port));
    }
  }
  const ports = byPort(snap);
  for (const sw of switches) {
    const members = sw.ports.map((id) => ports.get(id)).filter((p) => p !== undefined);
    if (members.length !== sw.ports.length) {
      const missing = sw.ports.filter((id) => !ports.has(id));
      out.push(
        v('switch-conservation', `switch ${sw.name}: no counters for ${missing.join(', ')}`),
      );
      continue;
    }
    let inFrames = 0;
    let outFrames = 0;
    for (const m of members) {
      inFrames += m.rx.frames - (m.rx.drops['no-destination'] ?? 0);
      outFrames += m.tx.frames + totalDrops(m.tx);
    }
    const maxOut = (members.length - 1) * inFrames;
    if (outFrames < inFrames || outFrames > maxOut) {
      out.push(
        v(
          'switch-conservation',
          `switch ${sw.name} (${members.length} ports): in ${inFrames}, out ${outFrames}, expected ${inFrames}..${maxOut}`,
        ),
      );
    }
  }
  for (const t of trunks) {
    const [a, b] = t.ports.map((id) => ports.get(id));
    if (!a || !b) {
      out.push(v('trunk-conservation', `trunk ${t.name}: no counters for its ports`));
      continue;
    }
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const arrived = y.rx.frames + (y.rx.drops['port-down'] ?? 0) + (y.rx.drops['too-big'] ?? 0);
      const sent = x.tx.frames;
      if (arrived > sent || sent - arrived > PATCH_QUEUE_FRAMES) {
        out.push(
          v(
            'trunk-conservation',
            `trunk ${t.name}: ${x.port} sent ${sent}, ${y.port} took in ${arrived} (in flight at most ${PATCH_QUEUE_FRAMES})`,
          ),
        );
      }
    }
  }
  return out;
}

function windowOverlaps(w: DownWindow, from: number, to: number): boolean {
  return w.from <= to && (w.to === undefined || w.to >= from);
}

/**
 * Checks between two snapshots of the same engine lifetime:
 * - port-vanished: every port of the earlier snapshot is still there;
 * - monotonic: no counter (frames, bytes, each drop cause, each extra) went down;
 * - port-down-unaccounted: a port whose 'port-down' drops grew (either direction) was in a
 *   down window (flapped, or its guest killed) overlapping [prev.time - slack, cur.time + slack].
 */
export function checkPair(
  prev: CounterSnapshot,
  cur: CounterSnapshot,
  lifetime: number,
  windows: readonly DownWindow[],
  slackMs = 1_000,
): CounterViolation[] {
  const out: CounterViolation[] = [];
  const now = byPort(cur);
  for (const p of prev.ports) {
    const c = now.get(p.port);
    if (!c) {
      out.push({
        time: cur.time,
        lifetime,
        check: 'port-vanished',
        port: p.port,
        detail: 'the port is gone from the counters',
      });
      continue;
    }
    const decreased: string[] = [];
    for (const dir of ['rx', 'tx'] as const) {
      const a = p[dir];
      const b = c[dir];
      if (b.frames < a.frames) decreased.push(`${dir}.frames ${a.frames} -> ${b.frames}`);
      if (b.bytes < a.bytes) decreased.push(`${dir}.bytes ${a.bytes} -> ${b.bytes}`);
      for (const cause of DROP_CAUSES) {
        const x = a.drops[cause] ?? 0;
        const y = b.drops[cause] ?? 0;
        if (y < x) decreased.push(`${dir}.${cause} ${x} -> ${y}`);
      }
    }
    for (const [k, x] of Object.entries(p.extra ?? {})) {
      const y = c.extra?.[k] ?? 0;
      if (y < x) decreased.push(`extra.${k} ${x} -> ${y}`);
    }
    if (decreased.length > 0) {
      out.push({
        time: cur.time,
        lifetime,
        check: 'monotonic',
        port: p.port,
        detail: decreased.join('; '),
      });
    }
    const grew = (['rx', 'tx'] as const).reduce(
      (n, dir) => n + (c[dir].drops['port-down'] ?? 0) - (p[dir].drops['port-down'] ?? 0),
      0,
    );
    if (grew > 0) {
      const from = prev.time - slackMs;
      const to = cur.time + slackMs;
      if (!windows.some((w) => w.port === p.port && windowOverlaps(w, from, to))) {
        out.push({
          time: cur.time,
          lifetime,
          check: 'port-down-unaccounted',
          port: p.port,
          detail: `${grew} port-down drops between ${new Date(prev.time).toISOString()} and ${new Date(cur.time).toISOString()} while the port was not taken down`,
        });
      }
    }
  }
  return out;
}

/** Sum of drops per cause over every port and direction. */
export function dropTotals(snap: CounterSnapshot): Record<DropCause, number> {
  const t = Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as Record<DropCause, number>;
  for (const p of snap.ports) {
    for (const c of DROP_CAUSES) t[c] += (p.rx.drops[c] ?? 0) + (p.tx.drops[c] ?? 0);
  }
  return t;
}

/** rx.frames + tx.frames of one port (what a capture of it records), 0 if absent. */
export function capturedFramesOf(snap: CounterSnapshot, port: string): number {
  const p = snap.ports.find((x) => x.port === port);
  return p ? p.rx.frames + p.tx.frames : 0;
}

/** Median of numbers (undefined when empty). */
export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** One RSS sample of an engine. */
export interface RssSample {
  /** ms since the soak started. */
  t: number;
  lifetime: number;
  kib: number;
}

/** RSS flatness of one engine lifetime. */
export interface RssFlatness {
  lifetime: number;
  samples: number;
  /** Span sampled, ms (first to last sample). */
  spanMs: number;
  warmupMs: number;
  windowMs: number;
  firstWindowMedianKiB?: number;
  lastWindowMedianKiB?: number;
  /** lastWindowMedian / firstWindowMedian. */
  ratio?: number;
  /** Least-squares slope after warm-up, KiB per minute. */
  slopeKiBPerMin?: number;
  flat: boolean;
  note?: string;
}

/**
 * Flatness of one lifetime's RSS: after a warm-up of min(5 min, 20 % of the span), the median of
 * the first window against the median of the last window, each min(10 min, a third of what
 * remains after warm-up) long. Flat when the ratio is within 1 +- tolerance.
 */
export function rssFlatness(
  samples: readonly RssSample[],
  lifetime: number,
  tolerance = 0.2,
): RssFlatness {
  const own = samples.filter((s) => s.lifetime === lifetime);
  const first = own[0];
  const last = own[own.length - 1];
  if (!first || !last || own.length < 6) {
    return {
      lifetime,
      samples: own.length,
      spanMs: first && last ? last.t - first.t : 0,
      warmupMs: 0,
      windowMs: 0,
      flat: false,
      note: 'too few samples',
    };
  }
  const span = last.t - first.t;
  const warmup = Math.min(5 * 60_000, span * 0.2);
  const window = Math.min(10 * 60_000, (span - warmup) / 3);
  const start = first.t + warmup;
  const early = own.filter((s) => s.t >= start && s.t <= start + window).map((s) => s.kib);
  const late = own.filter((s) => s.t >= last.t - window).map((s) => s.kib);
  const a = median(early);
  const b = median(late);
  const after = own.filter((s) => s.t >= start);
  let slope: number | undefined;
  if (after.length >= 2) {
    const mx = after.reduce((n, s) => n + s.t, 0) / after.length;
    const my = after.reduce((n, s) => n + s.kib, 0) / after.length;
    let num = 0;
    let den = 0;
    for (const s of after) {
      num += (s.t - mx) * (s.kib - my);
      den += (s.t - mx) ** 2;
    }
    slope = den > 0 ? (num / den) * 60_000 : 0;
  }
  const ratio = a !== undefined && b !== undefined && a > 0 ? b / a : undefined;
  return {
    lifetime,
    samples: own.length,
    spanMs: span,
    warmupMs: Math.round(warmup),
    windowMs: Math.round(window),
    ...(a !== undefined ? { firstWindowMedianKiB: a } : {}),
    ...(b !== undefined ? { lastWindowMedianKiB: b } : {}),
    ...(ratio !== undefined ? { ratio: Number(ratio.toFixed(3)) } : {}),
    ...(slope !== undefined ? { slopeKiBPerMin: Number(slope.toFixed(1)) } : {}),
    flat: ratio !== undefined && Math.abs(ratio - 1) <= tolerance,
  };
}

/** Counts of one ping run. */
export interface PingCounts {
  transmitted: number;
  received: number;
}

/** Reads iputils' or busybox's summary line ("10 packets transmitted, 9 received, ..."). */
export function parsePing(stdout: string): PingCounts | undefined {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(stdout);
  if (!m) return undefined;
  return { transmitted: Number(m[1]), received: Number(m[2]) };
}

/** What a pcapng file holds. */
export interface PcapngSummary {
  interfaces: number;
  linkTypes: number[];
  /** Enhanced packet blocks. */
  packets: number;
  /** Packets that are IPv4 or IPv6 ICMP echo requests or replies (Ethernet link type only). */
  icmpEcho: number;
  /** Set when the file is cut short or malformed. */
  error?: string;
}

/** Reads a pcapng file's blocks (little- or big-endian sections). */
export function summarizePcapng(buf: Buffer): PcapngSummary {
  const out: PcapngSummary = { interfaces: 0, linkTypes: [], packets: 0, icmpEcho: 0 };
  let off = 0;
  let le = true;
  const u32 = (at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const u16 = (at: number): number => (le ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  while (off < buf.length) {
    if (off + 12 > buf.length) {
      out.error = `${buf.length - off} bytes of a cut block at offset ${off}`;
      break;
    }
    const rawType = buf.readUInt32LE(off);
    if (rawType === 0x0a0d0d0a) {
      const magic = buf.readUInt32LE(off + 8);
      le = magic === 0x1a2b3c4d;
      if (!le && buf.readUInt32BE(off + 8) !== 0x1a2b3c4d) {
        out.error = `bad byte-order magic at offset ${off}`;
        break;
      }
    }
    const type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length) {
      out.error = `block of length ${len} at offset ${off} does not fit the file`;
      break;
    }
    if (u32(off + len - 4) !== len) {
      out.error = `block at offset ${off} has a mismatched trailing length`;
      break;
    }
    if (type === 0x00000001) {
      out.interfaces++;
      out.linkTypes.push(u16(off + 8));
    } else if (type === 0x00000006) {
      out.packets++;
      const iface = u32(off + 8);
      const caplen = u32(off + 20);
      const data = buf.subarray(off + 28, off + 28 + caplen);
      if (out.linkTypes[iface] === 1 && isIcmpEcho(data)) out.icmpEcho++;
    }
    off += len;
  }
  return out;
}

function isIcmpEcho(frame: Buffer): boolean {
  if (frame.length < 14) return false;
  const ethertype = frame.readUInt16BE(12);
  if (ethertype === 0x0800 && frame.length >= 14 + 20 + 1) {
    const ihl = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 1 || frame.length < 14 + ihl + 1) return false;
    const t = frame[14 + ihl]!;
    return t === 8 || t === 0;
  }
  if (ethertype === 0x86dd && frame.length >= 14 + 40 + 1) {
    if (frame[14 + 6] !== 58) return false;
    const t = frame[14 + 40]!;
    return t === 128 || t === 129;
  }
  return false;
}
