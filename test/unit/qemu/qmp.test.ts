// The QMP client against a fake QMP server on a unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from '../../../src/kinds/nodes/qemu/engine/qmp/index.js';

interface Fake {
  path: string;
  server: Server;
  received: { execute: string; arguments?: unknown }[];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A QMP server that greets, answers every command, and closes after quit. */
async function fakeQmp(opts: { listen?: boolean } = {}): Promise<Fake> {
  const dir = mkdtempSync(join(tmpdir(), 'qmp-'));
  const path = join(dir, 'q.qmp');
  const received: Fake['received'] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.write('{"QMP": {"version": {"qemu": {"major": 7, "minor": 2}}, "capabilities": []}}\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as {
          execute: string;
          arguments?: unknown;
          id?: string;
        };
        buf = buf.slice(nl + 1);
        received.push({
          execute: msg.execute,
          ...(msg.arguments ? { arguments: msg.arguments } : {}),
        });
        // An event in between must not be taken for a reply.
        s.write('{"event": "NIC_RX_FILTER_CHANGED", "data": {}}\r\n');
        if (msg.execute === 'set_link' && (msg.arguments as { name: string }).name === 'nope') {
          s.write(
            `${JSON.stringify({ error: { class: 'DeviceNotFound', desc: "Device 'nope' not found" }, id: msg.id })}\r\n`,
          );
        } else s.write(`${JSON.stringify({ return: {}, id: msg.id })}\r\n`);
        if (msg.execute === 'quit') s.end();
      }
    });
  });
  const fake = { path, server, received };
  const start = (): Promise<void> => new Promise((r) => server.listen(path, r));
  if (opts.listen !== false) await start();
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return Object.assign(fake, { start });
}

describe('QMP client', () => {
  it('negotiates capabilities, then runs set_link, system_reset and quit', async () => {
    const fake = await fakeQmp();
    const q = await QmpClient.connect(fake.path);
    await q.setLink('nw-eth0', false);
    await q.systemReset();
    await q.quit();
    expect(fake.received).toEqual([
      { execute: 'qmp_capabilities' },
      { execute: 'set_link', arguments: { name: 'nw-eth0', up: false } },
      { execute: 'system_reset' },
      { execute: 'quit' },
    ]);
    q.dispose();
  });

  it("turns a QMP error into a QmpError with QEMU's description", async () => {
    const fake = await fakeQmp();
    const q = await QmpClient.connect(fake.path);
    await expect(q.setLink('nope', true)).rejects.toThrow(QmpError);
    await expect(q.setLink('nope', true)).rejects.toThrow("Device 'nope' not found");
    q.dispose();
  });

  it('waits for a socket that QEMU has not created yet', async () => {
    const fake = (await fakeQmp({ listen: false })) as Fake & { start(): Promise<void> };
    const connecting = QmpClient.connect(fake.path, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    await fake.start();
    const q = await connecting;
    expect(fake.received[0]?.execute).toBe('qmp_capabilities');
    q.dispose();
  });

  it('fails in one sentence when nothing answers, and pending commands fail on close', async () => {
    await expect(QmpClient.connect('/nonexistent/q.qmp', 300)).rejects.toThrow(
      /QMP socket \/nonexistent\/q.qmp did not answer/,
    );
    const fake = await fakeQmp();
    const q = await QmpClient.connect(fake.path);
    q.dispose();
    await expect(q.systemReset()).rejects.toThrow(/closed/);
    expect(q.closed).toBe(true);
  });
});
