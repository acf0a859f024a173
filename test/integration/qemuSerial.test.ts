// A serial link with a real QEMU (TCG): the test guest's second serial port (ttyS1, QEMU's
// `-chardev socket` to the engine) runs the Linux kernel's own SLIP line discipline, which is
// legacy raw-IP SLIP as RFC 1055 frames it. A host node pings it through its TUN, the fabric and
// netweave's SLIP codec; a TCP connection carries data through it; counters and a capture show
// raw IP.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot } from '../../src/shared/contract.js';
import { requireGuestKit, type GuestKit } from '../guest/guestKit.js';
import { CliEnv, IS_ROOT, leftovers, portCounters, tshark, until } from '../helpers/cli.js';

const HAVE_QEMU = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const LAB = 'qemu-slip';
/** Boot of the test guest under TCG on a loaded 2-core machine. */
const READY_TIMEOUT = '180s';

const skipReason = !IS_ROOT
  ? 'needs root'
  : !HAVE_QEMU
    ? 'qemu-system-x86_64 is not installed'
    : '';

describe.skipIf(skipReason !== '')(
  `a SLIP link to a real QEMU guest (${skipReason || 'real QEMU, TCG'})`,
  () => {
    const env = new CliEnv();
    let kit: GuestKit;

    beforeAll(async () => {
      kit = await requireGuestKit();
    });
    afterAll(async () => {
      await env.run(['down', LAB]);
      env.dispose();
    });

    it('pings and talks TCP to the guest over its serial port, with counters and a raw-IP capture', async () => {
      const dir = join(env.runtime, '..', 'files');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'lab.yaml');
      writeFileSync(
        file,
        `name: ${LAB}
nodes:
  g1:
    kind: qemu
    binary: qemu-system-x86_64
    machine: q35
    memory: 256
    kernel: ${kit.kernel}
    initrd: ${kit.initrd}
    append: console=ttyS0 quiet nw.slip=ttyS1 nw.ip=192.0.2.1/24
    ready: { pattern: NETWEAVE-GUEST-READY, timeout: ${READY_TIMEOUT} }
  h1:
    kind: host
    interfaces: { sl0: { ipv4: [192.0.2.2/24] } }
links:
  - { kind: slip, mode: ip, endpoints: [g1:serial1, h1:sl0] }
`,
      );
      const up = await env.run(['up', file, '--detach'], { timeoutMs: 300_000 });
      expect(up.code, up.stderr).toBe(0);
      let out = '';
      const pinged = await until(
        async () => {
          const r = await env.run([
            'exec',
            'h1',
            '--lab',
            LAB,
            '--',
            'ping',
            '-c',
            '1',
            '-W',
            '3',
            '192.0.2.1',
          ]);
          out = r.stdout + r.stderr;
          return r.code === 0;
        },
        90_000,
        500,
      );
      expect(pinged, out).toBe(true);

      // The guest's TCP echo server on 4242 answers through the SLIP line, and a capture of the
      // link shows the packets as raw IP (LINKTYPE_RAW).
      const pcap = join(dir, 'slip.pcapng');
      const cap = env.spawn(['capture', 'g1:serial1--h1:sl0', '--lab', LAB, '-w', pcap]);
      let capErr = '';
      cap.stderr?.on('data', (c: Buffer) => (capErr += c.toString()));
      expect(await until(() => capErr.includes('capturing'))).toBe(true);
      const marker = `slip-${Date.now()}`;
      let echoed = '';
      const talked = await until(
        async () => {
          const r = await env.run(
            [
              'exec',
              'h1',
              '--lab',
              LAB,
              '--',
              'sh',
              '-c',
              `echo ${marker} | busybox nc -w 3 192.0.2.1 4242`,
            ],
            { timeoutMs: 20_000 },
          );
          echoed = r.stdout;
          return echoed.includes(marker);
        },
        60_000,
        1_000,
      );
      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
      expect(talked, echoed).toBe(true);
      const encap = await tshark(['-r', pcap, '-T', 'fields', '-e', 'frame.encap_type']);
      expect(new Set(encap.trim().split('\n'))).toEqual(new Set(['7'])); // WTAP_ENCAP_RAW_IP
      const tcp = await tshark([
        '-r',
        pcap,
        '-Y',
        'tcp.port == 4242',
        '-T',
        'fields',
        '-e',
        'ip.src',
      ]);
      expect(tcp.trim().split('\n')).toContain('192.0.2.1');

      const snap = JSON.parse(
        (await env.run(['stats', '--lab', LAB, '--json'])).stdout,
      ) as CounterSnapshot;
      const serial = portCounters(snap, 'g1:serial1');
      expect(serial.linkType).toBe('raw-ip');
      expect(serial.rx.frames).toBeGreaterThanOrEqual(2);
      expect(serial.tx.frames).toBeGreaterThanOrEqual(2);
      expect(serial.extra?.['bad-escape'] ?? 0).toBe(0);

      const down = await env.run(['down', LAB]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(env, LAB)).toEqual([]);
    }, 420_000);
  },
);
