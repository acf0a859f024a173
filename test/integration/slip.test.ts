// SLIP links end to end with a stand-in Zephyr: the real CLI and engine, a qemu node run by the
// QEMU stand-in (which relays each serial chardev to a socket this test listens on), host nodes,
// the fabric, capture. The test plays Zephyr on the SLIP line where no real build can: legacy
// raw-IP SLIP to a host interface that becomes a TUN and is routed to the host's other segment,
// two serial ports joined directly, SLIP-TAP straight to a host interface, and malformed SLIP.
// A real SLIP-TAP build on a switch (ping, echo, capture, counters) is in zephyrQemu.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import {
  CliEnv,
  IS_ROOT,
  leftovers,
  pingArgs,
  ROOT,
  until,
  tshark,
  portCounters as port,
} from '../helpers/cli.js';
import { SlipPeer } from '../helpers/slipPeer.js';

const STANDIN = join(ROOT, 'test', 'fixtures', 'qemu-standin', 'qemu-standin.py');
const LAB = 'slip';
/** Replies over the relay take milliseconds; a loaded 2-core box may need seconds. */
const SETTLE_MS = 30_000;

async function stats(env: CliEnv): Promise<CounterSnapshot> {
  const r = await env.run(['stats', '--lab', LAB, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as CounterSnapshot;
}

/** Captures `target` to a pcapng while `during` runs; returns the file. */
async function capture(env: CliEnv, target: string, during: () => Promise<void>): Promise<string> {
  const file = join(env.runtime, '..', `${target.replace(/[^a-z0-9]/gi, '_')}.pcapng`);
  const cap = env.spawn(['capture', target, '--lab', LAB, '-w', file]);
  let err = '';
  cap.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  expect(await until(() => err.includes('capturing'))).toBe(true);
  await during();
  cap.kill('SIGINT');
  await new Promise((r) => cap.once('exit', r));
  expect(err).toMatch(/frames written/);
  return file;
}

/** ICMP types (8 request, 0 reply) in a capture, and its link type as tshark names it. */
async function icmpTypes(file: string): Promise<string[]> {
  const out = await tshark(['-r', file, '-Y', 'icmp', '-T', 'fields', '-e', 'icmp.type']);
  return out.trim().split('\n').filter(Boolean);
}

describe.skipIf(!IS_ROOT)('slip links (QEMU stand-in, the test plays Zephyr)', () => {
  const peerDir = mkdtempSync(join(tmpdir(), 'nwslip-'));
  const env = new CliEnv({ NETWEAVE_STANDIN_PEER_DIR: peerDir });
  const peers: SlipPeer[] = [];

  afterAll(async () => {
    await env.run(['down', LAB]);
    for (const p of peers) await p.dispose();
    rmSync(peerDir, { recursive: true, force: true });
    env.dispose();
  });

  it('stand-in: pings a raw-IP SLIP peer through a routed TUN and a SLIP-TAP peer on a host interface, joins two serial ports, and counts malformed SLIP', async () => {
    // The peers listen before the lab starts: the stand-in connects to them right away.
    const tap = await SlipPeer.listen({
      path: join(peerDir, 'z1-serial1.sock'),
      mode: 'tap',
      ipv4: '192.0.2.1',
      mac: '00:00:5e:00:53:01',
    });
    const ip = await SlipPeer.listen({
      path: join(peerDir, 'z1-serial2.sock'),
      mode: 'ip',
      ipv4: '198.51.100.1',
    });
    // Two instances joined directly (Zephyr's pipe-based server/client targets).
    const left = await SlipPeer.listen({
      path: join(peerDir, 'z1-serial3.sock'),
      mode: 'tap',
      ipv4: '192.0.2.9',
    });
    const right = await SlipPeer.listen({
      path: join(peerDir, 'z2-serial1.sock'),
      mode: 'tap',
      ipv4: '192.0.2.8',
    });
    // SLIP-TAP straight to a host interface (what tunslip6 -T gives).
    const direct = await SlipPeer.listen({
      path: join(peerDir, 'z2-serial2.sock'),
      mode: 'tap',
      ipv4: '192.0.2.1',
      mac: '00:00:5e:00:53:02',
    });
    peers.push(tap, ip, left, right, direct);

    const dir = join(env.runtime, '..', 'files');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'zephyr.elf'), 'not a real zephyr.elf: the stand-in never reads it');
    const file = join(dir, 'lab.yaml');
    writeFileSync(
      file,
      `name: ${LAB}
nodes:
  z1: {kind: qemu, board: qemu_x86, binary: ${STANDIN}, kernel: ./zephyr.elf}
  z2: {kind: qemu, board: qemu_x86, binary: ${STANDIN}, kernel: ./zephyr.elf}
  h1:
    kind: host
    interfaces: {eth0: {ipv4: [192.0.2.2/24]}}
    routes: [{to: 198.51.100.0/24, via: 192.0.2.3}]
  h2:
    kind: host
    interfaces:
      eth0: {ipv4: [192.0.2.3/24]}
      sl0: {ipv4: [198.51.100.2/24]}
  h3:
    kind: host
    interfaces: {eth0: {ipv4: [192.0.2.2/24]}}
  sw: {kind: switch}
links:
  - {kind: slip, endpoints: [z1:serial1, sw]}
  - {endpoints: [h1:eth0, sw]}
  - {endpoints: [h2:eth0, sw]}
  - {kind: slip, mode: ip, endpoints: [z1:serial2, h2:sl0]}
  - {kind: slip, endpoints: [z1:serial3, z2:serial1]}
  - {kind: slip, endpoints: [z2:serial2, h3:eth0]}
`,
    );
    const up = await env.run(['up', file, '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(
      await until(() => peers.every((p) => p.connected), SETTLE_MS),
      'every serial port is relayed to its peer',
    ).toBe(true);

    const status = JSON.parse((await env.run(['status', LAB, '--json'])).stdout) as LabStatus;
    expect(status.nodes.find((n) => n.name === 'z1')?.state).toBe('ready');
    const slipTap = status.links.find((l) => l.id === 'z1:serial1--sw');
    expect(slipTap).toMatchObject({ kind: 'slip', linkType: 'ethernet', ports: ['z1:serial1'] });
    const slipIp = status.links.find((l) => l.id === 'z1:serial2--h2:sl0');
    expect(slipIp).toMatchObject({
      kind: 'slip',
      linkType: 'raw-ip',
      ports: ['z1:serial2', 'h2:sl0'],
    });

    // The host's sl0 is a TUN (no link-layer address) with its address, MTU 576 and forwarding.
    const sl0 = await env.run([
      'exec',
      'h2',
      '--lab',
      LAB,
      '--',
      'ip',
      '-j',
      '-d',
      'link',
      'show',
      'sl0',
    ]);
    const [link] = JSON.parse(sl0.stdout) as { link_type: string; mtu: number }[];
    expect(link).toMatchObject({ link_type: 'none', mtu: 576 });
    const fwd = await env.run([
      'exec',
      'h2',
      '--lab',
      LAB,
      '--',
      'sysctl',
      '-n',
      'net.ipv4.ip_forward',
    ]);
    expect(fwd.stdout.trim()).toBe('1');

    // SLIP-TAP straight to a host interface.
    const h3 = await env.run(pingArgs('h3', '192.0.2.1', 2, LAB));
    expect(h3.code, h3.stdout + h3.stderr).toBe(0);
    expect(direct.echoes).toBe(2);

    // Raw-IP SLIP: h2 pings the peer over its TUN, and h1 reaches it routed through h2.
    const ipFile = await capture(env, 'z1:serial2--h2:sl0', async () => {
      const direct = await env.run(pingArgs('h2', '198.51.100.1', 3, LAB));
      expect(direct.code, direct.stdout + direct.stderr).toBe(0);
      const routed = await env.run(pingArgs('h1', '198.51.100.1', 3, LAB));
      expect(routed.code, routed.stdout + routed.stderr).toBe(0);
    });
    expect(ip.echoes).toBeGreaterThanOrEqual(6);
    const ipTypes = await icmpTypes(ipFile);
    expect(ipTypes.filter((t) => t === '8').length).toBeGreaterThanOrEqual(6);
    expect(ipTypes.filter((t) => t === '0').length).toBeGreaterThanOrEqual(6);
    const ipEncap = await tshark([
      '-r',
      ipFile,
      '-c',
      '1',
      '-T',
      'fields',
      '-e',
      'frame.encap_type',
    ]);
    expect(ipEncap.trim()).toBe('7'); // Raw IP (LINKTYPE_RAW 101)
    const raw = port(await stats(env), 'z1:serial2');
    expect(raw.linkType).toBe('raw-ip');
    expect(raw.rx.frames).toBeGreaterThanOrEqual(6);

    // Serial to serial: frames full of END and ESC bytes cross both ways unchanged.
    const frame = (fill: number): Buffer =>
      Buffer.concat([Buffer.alloc(30, 0xc0), Buffer.alloc(30, 0xdb), Buffer.alloc(4, fill)]);
    left.send([frame(1), frame(2)]);
    right.send([frame(3)]);
    expect(
      await until(() => right.received.length >= 2 && left.received.length >= 1, SETTLE_MS),
    ).toBe(true);
    expect(right.received).toEqual([frame(1), frame(2)]);
    expect(left.received).toEqual([frame(3)]);
    const joined = await stats(env);
    expect(port(joined, 'z1:serial3')).toMatchObject({ rx: { frames: 2 }, tx: { frames: 1 } });
    expect(port(joined, 'z2:serial1')).toMatchObject({ rx: { frames: 1 }, tx: { frames: 2 } });

    // Bad SLIP from the peer: a bad escape, a frame over the MTU, and text between frames.
    tap.writeRaw(Buffer.from([0xc0, 1, 2, 3, 0xdb, 0x41, 4, 0xc0]));
    tap.writeRaw(
      Buffer.concat([Buffer.from([0xc0]), Buffer.alloc(2000, 0x11), Buffer.from([0xc0])]),
    );
    tap.writeRaw(Buffer.from('\xc0ok\r\n\xc0', 'latin1'));
    let extra: Record<string, number> | undefined;
    expect(
      await until(async () => {
        extra = port(await stats(env), 'z1:serial1').extra;
        return (extra?.['between-frames'] ?? 0) >= 4;
      }, SETTLE_MS),
    ).toBe(true);
    expect(extra).toEqual({ 'bad-escape': 1, oversize: 1, 'between-frames': 4 });
    const human = await env.run(['stats', '--lab', LAB]);
    expect(human.stdout).toMatch(/EVENTS/);
    expect(human.stdout).toMatch(/z1:serial1 .*bad-escape=1 oversize=1 between-frames=4/);
    // The line is in step again: a ping still works.
    expect((await env.run(pingArgs('h1', '192.0.2.1', 1, LAB))).code).toBe(0);

    const down = await env.run(['down', LAB]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, LAB)).toEqual([]);
  });
});
