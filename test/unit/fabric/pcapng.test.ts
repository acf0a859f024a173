import { execFile } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Capture,
  EthernetSwitch,
  PCAPNG_BYTE_ORDER_MAGIC,
  PcapngWriter,
  encodeInterfaceDescription,
  encodeSectionHeader,
  enhancedPacketSize,
  writeEnhancedPacket,
} from '../../../src/engine/fabric/index.js';
import { BROADCAST, RecordingPort, ethernetFrame } from './helpers.js';

const run = promisify(execFile);
const TSHARK = '/usr/bin/tshark';
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nw-pcapng-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs tshark on a file and returns one array of fields per packet. */
async function tsharkFields(file: string, fields: string[], filter?: string): Promise<string[][]> {
  const argv = ['-r', file, '-T', 'fields', '-E', 'separator=|'];
  if (filter !== undefined) argv.push('-Y', filter);
  for (const f of fields) argv.push('-e', f);
  const { stdout } = await run(TSHARK, argv, { timeout: 60_000 });
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('|'));
}

describe('pcapng block layout', () => {
  it('encodes a Section Header Block by the spec', () => {
    const shb = encodeSectionHeader('nw');
    // type, length, magic, 1.0, section length -1, shb_userappl "nw" padded, endofopt, length
    expect(shb.toString('hex')).toBe(
      [
        '0a0d0d0a',
        '28000000', // 40 bytes
        '4d3c2b1a',
        '0100',
        '0000',
        'ffffffffffffffff',
        '0400' + '0200' + '6e770000',
        '00000000',
        '28000000',
      ].join(''),
    );
    expect(shb.readUInt32LE(8)).toBe(PCAPNG_BYTE_ORDER_MAGIC);
  });

  it('encodes an Interface Description Block with if_name and if_tsresol', () => {
    const idb = encodeInterfaceDescription({
      name: 'h1:eth0',
      linkType: 'ethernet',
      snaplen: 65535,
    });
    expect(idb.length % 4).toBe(0);
    expect(idb.toString('hex')).toBe(
      [
        '01000000',
        '2c000000', // 44 bytes
        '0100', // LINKTYPE_ETHERNET
        '0000',
        'ffff0000', // snaplen 65535
        '0200' + '0700' + Buffer.from('h1:eth0').toString('hex') + '00', // if_name, padded to 8
        '0900' + '0100' + '06000000', // if_tsresol = 6 (microseconds), padded
        '00000000', // opt_endofopt
        '2c000000',
      ].join(''),
    );
    const radio = encodeInterfaceDescription({ name: 'r', linkType: 'ieee802154' });
    expect(radio.readUInt16LE(8)).toBe(230);
    expect(encodeInterfaceDescription({ name: 'z', linkType: 'raw-ip' }).readUInt16LE(8)).toBe(101);
  });

  it('encodes an Enhanced Packet Block with timestamp, padding and epb_flags direction', () => {
    const frame = Buffer.from([1, 2, 3, 4, 5]);
    const size = enhancedPacketSize(frame.length);
    expect(size).toBe(28 + 8 + 16);
    const buf = Buffer.alloc(size, 0xee);
    const ts = 0x1_2345_6789; // µs
    const end = writeEnhancedPacket(buf, 0, 3, frame, frame.length, ts, 'outbound');
    expect(end).toBe(size);
    expect(buf.toString('hex')).toBe(
      [
        '06000000',
        '34000000', // 52 bytes
        '03000000', // interface 3
        '01000000', // timestamp high
        '89674523', // timestamp low
        '05000000', // captured
        '05000000', // original
        '0102030405000000', // data, zero padded to 32 bits
        '0200' + '0400' + '02000000', // epb_flags: outbound
        '00000000',
        '34000000',
      ].join(''),
    );
  });
});

describe('pcapng files read by tshark', () => {
  it('writes lengths, interface names and directions that tshark reads back', async () => {
    const file = join(dir, 'writer.pcapng');
    const writer = new PcapngWriter(createWriteStream(file));
    const eth = writer.addInterface({ name: 'h1:eth0', linkType: 'ethernet' });
    const other = writer.addInterface({ name: 'h2:eth0', linkType: 'ethernet' });
    const frames = [ethernetFrame(BROADCAST, A, 46), ethernetFrame(B, A, 87)];
    writer.writePackets(eth, frames, 2, Date.now() * 1000, 'inbound');
    writer.writePackets(other, frames, 1, Date.now() * 1000, 'outbound');
    await writer.end();
    const rows = await tsharkFields(file, [
      'frame.len',
      'frame.interface_name',
      'frame.packet_flags_direction',
      'eth.src',
    ]);
    expect(rows).toEqual([
      ['60', 'h1:eth0', '0x00000001', A],
      ['101', 'h1:eth0', '0x00000001', A],
      ['60', 'h2:eth0', '0x00000002', A],
    ]);
  });

  it('captures a port in both directions exactly once each, through a live switch', async () => {
    const file = join(dir, 'capture.pcapng');
    const sw = new EthernetSwitch({ name: 'sw1' });
    const h1 = new RecordingPort('h1:eth0');
    const h2 = new RecordingPort('h2:eth0');
    sw.attach(h1);
    sw.attach(h2);
    const cap = new Capture([h1], createWriteStream(file));
    h1.inject([ethernetFrame(BROADCAST, A, 46)]); // h1 rx: inbound
    h2.inject([ethernetFrame(A, B, 50), ethernetFrame(A, B, 51)]); // h1 tx: outbound
    expect(cap.frames()).toBe(3);
    await cap.close();
    h1.inject([ethernetFrame(BROADCAST, A)]); // after the capture stopped: not recorded
    sw.dispose();
    h1.dispose();
    h2.dispose();
    const rows = await tsharkFields(file, [
      'frame.len',
      'frame.interface_name',
      'frame.packet_flags_direction',
    ]);
    expect(rows).toEqual([
      ['60', 'h1:eth0', '0x00000001'],
      ['64', 'h1:eth0', '0x00000002'],
      ['65', 'h1:eth0', '0x00000002'],
    ]);
  });

  it('streams chunks to a callback that concatenate to a valid file', async () => {
    const chunks: Buffer[] = [];
    const a = new RecordingPort('h1:eth0');
    const b = new RecordingPort('r1:wpan0', { linkType: 'ieee802154' });
    const cap = new Capture([a, b], (chunk) => chunks.push(chunk), { snaplen: 32 });
    a.inject([ethernetFrame(BROADCAST, A, 100)]);
    b.inject([Buffer.from('41c80000ffffffff', 'hex')]);
    cap.dispose();
    a.dispose();
    b.dispose();
    // SHB + two IDBs + one chunk per batch
    expect(chunks).toHaveLength(5);
    const file = join(dir, 'chunks.pcapng');
    const out = createWriteStream(file);
    for (const c of chunks) out.write(c);
    await new Promise<void>((resolve) => out.end(resolve));
    const rows = await tsharkFields(file, ['frame.len', 'frame.cap_len', 'frame.interface_name']);
    expect(rows).toEqual([
      ['114', '32', 'h1:eth0'],
      ['8', '8', 'r1:wpan0'],
    ]);
    const bytes = await readFile(file);
    expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it('records nothing and leaves the file well formed when no frame crosses', async () => {
    const file = join(dir, 'empty.pcapng');
    const a = new RecordingPort('h1:eth0');
    const cap = new Capture([a], createWriteStream(file));
    await cap.close();
    a.dispose();
    expect(existsSync(file)).toBe(true);
    expect(await tsharkFields(file, ['frame.len'])).toEqual([]);
  });
});
