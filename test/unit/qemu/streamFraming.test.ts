// QEMU's stream framing (4-byte big-endian length + frame) over split and merged reads, and the
// StreamSocketPort on a real unix socket: listen first, accept, rejoin after a reconnect.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeStreamFrames,
  Fabric,
  MemoryPort,
  StreamFramer,
  StreamSocketPort,
} from '../../../src/engine/fabric/index.js';

const frame = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

describe('stream framing', () => {
  it('reassembles frames split at every byte and several frames merged in one read', () => {
    const frames = [frame(60, 1), frame(1514, 2), frame(1, 3)];
    const wire = encodeStreamFrames(frames);
    expect(wire.length).toBe(60 + 1514 + 1 + 12);
    expect(wire.readUInt32BE(0)).toBe(60);
    const merged = new StreamFramer().push(wire);
    expect(merged).toEqual(frames);
    const framer = new StreamFramer();
    const out: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) out.push(...framer.push(wire.subarray(i, i + 1)));
    expect(out).toEqual(frames);
  });

  it("refuses a length beyond QEMU's buffer (the stream is out of step)", () => {
    const bad = Buffer.alloc(4);
    bad.writeUInt32BE(1 << 30, 0);
    expect(() => new StreamFramer().push(bad)).toThrow(/exceeds/);
  });
});

describe('StreamSocketPort', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function peer(path: string): Promise<{ socket: Socket; frames: Buffer[] }> {
    const framer = new StreamFramer();
    const frames: Buffer[] = [];
    const socket = connect(path);
    socket.on('data', (d: Buffer) => frames.push(...framer.push(d)));
    await new Promise((r) => socket.once('connect', r));
    return { socket, frames };
  }

  const until = async (ok: () => boolean): Promise<void> => {
    const end = Date.now() + 5_000;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(ok()).toBe(true);
  };

  it('listens before the peer, carries frames both ways, drops as port-down without a peer, and rejoins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssp-'));
    dirs.push(dir);
    const path = join(dir, 'g-eth0.sock');
    const fabric = new Fabric();
    const port = fabric.addPort(await StreamSocketPort.listen({ id: 'g:eth0', path }));
    const seen: Buffer[] = [];
    const other = fabric.addPort(
      new MemoryPort({
        id: 'h:eth0',
        linkType: 'ethernet',
        onTransmit: (f) => void seen.push(...f),
      }),
    );
    fabric.connect(port, other);

    other.inject([frame(60, 9)]);
    expect(port.up).toBe(false);
    expect(port.tx.snapshot().drops['port-down']).toBe(1);

    const first = await peer(path);
    await until(() => port.up);
    other.inject([frame(60, 1), frame(100, 2)]);
    await until(() => first.frames.length === 2);
    expect(first.frames).toEqual([frame(60, 1), frame(100, 2)]);
    first.socket.write(encodeStreamFrames([frame(64, 5), frame(64, 6)]).subarray(0, 70));
    first.socket.write(encodeStreamFrames([frame(64, 5), frame(64, 6)]).subarray(70));
    await until(() => seen.length === 2);
    expect(port.rx.frames).toBe(2);

    // The peer restarts: the old connection goes, a new one is accepted, and frames flow again.
    first.socket.destroy();
    await until(() => !port.up);
    const second = await peer(path);
    await until(() => port.up);
    other.inject([frame(42, 7)]);
    await until(() => second.frames.length === 1);

    // Administratively down stays down across a reconnect.
    port.setUp(false);
    other.inject([frame(42, 8)]);
    expect(second.frames.length).toBe(1);
    second.socket.destroy();
    fabric.dispose();
    expect(existsSync(path)).toBe(false);
  });
});
