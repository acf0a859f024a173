// Super-frames (TSO/USO frames from a TAP with offloads): the addon's software segmentation
// against checksums computed independently here, and how ports count, pass and cut them.
import { describe, expect, it } from 'vitest';
import {
  Capture,
  EthernetSwitch,
  ManualScheduler,
  MemoryPort,
  markSuperFrame,
  segmentSuperFrame,
  superFrameHeader,
} from '../../../src/engine/fabric/index.js';
import {
  internetChecksum,
  ipBytes,
  parseIpFrame,
} from '../../../src/engine/services/builtin/packets.js';
import { RecordingPort } from './helpers.js';

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
/** TCP flag bits. */
const TCP = { FIN: 0x01, PSH: 0x08, ACK: 0x10, CWR: 0x80 } as const;

interface SuperFrameSpec {
  family: 4 | 6;
  protocol: 'tcp' | 'udp';
  payload: Buffer;
  mss: number;
  tcpFlags?: number;
  ecn?: boolean;
}

function mac(text: string): Buffer {
  return Buffer.from(text.replaceAll(':', ''), 'hex');
}

/** The 10-byte virtio-net header (little-endian fields). */
function vnetHeader(
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOffset: number,
): Buffer {
  const h = Buffer.alloc(10);
  h[0] = 1; // NEEDS_CSUM
  h[1] = gsoType;
  h.writeUInt16LE(hdrLen, 2);
  h.writeUInt16LE(gsoSize, 4);
  h.writeUInt16LE(csumStart, 6);
  h.writeUInt16LE(csumOffset, 8);
  return h;
}

/** A super-frame as a stack with TSO/USO hands it to a TAP: one big segment, partial checksum. */
function superFrame(spec: SuperFrameSpec): { frame: Buffer; header: Buffer } {
  const v6 = spec.family === 6;
  const l3 = 14;
  const ipLen = v6 ? 40 : 20;
  const l4 = l3 + ipLen;
  const l4Header = spec.protocol === 'tcp' ? 32 : 8; // TCP with 12 bytes of options
  const frame = Buffer.alloc(l4 + l4Header + spec.payload.length);
  mac(MAC_B).copy(frame, 0);
  mac(MAC_A).copy(frame, 6);
  frame.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  const proto = spec.protocol === 'tcp' ? 6 : 17;
  if (v6) {
    frame[l3] = 0x60;
    frame.writeUInt16BE(frame.length - l3 - 40, l3 + 4);
    frame[l3 + 6] = proto;
    frame[l3 + 7] = 64;
    ipBytes('2001:db8::1').copy(frame, l3 + 8);
    ipBytes('2001:db8::2').copy(frame, l3 + 24);
  } else {
    frame[l3] = 0x45;
    frame.writeUInt16BE(frame.length - l3, l3 + 2);
    frame.writeUInt16BE(0x1234, l3 + 4);
    frame.writeUInt16BE(0x4000, l3 + 6); // DF
    frame[l3 + 8] = 64;
    frame[l3 + 9] = proto;
    ipBytes('192.0.2.1').copy(frame, l3 + 12);
    ipBytes('192.0.2.2').copy(frame, l3 + 16);
    frame.writeUInt16BE(internetChecksum(frame.subarray(l3, l4)), l3 + 10);
  }
  frame.writeUInt16BE(40000, l4);
  frame.writeUInt16BE(5001, l4 + 2);
  if (spec.protocol === 'tcp') {
    frame.writeUInt32BE(0xfffff000, l4 + 4); // the sequence number wraps inside the frame
    frame.writeUInt32BE(77, l4 + 8);
    frame[l4 + 12] = (l4Header / 4) << 4;
    frame[l4 + 13] = spec.tcpFlags ?? TCP.ACK | TCP.PSH;
    frame.writeUInt16BE(0xffff, l4 + 14);
    frame.fill(0x01, l4 + 20, l4 + l4Header); // NOP options
  } else {
    frame.writeUInt16BE(frame.length - l4, l4 + 4);
  }
  // Whatever partial sum the stack left there: segmentation recomputes it.
  frame.writeUInt16BE(0xbeef, l4 + (spec.protocol === 'tcp' ? 16 : 6));
  spec.payload.copy(frame, l4 + l4Header);
  const gsoType = spec.protocol === 'udp' ? 5 : (v6 ? 4 : 1) | (spec.ecn === true ? 0x80 : 0);
  const header = vnetHeader(gsoType, l4 + l4Header, spec.mss, l4, spec.protocol === 'tcp' ? 16 : 6);
  return { frame, header };
}

function pattern(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Checks every header field segmentation sets, and returns the segments' payload. */
function checkSegments(spec: SuperFrameSpec, segments: readonly Buffer[]): Buffer {
  const expected = Math.ceil(spec.payload.length / spec.mss);
  expect(segments).toHaveLength(expected);
  const parts: Buffer[] = [];
  segments.forEach((seg, i) => {
    const parsed = parseIpFrame(seg);
    if (parsed === undefined) throw new Error(`segment ${i} does not parse as IP`);
    const { ip } = parsed;
    expect(ip.family).toBe(spec.family);
    // parseIpv4 checked the header checksum and the total length.
    if (spec.family === 4) expect(seg.readUInt16BE(18)).toBe((0x1234 + i) & 0xffff);
    const l4 = ip.payload;
    const pseudo = Buffer.alloc(spec.family === 4 ? 12 : 40);
    if (spec.family === 4) {
      ip.src.copy(pseudo, 0);
      ip.dst.copy(pseudo, 4);
      pseudo[9] = ip.protocol;
      pseudo.writeUInt16BE(l4.length, 10);
    } else {
      ip.src.copy(pseudo, 0);
      ip.dst.copy(pseudo, 16);
      pseudo.writeUInt32BE(l4.length, 32);
      pseudo[39] = ip.protocol;
    }
    expect(internetChecksum(pseudo, l4), `checksum of segment ${i}`).toBe(0);
    const last = i === expected - 1;
    if (spec.protocol === 'tcp') {
      expect(l4.readUInt32BE(4)).toBe((0xfffff000 + i * spec.mss) >>> 0);
      const flags = l4[13] ?? 0;
      const given = spec.tcpFlags ?? TCP.ACK | TCP.PSH;
      const want = given & ~(last ? 0 : TCP.FIN | TCP.PSH) & ~(i > 0 ? TCP.CWR : 0);
      expect(flags).toBe(want);
      parts.push(l4.subarray(32));
    } else {
      expect(l4.readUInt16BE(4)).toBe(l4.length);
      parts.push(l4.subarray(8));
    }
    expect(l4.length - (spec.protocol === 'tcp' ? 32 : 8)).toBe(
      last ? spec.payload.length - i * spec.mss : spec.mss,
    );
  });
  return Buffer.concat(parts);
}

describe('software segmentation of super-frames', () => {
  const cases: SuperFrameSpec[] = [
    {
      family: 4,
      protocol: 'tcp',
      payload: pattern(65_000),
      mss: 1448,
      tcpFlags: TCP.ACK | TCP.PSH | TCP.FIN,
    },
    {
      family: 6,
      protocol: 'tcp',
      payload: pattern(20_001),
      mss: 1428,
      tcpFlags: TCP.ACK | TCP.CWR,
      ecn: true,
    },
    { family: 4, protocol: 'udp', payload: pattern(3_001), mss: 1000 },
    { family: 6, protocol: 'udp', payload: pattern(4_000), mss: 1000 },
  ];
  for (const spec of cases) {
    it(`cuts an IPv${spec.family} ${spec.protocol.toUpperCase()} super-frame into wire frames with right checksums`, () => {
      const { frame, header } = superFrame(spec);
      const segments = segmentSuperFrame(frame, header);
      expect(segments).not.toBeNull();
      expect(checkSegments(spec, segments ?? []).equals(spec.payload)).toBe(true);
    });
  }

  it('writes a TCP checksum that sums to zero as 0 and a UDP one as 0xffff (RFC 768)', () => {
    for (const protocol of ['tcp', 'udp'] as const) {
      const spec: SuperFrameSpec = { family: 4, protocol, payload: pattern(3000), mss: 1000 };
      const first = superFrame(spec);
      const l4 = 14 + 20;
      const field = l4 + (protocol === 'tcp' ? 16 : 6);
      const payloadAt = l4 + (protocol === 'tcp' ? 32 : 8);
      const c = segmentSuperFrame(first.frame, first.header)?.[0]?.readUInt16BE(field) ?? 0;
      // Adding the checksum to a word of the data (one's complement) makes the sum all ones.
      let w = spec.payload.readUInt16BE(0) + c;
      w = (w & 0xffff) + (w >>> 16);
      spec.payload.writeUInt16BE(w, 0);
      const { frame, header } = superFrame(spec);
      expect(frame.readUInt16BE(payloadAt)).toBe(w);
      const segments = segmentSuperFrame(frame, header) ?? [];
      expect(segments[0]?.readUInt16BE(field)).toBe(protocol === 'tcp' ? 0 : 0xffff);
      checkSegments(spec, segments);
    }
  });

  it('refuses a GSO type it cannot cut (UFO) and a header that does not fit the frame', () => {
    const { frame, header } = superFrame({
      family: 4,
      protocol: 'udp',
      payload: pattern(3000),
      mss: 1000,
    });
    const ufo = Buffer.from(header);
    ufo[1] = 3;
    expect(segmentSuperFrame(frame, ufo)).toBeNull();
    const past = Buffer.from(header);
    past.writeUInt16LE(frame.length + 2, 6);
    expect(segmentSuperFrame(frame, past)).toBeNull();
    expect(() => segmentSuperFrame(frame, Buffer.alloc(4))).toThrow(/10 bytes/);
  });
});

/** A port whose device takes super-frames whole, as a TAP with offloads does. */
class OffloadPort extends RecordingPort {
  constructor(id: string) {
    super(id);
    this.takesSuperFrames = true;
  }
}

describe('super-frames through ports', () => {
  const spec: SuperFrameSpec = { family: 4, protocol: 'tcp', payload: pattern(10_000), mss: 1448 };

  function lab(b: RecordingPort): { a: MemoryPort; sw: EthernetSwitch; frame: Buffer } {
    const a = new MemoryPort({ id: 'a:eth0', linkType: 'ethernet' });
    const sw = new EthernetSwitch({ name: 'sw' });
    sw.attach(a);
    sw.attach(b);
    // b's address learned, so the super-frame is switched to b alone.
    b.inject([
      Buffer.concat([mac(MAC_B), mac(MAC_A), Buffer.from([0x88, 0xb5]), Buffer.alloc(46)]),
    ]);
    const { frame, header } = superFrame(spec);
    markSuperFrame(frame, header);
    return { a, sw, frame };
  }

  it('counts a super-frame once as it came, and a port without offloads gets its wire frames', () => {
    const b = new RecordingPort('b:eth0');
    const { a, frame } = lab(b);
    a.inject([frame]);
    expect(a.rx).toMatchObject({ frames: 1, bytes: frame.length, tooBig: 0 });
    expect(b.tx).toMatchObject({ frames: 7, tooBig: 0 });
    checkSegments(spec, b.delivered);
  });

  it('passes a super-frame whole to a port that takes them, and cuts it for an impairment there', () => {
    const whole = new OffloadPort('b:eth0');
    const { a, frame } = lab(whole);
    a.inject([frame]);
    expect(whole.delivered).toEqual([frame]);
    expect(whole.tx).toMatchObject({ frames: 1, bytes: frame.length });
    expect(superFrameHeader(whole.delivered[0] as Buffer)).toBeDefined();

    const sched = new ManualScheduler();
    const impaired = new OffloadPort('c:eth0');
    const second = lab(impaired);
    impaired.setImpairment('tx', { delayUs: 1000 }, { scheduler: sched });
    second.a.inject([second.frame]);
    sched.advance(5000);
    checkSegments(spec, impaired.delivered);
  });

  it('drops a long frame that is not a super-frame as too big', () => {
    const b = new RecordingPort('b:eth0');
    const { a } = lab(b);
    a.inject([Buffer.alloc(4000)]);
    expect(a.rx.tooBig).toBe(1);
  });
});

describe('captures of super-frames', () => {
  const spec: SuperFrameSpec = { family: 6, protocol: 'tcp', payload: pattern(5000), mss: 1000 };

  /** Packet lengths of the enhanced packet blocks in pcapng chunks. */
  function packetLengths(chunks: readonly Buffer[]): number[] {
    const all = Buffer.concat(chunks);
    const lengths: number[] = [];
    for (let at = 0; at + 12 <= all.length; at += all.readUInt32LE(at + 4)) {
      if (all.readUInt32LE(at) === 6) lengths.push(all.readUInt32LE(at + 24));
    }
    return lengths;
  }

  it('records a super-frame as the node sent it, or as its wire frames when asked', () => {
    for (const wireFrames of [false, true]) {
      const chunks: Buffer[] = [];
      const port = new RecordingPort('h1:eth0');
      const cap = new Capture([port], (c) => chunks.push(c), { wireFrames });
      const { frame, header } = superFrame(spec);
      markSuperFrame(frame, header);
      port.inject([frame]);
      cap.dispose();
      expect(cap.frames()).toBe(wireFrames ? 5 : 1);
      expect(packetLengths(chunks)).toEqual(
        wireFrames ? [1086, 1086, 1086, 1086, 1086] : [frame.length],
      );
    }
  });

  it('leaves packets out, and counts them, while its reader is too far behind', () => {
    let backlog = 0;
    const port = new RecordingPort('h1:eth0');
    const cap = new Capture([port], () => undefined, {
      maxBufferedBytes: 1000,
      backlog: () => backlog,
    });
    port.inject([Buffer.alloc(60)]);
    backlog = 5000;
    port.inject([Buffer.alloc(60), Buffer.alloc(60)]);
    backlog = 0;
    port.inject([Buffer.alloc(60)]);
    cap.dispose();
    expect({ frames: cap.frames(), dropped: cap.dropped() }).toEqual({ frames: 2, dropped: 2 });
  });
});

/** A device that refuses frame 2 of every batch as a TAP refuses a frame with EIO. */
class RefusingPort extends RecordingPort {
  private refused: 'queue-full' | 'device-error' = 'queue-full';
  readonly offered: number[] = [];

  constructor(
    id: string,
    private readonly cause: 'queue-full' | 'device-error',
  ) {
    super(id);
  }

  protected override transmit(frames: readonly Buffer[]): number {
    this.offered.push(frames.length);
    const stopAt = frames.findIndex((f) => f[0] === 2);
    this.refused = this.cause;
    return super.transmit(stopAt < 0 ? frames : frames.slice(0, stopAt));
  }

  protected override refusal(): 'queue-full' | 'device-error' {
    return this.refused;
  }
}

describe('frames a device refuses', () => {
  function batch(): Buffer[] {
    return [0, 1, 2, 3, 4].map((i) => Buffer.alloc(60, i));
  }

  it('counts a refused frame as a device error, writes the ones after it and captures only what was written', () => {
    const port = new RefusingPort('p:eth0', 'device-error');
    const seen: number[] = [];
    port.observe({
      onFrames: (_p, dir, frames, count) => {
        if (dir === 'tx') for (let i = 0; i < count; i++) seen.push(frames[i]?.[0] ?? -1);
      },
    });
    port.send(batch());
    expect(port.tx).toMatchObject({ frames: 4, deviceError: 1, queueFull: 0 });
    expect(port.tx.snapshot().drops['device-error']).toBe(1);
    expect(seen).toEqual([0, 1, 3, 4]);
    expect(port.delivered.map((f) => f[0])).toEqual([0, 1, 3, 4]);
    expect(port.offered).toEqual([5, 2]);
  });

  it('drops the rest of the batch as queue-full when the queue is full', () => {
    const port = new RefusingPort('p:eth0', 'queue-full');
    port.send(batch());
    expect(port.tx).toMatchObject({ frames: 2, deviceError: 0, queueFull: 3 });
  });
});
