// The TAP addon and the fabric against the real kernel: two network namespaces, a TAP in each,
// joined through the fabric, pinging each other. Needs root (ip netns add, TUNSETIFF).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, TapDevice } from '@netweave/tap';
import { Fabric, TapPort } from '../../src/engine/fabric/index.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const TSHARK = '/usr/bin/tshark';
/** O_NONBLOCK and O_CLOEXEC as /proc/<pid>/fdinfo shows them (octal). */
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

const suffix = randomBytes(3).toString('hex');
const NS_A = `nwtest-${suffix}-a`;
const NS_B = `nwtest-${suffix}-b`;
const nsPath = (ns: string): string => `/run/netns/${ns}`;

/** Runs a command (argv, never a shell) and returns stdout. */
async function sh(argv: string[], timeout = 30_000): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty argv');
  const { stdout } = await run(file, args, { timeout });
  return stdout;
}

/** True when interface `name` exists in namespace `ns`. */
async function linkExists(ns: string, name: string): Promise<boolean> {
  try {
    await sh(['ip', '-n', ns, 'link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

/** Opens a TAP in `ns`, gives it an address and brings it (and lo) up. */
async function tapWithAddress(ns: string, name: string, cidr: string): Promise<TapPort> {
  const port = TapPort.open({ id: `${ns}:${name}`, ifname: name, netnsPath: nsPath(ns) });
  await sh(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', name]);
  await sh(['ip', '-n', ns, 'link', 'set', 'dev', name, 'up']);
  await sh(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
  return port;
}

describe.skipIf(!isRoot)(
  'TAP addon and fabric on a real kernel (skipped unless root: needs ip netns add and TUNSETIFF)',
  () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nw-fabric-'));
      await sh(['ip', 'netns', 'add', NS_A]);
      await sh(['ip', 'netns', 'add', NS_B]);
    });

    afterAll(async () => {
      for (const ns of [NS_A, NS_B]) await sh(['ip', 'netns', 'del', ns]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    describe('open()', () => {
      it('creates the TAP inside the namespace and returns the thread to its own', async () => {
        const before = readlinkSync('/proc/thread-self/ns/net');
        const handle = open('nwt0', nsPath(NS_A));
        const device = new TapDevice(handle.fd);
        try {
          expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
          expect(handle.name).toBe('nwt0');
          expect(await linkExists(NS_A, 'nwt0')).toBe(true);
          expect(await linkExists(NS_B, 'nwt0')).toBe(false);
          const flags = /flags:\s+(\d+)/.exec(
            readFileSync(`/proc/self/fdinfo/${handle.fd}`, 'utf8'),
          )?.[1];
          const value = parseInt(flags ?? '0', 8);
          expect(value & O_NONBLOCK).toBe(O_NONBLOCK);
          expect(value & O_CLOEXEC).toBe(O_CLOEXEC);
        } finally {
          device.close();
        }
        // Non-persistent: closing the fd deletes the interface.
        expect(await linkExists(NS_A, 'nwt0')).toBe(false);
        expect(device.closed).toBe(true);
        expect(device.fd).toBe(-1);
        device.close(); // idempotent
      });

      it('fails with the interface name and errno, and still restores the namespace', () => {
        const before = readlinkSync('/proc/thread-self/ns/net');
        expect(() => open('nwt1', '/run/netns/nwtest-does-not-exist')).toThrow(
          /nwt1.*nwtest-does-not-exist.*\(ENOENT\)/,
        );
        // A file that is not a namespace: setns fails after the open.
        expect(() => open('nwt1', '/proc/self/status')).toThrow(/nwt1.*\(EINVAL\)/);
        expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
        expect(() => open('a-name-longer-than-15')).toThrow(/too long/);
      });

      it('refuses a second TAP with the name of an existing non-TAP interface', () => {
        expect(() => open('lo', nsPath(NS_A))).toThrow(/cannot create TAP lo/);
      });
    });

    describe('TapDevice', () => {
      it('reads frames the kernel sends in batches and writes frames the kernel receives', async () => {
        const handle = open('nwt2', nsPath(NS_A));
        const got: Buffer[] = [];
        const device = new TapDevice(handle.fd);
        try {
          device.start((frames) => got.push(...frames));
          await sh(['ip', '-n', NS_A, 'link', 'set', 'dev', 'nwt2', 'up']);
          await sh(['ip', '-n', NS_A, 'addr', 'add', '192.0.2.1/24', 'dev', 'nwt2']);
          // The kernel ARPs for an unknown neighbour: frames appear on the TAP.
          await sh(['ip', 'netns', 'exec', NS_A, 'ping', '-c', '1', '-W', '1', '192.0.2.9']).catch(
            () => undefined,
          );
          expect(got.some((f) => f.readUInt16BE(12) === 0x0806)).toBe(true);

          // A broadcast ARP request written to the TAP is received by the kernel (rx_packets).
          const statsBefore = JSON.parse(
            await sh(['ip', '-n', NS_A, '-j', '-s', 'link', 'show', 'dev', 'nwt2']),
          ) as { stats64: { rx: { packets: number } } }[];
          const arp = Buffer.concat([
            Buffer.from('ffffffffffff' + '020000000009' + '0806', 'hex'), // Ethernet header
            Buffer.from('0001' + '0800' + '06' + '04' + '0001', 'hex'), // request, IPv4 over Ethernet
            Buffer.from('020000000009' + 'c0000209', 'hex'), // sender 192.0.2.9
            Buffer.from('000000000000' + 'c0000201', 'hex'), // target 192.0.2.1
          ]);
          expect(device.write([arp, arp, arp])).toBe(3);
          const statsAfter = JSON.parse(
            await sh(['ip', '-n', NS_A, '-j', '-s', 'link', 'show', 'dev', 'nwt2']),
          ) as { stats64: { rx: { packets: number } } }[];
          expect(
            (statsAfter[0]?.stats64.rx.packets ?? 0) - (statsBefore[0]?.stats64.rx.packets ?? 0),
          ).toBe(3);

          device.pause();
          expect(device.reading).toBe(false);
          device.resume();
          expect(device.reading).toBe(true);
        } finally {
          device.close();
        }
        expect(() => device.write([Buffer.alloc(60)])).toThrow(/closed/);
      });
    });

    describe('fabric between two namespaces', () => {
      it('switches ping and ARP between two TAPs, counts them and captures them', async () => {
        const fabric = new Fabric();
        try {
          const a = fabric.addPort(await tapWithAddress(NS_A, 'nwa0', '192.0.2.1/24'));
          const b = fabric.addPort(await tapWithAddress(NS_B, 'nwb0', '192.0.2.2/24'));
          const sw = fabric.addSwitch('sw1');
          sw.attach(a);
          sw.attach(b);
          const file = join(dir, 'ping.pcapng');
          const cap = fabric.capture([a], createWriteStream(file));

          const out = await sh([
            'ip',
            'netns',
            'exec',
            NS_A,
            'ping',
            '-c',
            '3',
            '-W',
            '2',
            '192.0.2.2',
          ]);
          expect(out).toMatch(/3 received/);
          await cap.close();

          const snap = fabric.snapshot();
          const sa = snap.ports.find((p) => p.port === a.id);
          const sb = snap.ports.find((p) => p.port === b.id);
          if (!sa || !sb) throw new Error('ports missing from the snapshot');
          // At least one ARP and three ICMP frames each way (IPv6 chatter may add more).
          expect(sa.rx.frames).toBeGreaterThanOrEqual(4);
          expect(sb.rx.frames).toBeGreaterThanOrEqual(4);
          expect(sa.rx.bytes).toBeGreaterThanOrEqual(42 + 3 * 98);
          // Two ports on one switch: everything one received, the other delivered.
          expect(sb.tx.frames).toBe(sa.rx.frames - sa.rx.drops['no-destination']);
          expect(sa.tx.frames).toBe(sb.rx.frames - sb.rx.drops['no-destination']);
          for (const side of [sa.rx, sa.tx, sb.rx, sb.tx]) {
            expect(side.drops['queue-full'] + side.drops['too-big'] + side.drops['port-down']).toBe(
              0,
            );
          }
          expect(sw.macTable()).toHaveLength(2);

          const rows = (
            await run(
              TSHARK,
              [
                '-r',
                file,
                '-Y',
                'icmp',
                '-T',
                'fields',
                '-e',
                'icmp.type',
                '-e',
                'frame.packet_flags_direction',
                '-e',
                'frame.interface_name',
              ],
              { timeout: 60_000 },
            )
          ).stdout
            .trim()
            .split('\n');
          const requests = rows.filter((r) => r.startsWith('8\t0x00000001\t'));
          const replies = rows.filter((r) => r.startsWith('0\t0x00000002\t'));
          expect(requests).toHaveLength(3);
          expect(replies).toHaveLength(3);
          expect(rows.every((r) => r.endsWith(`\t${a.id}`))).toBe(true);
          expect(cap.frames()).toBeGreaterThanOrEqual(8);
        } finally {
          fabric.dispose();
        }
        expect(await linkExists(NS_A, 'nwa0')).toBe(false);
        expect(await linkExists(NS_B, 'nwb0')).toBe(false);
      });

      it('joins two namespaces point to point and drops while a port is down', async () => {
        const fabric = new Fabric();
        try {
          const a = fabric.addPort(await tapWithAddress(NS_A, 'nwa1', '192.0.2.1/24'));
          const b = fabric.addPort(await tapWithAddress(NS_B, 'nwb1', '192.0.2.2/24'));
          fabric.connect(a, b);
          const out = await sh([
            'ip',
            'netns',
            'exec',
            NS_A,
            'ping',
            '-c',
            '3',
            '-W',
            '2',
            '192.0.2.2',
          ]);
          expect(out).toMatch(/3 received/);

          b.setUp(false);
          await expect(
            sh(['ip', 'netns', 'exec', NS_A, 'ping', '-c', '1', '-W', '1', '192.0.2.2']),
          ).rejects.toThrow();
          expect(b.tx.portDown).toBeGreaterThanOrEqual(1);
        } finally {
          fabric.dispose();
        }
      });

      it('counts frames a TAP refuses while its interface is down as device errors, not a full queue', async () => {
        // A TAP whose interface is down answers every write with EIO.
        const port = TapPort.open({ id: 'a:nwa2', ifname: 'nwa2', netnsPath: nsPath(NS_A) });
        try {
          const seen: number[] = [];
          port.observe({
            onFrames: (_p, dir, frames, count) => {
              if (dir === 'tx') seen.push(count);
            },
          });
          port.send([0, 1, 2].map(() => Buffer.alloc(60)));
          expect(port.tx).toMatchObject({ frames: 0, deviceError: 3, queueFull: 0 });
          expect(seen).toEqual([]);
          await sh(['ip', '-n', NS_A, 'link', 'set', 'nwa2', 'up']);
          port.send([Buffer.alloc(60)]);
          expect(port.tx).toMatchObject({ frames: 1, deviceError: 3 });
          expect(seen).toEqual([1]);
        } finally {
          port.dispose();
        }
      });
    });
  },
);
