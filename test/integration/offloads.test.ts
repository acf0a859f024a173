// Offloads through the fabric (issue 12): host nodes' TAPs take checksum and TSO offloads, so a
// TCP sender hands the fabric super-frames of up to 64 KB. The fabric must count them as the
// kernel does, carry them whole between two such hosts, show them in a capture as the host
// sent them (or as wire frames when asked), and deliver the bytes intact. Isolated mode needs
// no root, so the same checks run as root and as an unprivileged user.
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot } from '../../src/shared/contract.js';
import { CliEnv, IS_ROOT, leftovers, portCounters, ROOT, tshark, until } from '../helpers/cli.js';

const LAB = 'two-hosts';
const TWO_HOSTS = join(ROOT, 'examples', 'two-hosts.yaml');
/** Bytes sent: enough for TCP to leave slow start and hand over full super-frames. */
const BYTES = 24 * 1024 * 1024;
const NOBODY = 65534;

/** h2 takes one connection on port 5001 and prints how many bytes came and their SHA-256. */
const RECEIVER = [
  'import hashlib, socket',
  "s = socket.create_server(('0.0.0.0', 5001))",
  "print('listening', flush=True)",
  'c, _ = s.accept()',
  'h = hashlib.sha256()',
  'n = 0',
  'while True:',
  '    b = c.recv(1 << 20)',
  '    if not b:',
  '        break',
  '    h.update(b)',
  '    n += len(b)',
  'print(n, h.hexdigest())',
].join('\n');

/** h1 sends BYTES bytes of a pattern to h2 and prints their SHA-256. */
const SENDER = [
  'import hashlib, socket',
  `data = bytes((i * 7 + (i >> 8)) & 255 for i in range(1 << 20)) * ${BYTES >> 20}`,
  "c = socket.create_connection(('192.0.2.2', 5001))",
  'c.sendall(data)',
  'c.close()',
  'print(len(data), hashlib.sha256(data).hexdigest())',
].join('\n');

interface KernelCounters {
  rx: { packets: number; bytes: number };
  tx: { packets: number; bytes: number };
}

for (const who of ['root', 'an unprivileged user'] as const) {
  describe.skipIf(!IS_ROOT)(`TCP through the fabric with offloads, as ${who}`, () => {
    const wrap =
      who === 'root'
        ? []
        : ['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
    const env = new CliEnv(who === 'root' ? {} : { HOME: '/nonexistent' }, wrap);
    const files = join(env.runtime, '..', 'files');
    beforeAll(() => {
      mkdirSync(env.runtime, { recursive: true });
      mkdirSync(env.logs, { recursive: true });
      mkdirSync(files, { recursive: true });
      if (who !== 'root') {
        for (const d of [join(env.runtime, '..'), env.runtime, env.logs, files]) {
          chownSync(d, NOBODY, NOBODY);
        }
      }
    });
    afterAll(async () => {
      await env.run(['down', LAB]);
      env.dispose();
    });

    const exec = async (node: string, argv: string[]): Promise<string> => {
      const r = await env.run(['exec', node, '--lab', LAB, '--', ...argv]);
      expect(r.code, `${argv.join(' ')} in ${node}: ${r.stderr}${r.stdout}`).toBe(0);
      return r.stdout;
    };
    const kernel = async (node: string): Promise<KernelCounters> => {
      const [link] = JSON.parse(
        await exec(node, ['ip', '-j', '-s', 'link', 'show', 'dev', 'eth0']),
      ) as { stats64: KernelCounters }[];
      if (!link) throw new Error(`no counters of eth0 in ${node}`);
      return link.stats64;
    };
    const stats = async (): Promise<CounterSnapshot> => {
      const r = await env.run(['stats', '--lab', LAB, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as CounterSnapshot;
    };
    /**
     * Captures h1's link into `file` while `during` runs; returns the packets the capture says
     * it wrote and left out (a reader that falls behind loses packets, and says so).
     */
    const capture = async (
      file: string,
      extra: string[],
      during: () => Promise<void>,
    ): Promise<{ written: number; dropped: number }> => {
      const cap = env.spawn(['capture', `h1:eth0--sw`, '--lab', LAB, '-w', file, ...extra]);
      let said = '';
      cap.stderr?.on('data', (c: Buffer) => (said += c.toString()));
      expect(await until(() => said.includes('capturing')), said).toBe(true);
      try {
        await during();
      } finally {
        cap.kill('SIGINT');
        await new Promise((r) => cap.once('exit', r));
      }
      const written = /(\d+) frames written/.exec(said);
      expect(written, said).not.toBeNull();
      const dropped = /(\d+) frames left out/.exec(said);
      return { written: Number(written?.[1]), dropped: Number(dropped?.[1] ?? 0) };
    };
    const transfer = async (): Promise<void> => {
      const receiving = env.run(['exec', 'h2', '--lab', LAB, '--', 'python3', '-c', RECEIVER], {
        timeoutMs: 180_000,
      });
      // The server listens before the client connects.
      await until(
        async () =>
          (await env.run(['exec', 'h2', '--lab', LAB, '--', 'ss', '-Hltn', 'sport', '5001'])).stdout
            .length > 0,
      );
      const sent = (await exec('h1', ['python3', '-c', SENDER])).trim();
      const got = await receiving;
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout.trim().split('\n').pop()).toBe(sent);
      expect(sent.startsWith(`${BYTES} `)).toBe(true);
    };

    it('carries 64 KB super-frames whole, counts them as the kernel does, and delivers every byte', async () => {
      const up = await env.run(['up', TWO_HOSTS, '--detach']);
      expect(up.code, up.stderr + up.stdout).toBe(0);
      const features = await exec('h1', ['ethtool', '-k', 'eth0']);
      expect(features).toMatch(/tcp-segmentation-offload: on/);
      expect(features).toMatch(/tx-checksumming: on/);

      const raw = join(files, 'as-sent.pcapng');
      const h1Frames = async (): Promise<number> => {
        const p = portCounters(await stats(), 'h1:eth0');
        return p.rx.frames + p.tx.frames;
      };
      const before = await h1Frames();
      const rawCount = await capture(raw, [], transfer);
      const during = (await h1Frames()) - before;

      // The fabric counted exactly what the kernels sent and received on their TAPs, frames and
      // bytes, super-frames once each.
      let last = '';
      const agree = async (): Promise<boolean> => {
        const [k1, k2, f] = [await kernel('h1'), await kernel('h2'), await stats()];
        const [p1, p2] = [portCounters(f, 'h1:eth0'), portCounters(f, 'h2:eth0')];
        const pairs = [
          [p1.rx.frames, k1.tx.packets],
          [p1.rx.bytes, k1.tx.bytes],
          [p1.tx.frames, k1.rx.packets],
          [p1.tx.bytes, k1.rx.bytes],
          [p2.rx.frames, k2.tx.packets],
          [p2.rx.bytes, k2.tx.bytes],
          [p2.tx.frames, k2.rx.packets],
          [p2.tx.bytes, k2.rx.bytes],
        ];
        last = JSON.stringify(pairs);
        return pairs.every(([a, b]) => a === b);
      };
      expect(await until(agree, 15_000, 300), last).toBe(true);
      const f = await stats();
      for (const id of ['h1:eth0', 'h2:eth0']) {
        const p = portCounters(f, id);
        const drops = [...Object.values(p.rx.drops), ...Object.values(p.tx.drops)];
        expect(
          drops.reduce((a, b) => a + b, 0),
          `drops at ${id}`,
        ).toBe(0);
      }
      // Far fewer frames than 1448-byte segments: the data crossed as super-frames.
      expect(portCounters(f, 'h1:eth0').rx.frames).toBeLessThan(BYTES / 1448 / 4);

      // The capture shows what h1 sent: frames longer than any wire frame. Every packet it says
      // it wrote is in the file, and with those it left out they make up every frame.
      const lengths = (await tshark(['-r', raw, '-T', 'fields', '-e', 'frame.len']))
        .trim()
        .split('\n')
        .map(Number);
      expect(lengths).toHaveLength(rawCount.written);
      expect(Math.max(...lengths)).toBeGreaterThan(30_000);
      // (A few frames of background chatter may cross between the counters and the capture.)
      expect(rawCount.written + rawCount.dropped).toBeLessThanOrEqual(during);
      expect(rawCount.written + rawCount.dropped).toBeGreaterThanOrEqual(during - 10);
    });

    it('records wire frames with right checksums when the capture asks for them', async () => {
      const wire = join(files, 'wire.pcapng');
      const wireCount = await capture(wire, ['--wire-frames'], transfer);
      const rows = (
        await tshark([
          '-r',
          wire,
          '-o',
          'tcp.check_checksum:TRUE',
          '-o',
          'ip.check_checksum:TRUE',
          '-Y',
          'tcp.port == 5001',
          '-T',
          'fields',
          '-e',
          'frame.len',
          '-e',
          'tcp.checksum.status',
          '-e',
          'ip.checksum.status',
        ])
      )
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      // The wire frames of 24 MB: some thousands even if the reader fell behind; every one
      // the capture wrote is in the file, none longer than 1514 bytes.
      expect(rows.length).toBeGreaterThan(1000);
      const all = (await tshark(['-r', wire, '-T', 'fields', '-e', 'frame.len'])).trim();
      expect(all.split('\n')).toHaveLength(wireCount.written);
      expect(wireCount.written + wireCount.dropped).toBeGreaterThan(BYTES / 1448);
      expect(Math.max(...rows.map((r) => Number(r[0])))).toBeLessThanOrEqual(1514);
      // tshark: 1 good, 0 bad (2 unverified).
      expect(rows.filter((r) => r[1] !== '1' || r[2] !== '1')).toEqual([]);

      const down = await env.run(['down', LAB]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(env, LAB, who === 'root' ? 0 : NOBODY)).toEqual([]);
    });
  });
}
