// PPP links end to end: the real CLI and engine, a qemu node run by the QEMU stand-in (which
// relays its serial chardev to a socket this test listens on, so the TEST plays Zephyr), the
// fabric, counters and capture. This machine's kernel has no PPP (no /dev/ppp), so the real
// pppd cannot bring a link up here: with it, `up` must fail before anything exists, with one
// sentence naming the kernel's missing PPP support. The data path runs against a STAND-IN for
// pppd (test/fixtures/ppp-standin/pppd-standin.py, given as the link's `binary:`), which
// speaks RFC 1662 on stdin/stdout like `pppd notty` and acks LCP Configure-Requests.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import { encodePppFrames, PppDecoder } from '../../src/kinds/links/ppp/engine/codec.js';
import { PPPD_BASE_OPTIONS } from '../../src/kinds/links/ppp/engine/index.js';
import {
  CliEnv,
  IS_ROOT,
  leftovers,
  ROOT,
  until,
  tshark,
  portCounters as port,
} from '../helpers/cli.js';
import { shareNetnsMount, standInPrefix } from '../helpers/standIn.js';

const QEMU_STANDIN = join(ROOT, 'test', 'fixtures', 'qemu-standin', 'qemu-standin.py');
const PPPD_STANDIN = join(ROOT, 'test', 'fixtures', 'ppp-standin', 'pppd-standin.py');
/** Replies over the relay and pppd's pipes take milliseconds; a loaded 2-core box may need seconds. */
const SETTLE_MS = 30_000;
const LINK = 'z1:serial1--ppp';
const PPPD_PORT = `${LINK}:pppd`;

/** An LCP Configure-Request (identifier `id`, magic number 0x2a2a2a2a), as Zephyr starts LCP. */
function confReq(id: number): Buffer {
  return Buffer.from([0xff, 0x03, 0xc0, 0x21, 0x01, id, 0x00, 0x0a, 0x05, 0x06, 42, 42, 42, 42]);
}

/** The Zephyr side of the serial line: a socket the QEMU stand-in relays serial1 to. */
class ZephyrSide {
  readonly received: Buffer[] = [];
  private socket: Socket | undefined;
  private readonly decoder = new PppDecoder(() => undefined);

  private readonly server: Server;

  private constructor() {
    this.server = createServer((s) => this.accept(s));
  }

  static async listen(path: string): Promise<ZephyrSide> {
    rmSync(path, { force: true });
    const side = new ZephyrSide();
    await new Promise<void>((res, rej) => {
      side.server.once('error', rej);
      side.server.listen(path, () => res());
    });
    return side;
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  private accept(s: Socket): void {
    this.socket = s;
    this.decoder.reset();
    s.on('data', (chunk: Buffer) => this.received.push(...this.decoder.push(chunk)));
    s.on('error', () => undefined);
  }

  send(frames: readonly Buffer[]): void {
    this.socket?.write(encodePppFrames(frames));
  }

  writeRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  async dispose(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * Host pids of running stand-in pppds (the engine runs in its own pid namespace in isolated
 * mode, so the pid the stand-in sees means nothing here).
 */
function standinHostPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      if (cmd.includes(PPPD_STANDIN)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function writeLab(env: CliEnv, name: string, link: string): string {
  const dir = join(env.runtime, '..', 'files', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'zephyr.elf'), 'not a real zephyr.elf: the stand-in never reads it');
  const file = join(dir, 'lab.yaml');
  writeFileSync(
    file,
    `name: ${name}
nodes:
  z1: {kind: qemu, board: qemu_x86, binary: ${QEMU_STANDIN}, kernel: ./zephyr.elf}
links:
  - ${link}
`,
  );
  return file;
}

describe.skipIf(!IS_ROOT)('ppp links: the real pppd on a kernel without PPP', () => {
  const env = new CliEnv();
  afterAll(() => env.dispose());

  it('refuses `up` with one sentence naming the missing kernel PPP support, and leaves nothing', async () => {
    expect(existsSync('/dev/ppp'), 'this test is for kernels without PPP').toBe(false);
    const file = writeLab(env, 'pppkernel', '{kind: ppp, endpoints: [z1:serial1]}');
    const up = await env.run(['up', file, '--detach']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toMatch(
      /ppp link z1:serial1--ppp needs pppd, but this kernel has no PPP support \(\/dev\/ppp does not exist\); load it with "modprobe -a ppp_generic ppp_async", or use a kernel built with CONFIG_PPP and CONFIG_PPP_ASYNC/,
    );
    expect(up.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await leftovers(env, 'pppkernel')).toEqual([]);
  });

  it('refuses `up` with the install command when pppd is not on PATH, and leaves nothing', async () => {
    const file = writeLab(env, 'ppppath', '{kind: ppp, endpoints: [z1:serial1]}');
    const up = await env.run(['up', file, '--detach'], {
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    expect(up.code).not.toBe(0);
    expect(up.stderr).toMatch(
      /ppp link z1:serial1--ppp needs pppd, which is not installed \(pppd not found on PATH\); install it with "apt install ppp"/,
    );
    expect(await leftovers(env, 'ppppath')).toEqual([]);
  });
});

describe.skipIf(!IS_ROOT)(
  'ppp links with a STAND-IN pppd (QEMU stand-in, the test plays Zephyr)',
  () => {
    const peerDir = mkdtempSync(join(tmpdir(), 'nwppp-'));
    // The kernel check opens /dev/ppp, which this machine has not: the CLI and its engine run
    // in a mount namespace whose /dev/ppp is /dev/null (helpers/standIn.ts).
    const env = new CliEnv(
      { NETWEAVE_STANDIN_PEER_DIR: peerDir },
      standInPrefix({ devNull: ['ppp'] }),
    );
    beforeAll(() => shareNetnsMount());
    const LAB = 'pppstandin';
    let zephyr: ZephyrSide | undefined;

    afterAll(async () => {
      await env.run(['down', LAB]);
      await zephyr?.dispose();
      rmSync(peerDir, { recursive: true, force: true });
      env.dispose();
    });

    async function stats(): Promise<CounterSnapshot> {
      const r = await env.run(['stats', '--lab', LAB, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as CounterSnapshot;
    }

    function standinInfo(): { argv: string[] } | undefined {
      const file = join(peerDir, 'pppd.argv.json');
      if (!existsSync(file)) return undefined;
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as { argv: string[] };
      } catch {
        return undefined; // being written
      }
    }

    it('carries LCP between the node and the stand-in pppd through the fabric, counted and captured as PPP', async () => {
      zephyr = await ZephyrSide.listen(join(peerDir, 'z1-serial1.sock'));
      const file = writeLab(
        env,
        LAB,
        `{kind: ppp, endpoints: [z1:serial1], options: [debug, "lcp-echo-interval 30"], binary: ${PPPD_STANDIN}}`,
      );
      const up = await env.run(['up', file, '--detach']);
      expect(up.code, up.stderr + up.stdout).toBe(0);
      expect(await until(() => zephyr?.connected === true, SETTLE_MS)).toBe(true);
      expect(await until(() => standinInfo() !== undefined, SETTLE_MS)).toBe(true);

      // The stand-in got pppd's command line: notty on pipes, net-tools' options, local:peer last.
      const { argv } = standinInfo() ?? { argv: [] };
      expect(argv.slice(1)).toEqual([
        ...PPPD_BASE_OPTIONS,
        'debug',
        'lcp-echo-interval',
        '30',
        '192.0.2.2:192.0.2.1',
      ]);
      // It carries the lab's ownership tag, like every process of the lab (its pid as seen here:
      // the engine has a pid namespace of its own in isolated mode).
      const [hostPid] = standinHostPids();
      expect(hostPid).toBeDefined();
      expect(readFileSync(`/proc/${hostPid}/environ`, 'latin1')).toMatch(/NETWEAVE_LAB_ID=/);

      const status = JSON.parse((await env.run(['status', LAB, '--json'])).stdout) as LabStatus;
      expect(status.links.find((l) => l.id === LINK)).toMatchObject({
        kind: 'ppp',
        linkType: 'ppp',
        endpoints: ['z1:serial1'],
        ports: ['z1:serial1', PPPD_PORT],
      });
      // pppd runs in the lab's namespace: in isolated mode the engine's own, not the machine's.
      const netns = (pid: number | string): string => readlinkSync(`/proc/${pid}/ns/net`);
      expect(netns(hostPid ?? 0)).toBe(netns(status.enginePid));
      expect(netns(hostPid ?? 0)).not.toBe(netns('self'));

      const capFile = join(env.runtime, '..', 'ppp.pcapng');
      const cap = env.spawn(['capture', LINK, '--lab', LAB, '-w', capFile]);
      let capErr = '';
      cap.stderr?.on('data', (c: Buffer) => (capErr += c.toString()));
      expect(await until(() => capErr.includes('capturing'))).toBe(true);

      // Zephyr starts LCP; the stand-in pppd acks through the fabric.
      zephyr.send([confReq(7)]);
      expect(await until(() => (zephyr?.received.length ?? 0) >= 1, SETTLE_MS)).toBe(true);
      const ack = Buffer.from(confReq(7));
      ack[4] = 0x02; // Configure-Ack, same identifier and options
      expect(zephyr.received[0]).toEqual(ack);

      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
      expect(capErr).toMatch(/frames written/);
      const lcp = await tshark([
        '-r',
        capFile,
        '-T',
        'fields',
        '-e',
        'frame.protocols',
        '-e',
        'ppp.protocol',
        '-e',
        'ppp.code',
        '-e',
        'ppp.identifier',
        '-e',
        'lcp.opt.magic_number',
      ]);
      const rows = lcp
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      // Each frame crossed two ports of the link (in at one, out at the other): Request, then Ack.
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const row of rows) {
        expect(row[0]).toBe('ppp:lcp');
        expect(row[1]).toBe('0xc021'); // LCP
        expect(row[3]).toBe('7');
        expect(row[4]).toBe('0x2a2a2a2a');
      }
      expect(rows.map((r) => r[2])).toContain('1'); // Configure-Request
      expect(rows.map((r) => r[2])).toContain('2'); // Configure-Ack

      const snap = await stats();
      const serial = port(snap, 'z1:serial1');
      const pppd = port(snap, PPPD_PORT);
      expect(serial.linkType).toBe('ppp');
      expect(pppd.linkType).toBe('ppp');
      expect(serial).toMatchObject({ rx: { frames: 1, bytes: 14 }, tx: { frames: 1, bytes: 14 } });
      expect(pppd).toMatchObject({ rx: { frames: 1, bytes: 14 }, tx: { frames: 1, bytes: 14 } });
    });

    it('counts a frame with a bad FCS from the node as bad-fcs and passes the next one', async () => {
      const side = zephyr;
      if (side === undefined) throw new Error('the first test did not start the lab');
      const before = port(await stats(), 'z1:serial1');
      const bad = Buffer.from(encodePppFrames([confReq(8)]));
      bad.writeUInt8((bad.readUInt8(bad.length - 4) ^ 0x01) & 0xff, bad.length - 4); // inside the options, past every escape
      side.writeRaw(bad);
      side.send([confReq(9)]);
      expect(await until(() => side.received.length >= 2, SETTLE_MS)).toBe(true);
      expect(side.received[1]?.[5]).toBe(9);
      const after = port(await stats(), 'z1:serial1');
      expect(after.extra?.['bad-fcs'] ?? 0).toBe((before.extra?.['bad-fcs'] ?? 0) + 1);
      expect(after.rx.frames - before.rx.frames).toBe(1);
    });

    it('restarts the stand-in pppd when it exits, counts the exit, and the link works again', async () => {
      const side = zephyr;
      if (side === undefined) throw new Error('the first test did not start the lab');
      const [first] = standinHostPids();
      if (first === undefined) throw new Error('no stand-in pppd');
      rmSync(join(peerDir, 'pppd.argv.json'));
      process.kill(first, 'SIGKILL');
      expect(
        await until(() => {
          const next = standinHostPids();
          return standinInfo() !== undefined && next.length === 1 && next[0] !== first;
        }, SETTLE_MS),
        'a new pppd was started',
      ).toBe(true);
      expect(port(await stats(), PPPD_PORT).extra?.['pppd-exit']).toBe(1);
      const had = side.received.length;
      // The port is up once the new pppd runs: a request sent now is answered.
      expect(
        await until(async () => {
          side.send([confReq(10)]);
          await new Promise((r) => setTimeout(r, 300));
          return side.received.length > had;
        }, SETTLE_MS),
      ).toBe(true);
      expect(side.received.at(-1)?.[4]).toBe(0x02);
    });

    it('`down` stops pppd and leaves nothing behind', async () => {
      expect(standinHostPids()).toHaveLength(1);
      const down = await env.run(['down', LAB]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(env, LAB)).toEqual([]);
      expect(standinHostPids()).toEqual([]);
    });
  },
);
