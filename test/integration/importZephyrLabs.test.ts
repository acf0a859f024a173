// The labs `netweave import-zephyr` writes for serial-link builds run: the real CLI imports a
// fixture build directory, the test points the qemu node at the QEMU stand-in (no Zephyr ELF
// boots here) and plays Zephyr on the serial line, and the imported host or radio peer reaches
// it through the fabric.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { CliEnv, IS_ROOT, leftovers, pingArgs, ROOT, until } from '../helpers/cli.js';
import { SlipPeer } from '../helpers/slipPeer.js';

const STANDIN = join(ROOT, 'test', 'fixtures', 'qemu-standin', 'qemu-standin.py');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'zephyr');

/** Imports build directories with the real CLI and rewrites the qemu nodes to the stand-in. */
async function importLab(env: CliEnv, dir: string, builds: string[]): Promise<string> {
  const file = join(dir, 'lab.yaml');
  const r = await env.run(['import-zephyr', ...builds.map((b) => join(FIXTURES, b)), '-o', file]);
  expect(r.code, r.stderr).toBe(0);
  const kernel = join(dir, 'zephyr.elf');
  writeFileSync(kernel, 'not an ELF: the stand-in never reads it\n');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const nodes = doc.get('nodes') as { items: { key: { value: string } }[] };
  for (const item of nodes.items) {
    const name = item.key.value;
    if (doc.getIn(['nodes', name, 'kind']) !== 'qemu') continue;
    doc.setIn(['nodes', name, 'binary'], STANDIN);
    doc.setIn(['nodes', name, 'kernel'], kernel);
  }
  writeFileSync(file, doc.toString());
  return file;
}

/** A test radio on a UART-pipe line: frames are 0xF0, a length byte, the frame. */
class PipeRadio {
  readonly received: Buffer[] = [];
  private socket: Socket | undefined;
  private pending = Buffer.alloc(0);

  private constructor(private readonly server: Server) {}

  static listen(path: string): Promise<PipeRadio> {
    rmSync(path, { force: true });
    return new Promise((res) => {
      const server = createServer((s) => {
        radio.socket = s;
        s.on('data', (chunk: Buffer) => radio.push(chunk));
      });
      const radio = new PipeRadio(server);
      server.listen(path, () => res(radio));
    });
  }

  private push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 2 && this.pending[0] === 0xf0) {
      const len = this.pending[1] ?? 0;
      if (this.pending.length < 2 + len) return;
      this.received.push(Buffer.from(this.pending.subarray(2, 2 + len)));
      this.pending = this.pending.subarray(2 + len);
    }
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  send(frame: Buffer): void {
    this.socket?.write(Buffer.concat([Buffer.from([0xf0, frame.length]), frame]));
  }

  dispose(): Promise<void> {
    this.socket?.destroy();
    return new Promise((res) => this.server.close(() => res()));
  }
}

/** An 802.15.4 data frame (no FCS): short addresses, PAN 0xabcd, a payload the test recognises. */
function dataFrame(seq: number, payload: string): Buffer {
  const header = Buffer.from([0x41, 0x88, seq, 0xcd, 0xab, 0xff, 0xff, 0x01, 0x00]);
  return Buffer.concat([header, Buffer.from([0x00]), Buffer.from(payload)]);
}

describe.skipIf(!IS_ROOT)('labs imported from Zephyr builds run (QEMU stand-in)', () => {
  const peerDir = mkdtempSync(join(tmpdir(), 'nwimport-'));
  const env = new CliEnv({ NETWEAVE_STANDIN_PEER_DIR: peerDir });
  const labs: string[] = [];

  afterAll(async () => {
    for (const lab of labs) await env.run(['down', lab]);
    rmSync(peerDir, { recursive: true, force: true });
    env.dispose();
  });

  it.each([
    ['qemu_x86-slip-tap', 'tap' as const],
    ['qemu_x86-slip-raw', 'ip' as const],
  ])('%s: the imported host pings Zephyr over SLIP', async (build, mode) => {
    const dir = mkdtempSync(join(peerDir, 'lab-'));
    const file = await importLab(env, dir, [build]);
    const lab = 'zephyr-echo_server';
    labs.push(lab);
    const peer = await SlipPeer.listen({
      path: join(peerDir, 'echo_server-serial1.sock'),
      mode,
      ipv4: '192.0.2.1',
    });
    try {
      const up = await env.run(['up', file, '--detach']);
      expect(up.code, up.stderr).toBe(0);
      let out = '';
      const replied = await until(async () => {
        const r = await env.run(pingArgs('host', '192.0.2.1', 2, lab));
        out = r.stdout + r.stderr;
        return r.code === 0;
      }, 60_000);
      expect(replied, out).toBe(true);
      expect(peer.echoes).toBeGreaterThanOrEqual(2);
      const down = await env.run(['down', lab]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(env, lab)).toEqual([]);
    } finally {
      await peer.dispose();
    }
  });

  it('echo_server + echo_client over 802.15.4: a frame one radio sends reaches the other', async () => {
    const dir = mkdtempSync(join(peerDir, 'lab-'));
    const file = await importLab(env, dir, ['qemu_x86-802154', 'qemu_x86-802154-client']);
    const lab = 'zephyr-echo_server';
    const server = await PipeRadio.listen(join(peerDir, 'echo_server-serial1.sock'));
    const client = await PipeRadio.listen(join(peerDir, 'echo_client-serial1.sock'));
    try {
      const up = await env.run(['up', file, '--detach']);
      expect(up.code, up.stderr).toBe(0);
      expect(await until(() => server.connected && client.connected)).toBe(true);
      const frame = dataFrame(7, 'hello-from-server');
      expect(
        await until(
          () => {
            server.send(frame);
            return client.received.some((f) => f.equals(frame));
          },
          30_000,
          500,
        ),
      ).toBe(true);
      // The sender does not hear itself.
      expect(server.received.some((f) => f.equals(frame))).toBe(false);
      const down = await env.run(['down', lab]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(env, lab)).toEqual([]);
    } finally {
      await server.dispose();
      await client.dispose();
    }
  });
});
