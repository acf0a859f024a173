// Captures on impaired ports show frames as the node sees them, and say what the fabric changed.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Capture,
  EthernetSwitch,
  ManualScheduler,
  MemoryPort,
} from '../../../src/engine/fabric/index.js';
import { parseImpairment, type Impairment } from '../../../src/shared/impairment.js';
import { ethernetFrame } from './helpers.js';

const run = promisify(execFile);
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nw-impair-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spec(text: string): Impairment {
  const r = parseImpairment(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

interface Packet {
  iface: number;
  tsUs: number;
  data: Buffer;
  direction: 'inbound' | 'outbound';
  comment: string | undefined;
}

/** Reads the Enhanced Packet Blocks of a little-endian pcapng stream. */
function packets(file: Buffer): Packet[] {
  const out: Packet[] = [];
  let at = 0;
  while (at < file.length) {
    const type = file.readUInt32LE(at);
    const length = file.readUInt32LE(at + 4);
    expect(file.readUInt32LE(at + length - 4)).toBe(length);
    if (type === 6) {
      const captured = file.readUInt32LE(at + 20);
      const data = file.subarray(at + 28, at + 28 + captured);
      let p = at + 28 + ((captured + 3) & ~3);
      let flags = 0;
      let comment: string | undefined;
      for (;;) {
        const code = file.readUInt16LE(p);
        const len = file.readUInt16LE(p + 2);
        if (code === 0) break;
        if (code === 2) flags = file.readUInt32LE(p + 4);
        if (code === 1) comment = file.toString('utf8', p + 4, p + 4 + len);
        p += 4 + ((len + 3) & ~3);
      }
      expect(p + 8).toBe(at + length);
      out.push({
        iface: file.readUInt32LE(at + 8),
        tsUs: file.readUInt32LE(at + 12) * 0x1_0000_0000 + file.readUInt32LE(at + 16),
        data: Buffer.from(data),
        direction: (flags & 3) === 1 ? 'inbound' : 'outbound',
        comment,
      });
    }
    at += length;
  }
  return out;
}

describe('captures on impaired ports', () => {
  it('record frames as each node sees them, with comments on what the fabric changed', async () => {
    const sched = new ManualScheduler();
    const got: Buffer[] = [];
    const h1 = new MemoryPort({ id: 'h1:eth0', linkType: 'ethernet' });
    const h2 = new MemoryPort({
      id: 'h2:eth0',
      linkType: 'ethernet',
      onTransmit: (frames) => {
        got.push(...frames);
      },
    });
    const sw = new EthernetSwitch({ name: 'sw' });
    sw.attach(h1);
    sw.attach(h2);
    // h1 -> switch: delayed and half lost; switch -> h2: every frame duplicated and corrupted.
    h1.setImpairment('rx', spec('delay=5ms loss=50% seed=1'), { scheduler: sched });
    h2.setImpairment('tx', spec('duplicate=100% corrupt=100% seed=2'), { scheduler: sched });
    const chunks: Buffer[] = [];
    const capture = new Capture([h1, h2], (c) => chunks.push(c), { nowUs: () => sched.now() });

    const sent = Array.from({ length: 20 }, (_, i) => {
      const f = ethernetFrame(B, A, 50, i);
      return f;
    });
    const pristine = sent.map((f) => Buffer.from(f));
    h1.inject(sent);
    sched.runAll();
    await capture.close();

    const all = packets(Buffer.concat(chunks));
    const atH1 = all.filter((p) => p.iface === 0);
    const atH2 = all.filter((p) => p.iface === 1);
    // h1 sent 20 frames: its capture shows all 20 as sent, at once, lost ones included.
    expect(atH1.map((p) => p.direction)).toEqual(Array<string>(20).fill('inbound'));
    expect(atH1.map((p) => p.data)).toEqual(pristine);
    expect(atH1.every((p) => p.tsUs === 0 && p.comment === undefined)).toBe(true);
    // h2 got each survivor twice, 5 ms later, each with one flipped bit, as its device did.
    const survivors = 20 - h1.rx.loss;
    expect(h1.rx.loss).toBeGreaterThan(0);
    expect(atH2).toHaveLength(2 * survivors);
    expect(atH2.every((p) => p.direction === 'outbound' && p.tsUs === 5_000)).toBe(true);
    expect(atH2.map((p) => p.data)).toEqual(got);
    for (const p of atH2) {
      expect(pristine.some((f) => f.equals(p.data))).toBe(false);
      expect(p.comment).toMatch(
        /netweave impairment on h2:eth0 tx: corrupted, bit \d of byte \d+ flipped$/,
      );
    }
    const duplicates = atH2.filter((p) =>
      p.comment?.startsWith('netweave impairment on h2:eth0 tx: duplicate; '),
    );
    expect(duplicates).toHaveLength(survivors);
    expect(h2.extraCount('duplicated')).toBe(survivors);
    expect(h2.extraCount('corrupted')).toBe(2 * survivors);

    // tshark reads the comments back.
    const file = join(dir, 'impaired.pcapng');
    await writeFile(file, Buffer.concat(chunks));
    const { stdout } = await run(
      '/usr/bin/tshark',
      ['-r', file, '-Y', 'frame.comment', '-T', 'fields', '-e', 'frame.comment'],
      { timeout: 60_000 },
    );
    const comments = stdout.split('\n').filter((l) => l.length > 0);
    expect(comments).toHaveLength(2 * survivors);
    expect(comments.every((c) => c.includes('corrupted, bit'))).toBe(true);

    sw.dispose();
    h1.dispose();
    h2.dispose();
  });
});
