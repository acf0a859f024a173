// The radio-154 medium end to end: the real CLI and engine, three qemu nodes run by the QEMU
// stand-in (which relays each serial chardev to a socket this test listens on), uart-pipe-154
// links, the medium, counters and capture. The test plays three Zephyr UART pipe radios: it
// writes 802.15.4 data frames as 0xF0, length, frame, and decodes what each radio hears.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeUartPipeFrames,
  UartPipeDecoder,
} from '../../src/kinds/links/uart-pipe-154/engine/codec.js';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import {
  CliEnv,
  IS_ROOT,
  leftovers,
  ROOT,
  until,
  tshark,
  portCounters as port,
} from '../helpers/cli.js';

const STANDIN = join(ROOT, 'test', 'fixtures', 'qemu-standin', 'qemu-standin.py');
/** Frames over the relay take milliseconds; a loaded 2-core box may need seconds. */
const SETTLE_MS = 30_000;
/** The PAN of the test radios (Zephyr's samples use 0xabcd). */
const PAN = 0xabcd;

/**
 * An 802.15.4-2006 data frame without FCS: frame control (data, PAN ID compression, short
 * destination and source addresses), sequence number, destination PAN, destination and
 * source short addresses (all little-endian), then the payload.
 */
function dataFrame(seq: number, src: number, dst: number, payload: string): Buffer {
  const header = Buffer.alloc(9);
  const fc = 0x0001 | (1 << 6) | (2 << 10) | (1 << 12) | (2 << 14);
  header.writeUInt16LE(fc, 0);
  header.writeUInt8(seq & 0xff, 2);
  header.writeUInt16LE(PAN, 3);
  header.writeUInt16LE(dst, 5);
  header.writeUInt16LE(src, 7);
  // A first payload byte 0x00 is 6LoWPAN's "not a LoWPAN frame": dissectors show plain data.
  return Buffer.concat([header, Buffer.from([0]), Buffer.from(payload)]);
}

/** A test radio: listens where the stand-in relays a serial port, speaks the UART pipe. */
class RadioPeer {
  readonly heard: Buffer[] = [];
  private readonly server: Server;
  private socket: Socket | undefined;
  private readonly decoder = new UartPipeDecoder(() => undefined);

  private constructor(readonly path: string) {
    rmSync(path, { force: true });
    this.server = createServer((s) => {
      this.socket = s;
      s.on('data', (chunk: Buffer) => this.heard.push(...this.decoder.push(chunk)));
      s.on('error', () => undefined);
    });
  }

  static async listen(path: string): Promise<RadioPeer> {
    const peer = new RadioPeer(path);
    await new Promise<void>((res, rej) => {
      peer.server.once('error', rej);
      peer.server.listen(path, () => res());
    });
    return peer;
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  send(frames: readonly Buffer[]): void {
    this.socket?.write(encodeUartPipeFrames(frames));
  }

  writeRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  async dispose(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
    rmSync(this.path, { force: true });
  }
}

/** The member counters the issue names: sent, delivered, lost in the medium, malformed. */
function member(
  snap: CounterSnapshot,
  node: string,
): { sent: number; delivered: number; lost: number; malformed: number } {
  const p = port(snap, `${node}:serial1`);
  return {
    sent: p.rx.frames,
    delivered: p.tx.frames,
    lost: p.extra?.['lost'] ?? 0,
    malformed: p.extra?.['malformed'] ?? 0,
  };
}

/** One lab with three radios z1..z3 on medium "air"; the peers listen before `up`. */
class RadioLab {
  readonly peers: RadioPeer[] = [];
  readonly file: string;

  constructor(
    readonly env: CliEnv,
    readonly name: string,
    private readonly peerDir: string,
    air: string,
    layout?: Record<string, { x: number; y: number }>,
  ) {
    const dir = join(env.runtime, '..', 'files', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'zephyr.elf'), 'not a real zephyr.elf: the stand-in never reads it');
    this.file = join(dir, 'lab.yaml');
    const z = (n: string): string =>
      `  ${n}: {kind: qemu, board: qemu_x86, binary: ${STANDIN}, kernel: ./zephyr.elf}\n`;
    writeFileSync(
      this.file,
      `name: ${name}
nodes:
${z('z1')}${z('z2')}${z('z3')}  air:
    kind: radio-154
${air}
links:
  - {kind: uart-pipe-154, endpoints: [z1:serial1, air]}
  - {kind: uart-pipe-154, endpoints: [z2:serial1, air]}
  - {kind: uart-pipe-154, endpoints: [z3:serial1, air]}
`,
    );
    if (layout) {
      writeFileSync(`${this.file}.layout.json`, JSON.stringify({ version: 1, nodes: layout }));
    }
  }

  async up(): Promise<[RadioPeer, RadioPeer, RadioPeer]> {
    for (const n of ['z1', 'z2', 'z3']) {
      this.peers.push(await RadioPeer.listen(join(this.peerDir, `${n}-serial1.sock`)));
    }
    const up = await this.env.run(['up', this.file, '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(await until(() => this.peers.every((p) => p.connected), SETTLE_MS)).toBe(true);
    return this.peers as [RadioPeer, RadioPeer, RadioPeer];
  }

  async stats(): Promise<CounterSnapshot> {
    const r = await this.env.run(['stats', '--lab', this.name, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as CounterSnapshot;
  }

  /** Captures `target` to a pcapng while `during` runs; returns the file. */
  async capture(target: string, during: () => Promise<void>): Promise<string> {
    const out = join(this.env.runtime, '..', `${this.name}-${target.replace(/\W/g, '_')}.pcapng`);
    const cap = this.env.spawn(['capture', target, '--lab', this.name, '-w', out]);
    let err = '';
    cap.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    expect(await until(() => err.includes('capturing'))).toBe(true);
    await during();
    cap.kill('SIGINT');
    await new Promise((r) => cap.once('exit', r));
    expect(err).toMatch(/frames written/);
    return out;
  }

  async down(): Promise<void> {
    const down = await this.env.run(['down', this.name]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(this.env, this.name)).toEqual([]);
    for (const p of this.peers.splice(0)) await p.dispose();
  }

  async dispose(): Promise<void> {
    await this.env.run(['down', this.name]);
    for (const p of this.peers.splice(0)) await p.dispose();
  }
}

describe.skipIf(!IS_ROOT)('radio-154 medium (QEMU stand-in, the test plays the radios)', () => {
  const peerDir = mkdtempSync(join(tmpdir(), 'nwradio-'));
  const env = new CliEnv({ NETWEAVE_STANDIN_PEER_DIR: peerDir });
  const labs: RadioLab[] = [];

  afterAll(async () => {
    for (const lab of labs) await lab.dispose();
    rmSync(peerDir, { recursive: true, force: true });
    env.dispose();
  });

  it('delivers by the matrix: 1 always, 0 never, 0.5 about half, with lost and malformed counters and a capture tshark reads as 802.15.4', async () => {
    const lab = new RadioLab(
      env,
      'radio-matrix',
      peerDir,
      `    delivery: matrix
    seed: 42
    matrix:
      z1: {z2: 1, z3: 0}
      z2: {z1: 1, z3: 0.5}
      z3: {z1: 1}`,
    );
    labs.push(lab);
    const [z1, z2, z3] = await lab.up();

    const status = JSON.parse((await env.run(['status', lab.name, '--json'])).stdout) as LabStatus;
    expect(status.nodes.find((n) => n.name === 'air')).toMatchObject({
      kind: 'radio-154',
      state: 'ready',
    });
    expect(status.links.find((l) => l.id === 'z1:serial1--air')).toMatchObject({
      kind: 'uart-pipe-154',
      linkType: 'ieee802154',
      ports: ['z1:serial1'],
    });

    const fromZ1 = Array.from({ length: 20 }, (_, i) => dataFrame(i, 0x0001, 0xffff, `z1-${i}`));
    const fromZ2 = Array.from({ length: 200 }, (_, i) => dataFrame(i, 0x0002, 0xffff, `z2-${i}`));
    const fromZ3 = Array.from({ length: 10 }, (_, i) => dataFrame(i, 0x0003, 0x0001, `z3-${i}`));
    // The medium's bare name captures its monitor port: every frame on the air once.
    const pcap = await lab.capture('air', async () => {
      z1.send(fromZ1);
      expect(await until(() => z2.heard.length === 20, SETTLE_MS)).toBe(true);
      z2.send(fromZ2);
      expect(await until(() => z1.heard.length === 200, SETTLE_MS)).toBe(true);
      z3.send(fromZ3);
      expect(await until(() => z1.heard.length === 210, SETTLE_MS)).toBe(true);
    });

    // Probability 1: every frame, unchanged and in order.
    expect(z2.heard).toEqual(fromZ1);
    expect(z1.heard).toEqual([...fromZ2, ...fromZ3]);
    const snap = await lab.stats();
    const m3 = member(snap, 'z3');
    // Probability 0.5 over 200 frames: well inside 5 sigma (about 35) of 100.
    expect(Math.abs(z3.heard.length - 100)).toBeLessThan(36);
    expect(z3.heard.every((f) => fromZ2.some((g) => g.equals(f)))).toBe(true);
    // Probability 0 (z1 -> z3) and unlisted pairs (z3 -> z2): never, and counted as lost.
    expect(member(snap, 'z1')).toEqual({ sent: 20, delivered: 210, lost: 0, malformed: 0 });
    expect(member(snap, 'z2')).toEqual({ sent: 200, delivered: 20, lost: 10, malformed: 0 });
    expect(m3).toEqual({
      sent: 10,
      delivered: z3.heard.length,
      lost: 20 + 200 - z3.heard.length,
      malformed: 0,
    });
    // The monitor heard every frame on the air once.
    expect(port(snap, 'air:monitor').rx.frames).toBe(230);

    // tshark reads the capture as IEEE 802.15.4 without FCS (LINKTYPE 230): 230 data frames.
    const encap = await tshark(['-r', pcap, '-c', '1', '-T', 'fields', '-e', 'frame.encap_type']);
    const fields = await tshark([
      '-r',
      pcap,
      '-T',
      'fields',
      '-E',
      'separator=,',
      '-e',
      'wpan.frame_type',
      '-e',
      'wpan.dst_pan',
      '-e',
      'wpan.src16',
      '-e',
      'frame.protocols',
    ]);
    const rows = fields.trim().split('\n');
    expect(rows).toHaveLength(230);
    expect(encap.trim()).toBe('127'); // IEEE 802.15.4 Wireless PAN with FCS not present
    const malformed = await tshark([
      '-r',
      pcap,
      '-Y',
      '_ws.malformed',
      '-T',
      'fields',
      '-e',
      'frame.number',
    ]);
    expect(malformed.trim()).toBe('');
    expect(rows[0]).toBe('0x0001,0xabcd,0x0001,wpan:data');
    expect(rows[229]).toBe('0x0001,0xabcd,0x0003,wpan:data');

    // Bytes outside frames from z1's radio are thrown away and counted once; the next frame is fine.
    z1.writeRaw(Buffer.from('boot noise\r\n'));
    z1.send([dataFrame(99, 0x0001, 0xffff, 'after-noise')]);
    expect(await until(() => z2.heard.length === 21, SETTLE_MS)).toBe(true);
    expect(z2.heard[20]).toEqual(dataFrame(99, 0x0001, 0xffff, 'after-noise'));
    expect(member(await lab.stats(), 'z1').malformed).toBe(1);

    // The seed and the pairs are in the medium's log.
    const log = await env.run(['status', lab.name, '--json']);
    const logDir = (JSON.parse(log.stdout) as LabStatus).logDir;
    expect(readFileSync(join(logDir, 'air.log'), 'utf8')).toMatch(
      /radio-154 air: delivery matrix, seed 42\n {2}z1 -> z2 1, z3 0\n/,
    );

    await lab.down();
  });

  it('delivers by range between positions on the canvas, and refuses a member without one', async () => {
    const lab = new RadioLab(env, 'radio-range', peerDir, '    delivery: range\n    range: 150', {
      z1: { x: 0, y: 0 },
      z2: { x: 100, y: 0 },
      z3: { x: 400, y: 0 },
      air: { x: 200, y: 200 },
    });
    labs.push(lab);
    const [z1, z2, z3] = await lab.up();

    const a = [dataFrame(1, 1, 0xffff, 'a1'), dataFrame(2, 1, 0xffff, 'a2')];
    const b = [dataFrame(1, 2, 0xffff, 'b1')];
    const c = [dataFrame(1, 3, 0xffff, 'c1'), dataFrame(2, 3, 0xffff, 'c2')];
    z1.send(a);
    expect(await until(() => z2.heard.length === 2, SETTLE_MS)).toBe(true);
    z2.send(b);
    expect(await until(() => z1.heard.length === 1, SETTLE_MS)).toBe(true);
    z3.send(c);
    expect(await until(async () => member(await lab.stats(), 'z3').sent === 2, SETTLE_MS)).toBe(
      true,
    );
    const snap = await lab.stats();
    // z1 and z2 are 100 apart (in range); z3 is 300 and 400 away (out of range).
    expect(z2.heard).toEqual(a);
    expect(z1.heard).toEqual(b);
    expect(z3.heard).toEqual([]);
    expect(member(snap, 'z1')).toEqual({ sent: 2, delivered: 1, lost: 2, malformed: 0 });
    expect(member(snap, 'z2')).toEqual({ sent: 1, delivered: 2, lost: 2, malformed: 0 });
    expect(member(snap, 'z3')).toEqual({ sent: 2, delivered: 0, lost: 3, malformed: 0 });
    // The text form of stats shows the losses per member.
    const text = await env.run(['stats', '--lab', lab.name]);
    expect(text.stdout).toMatch(/z3:serial1--air\s+z3:serial1\s.*lost=3/);

    // A member's link taken down: it hears nothing (port-down, not lost) until it is back up.
    const down = await env.run(['link', 'z2:serial1', 'down', '--lab', lab.name]);
    expect(down.stdout.trim()).toBe('z2:serial1 is down');
    z1.send([dataFrame(3, 1, 0xffff, 'a3')]);
    expect(
      await until(async () => port(await lab.stats(), 'z2:serial1').tx.drops['port-down'] === 1),
    ).toBe(true);
    await env.run(['link', 'z2:serial1', 'up', '--lab', lab.name]);
    z1.send([dataFrame(4, 1, 0xffff, 'a4')]);
    expect(await until(() => z2.heard.length === 3, SETTLE_MS)).toBe(true);
    expect(z2.heard[2]).toEqual(dataFrame(4, 1, 0xffff, 'a4'));
    expect(member(await lab.stats(), 'z2').lost).toBe(2);
    await lab.down();

    // Without z3 on the canvas the lab does not start, with one sentence naming the fix.
    const missing = new RadioLab(
      env,
      'radio-nopos',
      peerDir,
      '    delivery: range\n    range: 150',
      { z1: { x: 0, y: 0 }, z2: { x: 100, y: 0 } },
    );
    labs.push(missing);
    const up = await env.run(['up', missing.file, '--detach']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toContain(
      'radio-154 "air" uses delivery: range but member z3 has no position; place it on the canvas or add positions: {z3: [x, y]} under nodes.air',
    );
    expect(await leftovers(env, 'radio-nopos')).toEqual([]);
  });
});
