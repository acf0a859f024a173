// End to end with real QEMU (TCG, no KVM): the test guest of test/guest/ on a switch with a host
// node, two guests together, SLIRP with host forwards, link up/down, crash and restart, a fault
// timeline that pulls a guest's cable, and labs that must fail before anything starts.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CounterSnapshot,
  FaultStatus,
  LabStatus,
  NodeStatus,
} from '../../src/shared/contract.js';
import { connectLab } from '../../src/engine/launcher.js';
import { requireGuestKit, type GuestKit } from '../guest/guestKit.js';
import { CliEnv, IS_ROOT, leftovers, ROOT, tshark, until } from '../helpers/cli.js';
import { elfFile } from '../helpers/elfBytes.js';

const HAVE_QEMU = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
/** A whole lab of TCG guests on a loaded 2-core machine: boots take 7-20 s each. */
const LAB_TEST_MS = 420_000;
/** Boot of a test guest under TCG, with margin for two booting at once. */
const READY_TIMEOUT = '180s';
/** Console answers: the guest shell answers at once, but TCG on a busy box can lag. */
const CONSOLE_WAIT_MS = 30_000;

function writeLab(env: CliEnv, name: string, yaml: string): string {
  const dir = join(env.runtime, '..', 'files');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** A generic qemu node running the test guest. */
function guestNode(
  kit: GuestKit,
  name: string,
  opts: { append: string; model?: string; restart?: string; mac?: string },
): string {
  return `  ${name}:
    kind: qemu
    binary: qemu-system-x86_64
    machine: q35
    memory: 256
    kernel: ${kit.kernel}
    initrd: ${kit.initrd}
    append: console=ttyS0 quiet ${opts.append}
    nics:
      eth0: { model: ${opts.model ?? 'virtio-net-pci'}${opts.mac ? `, mac: "${opts.mac}"` : ''} }
    ready: { pattern: NETWEAVE-GUEST-READY, timeout: ${READY_TIMEOUT} }
${opts.restart ? `    restart: ${opts.restart}\n` : ''}`;
}

async function status(env: CliEnv, lab: string): Promise<LabStatus> {
  const r = await env.run(['status', lab, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as LabStatus;
}

/** Bytes h1 sends to the guest's TCP echo server (port 4242). */
const ECHO_BYTES = 2 * 1024 * 1024;
/** Sends ECHO_BYTES to g1's echo server while reading the echo; prints whether it matched. */
const ECHO_CLIENT = [
  'import socket, threading',
  `data = bytes((i * 7 + (i >> 8)) & 255 for i in range(${ECHO_BYTES}))`,
  "c = socket.create_connection(('192.0.2.1', 4242), timeout=120)",
  'def send():',
  '    c.sendall(data)',
  '    c.shutdown(socket.SHUT_WR)',
  't = threading.Thread(target=send)',
  't.start()',
  'got = bytearray()',
  'while True:',
  '    b = c.recv(1 << 16)',
  '    if not b:',
  '        break',
  '    got += b',
  't.join()',
  "print('ECHO', len(got), bytes(got) == data)",
].join('\n');

function node(s: LabStatus, name: string): NodeStatus {
  const n = s.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

/**
 * Types a command into a node's console and waits until the console shows `expect` (compute the
 * marker in the guest, e.g. $((40+2)), so the echoed command line does not match itself).
 */
async function consoleRun(
  env: CliEnv,
  lab: string,
  nodeName: string,
  line: string,
  expected: RegExp,
  ms = CONSOLE_WAIT_MS,
): Promise<string> {
  process.env['NETWEAVE_RUNTIME_DIR'] = env.runtime;
  const client = await connectLab(lab);
  let text = '';
  try {
    client.on('consoleData', (e) => {
      if (e.node === nodeName) text += e.data;
    });
    await client.call('consoleWrite', { node: nodeName, data: `${line}\r` });
    await until(() => expected.test(text), ms, 100);
    return text;
  } finally {
    client.dispose();
  }
}

/** Pings from a host node, retrying while a guest's carrier or ARP settles. */
async function pingFrom(env: CliEnv, lab: string, from: string, to: string): Promise<boolean> {
  return until(
    async () =>
      (await env.run(['exec', from, '--lab', lab, '--', 'ping', '-c', '1', '-W', '2', to])).code ===
      0,
    60_000,
    500,
  );
}

function stats(env: CliEnv, lab: string): Promise<CounterSnapshot> {
  return env
    .run(['stats', '--lab', lab, '--json'])
    .then((r) => JSON.parse(r.stdout) as CounterSnapshot);
}

const skipReason = !IS_ROOT
  ? 'needs root'
  : !HAVE_QEMU
    ? 'qemu-system-x86_64 is not installed'
    : '';

describe.skipIf(skipReason !== '')(
  `qemu guests on a switch (${skipReason || 'real QEMU, TCG'})`,
  () => {
    const env = new CliEnv();
    const lab = 'qemu-sw';
    let kit: GuestKit;

    beforeAll(async () => {
      kit = await requireGuestKit();
    });
    afterAll(async () => {
      await env.run(['down', lab]);
      if (process.env['NETWEAVE_KEEP_TEST_DIRS'] === undefined) env.dispose();
    });

    it(
      'pings both ways, counts frames, takes console input, joins two guests, pulls the cable, and survives a crash',
      async () => {
        const file = writeLab(
          env,
          lab,
          `name: ${lab}
nodes:
${guestNode(kit, 'g1', { append: 'nw.ip=192.0.2.1/24 nw.ip6=2001:db8::1/64' })}${guestNode(kit, 'g2', { append: 'nw.ip=192.0.2.3/24', model: 'e1000', restart: 'on-failure' })}  h1:
    kind: host
    interfaces: { eth0: { ipv4: [192.0.2.2/24], ipv6: [2001:db8::2/64] } }
  sw: { kind: switch }
links:
  - endpoints: [g1:eth0, sw]
  - endpoints: [g2:eth0, sw]
  - endpoints: [h1:eth0, sw]
`,
        );
        const up = await env.run(['up', file, '--detach'], { timeoutMs: 300_000 });
        expect(up.code, up.stderr + up.stdout).toBe(0);
        let s = await status(env, lab);
        expect(s.nodes.map((n) => `${n.name}:${n.state}`).sort()).toEqual([
          'g1:ready',
          'g2:ready',
          'h1:ready',
          'sw:ready',
        ]);
        const macs = s.nodes.flatMap((n) => n.ports.map((p) => p.mac)).filter(Boolean);
        expect(new Set(macs).size).toBe(2);
        expect(macs.every((m) => m?.startsWith('00:00:5e:00:53:'))).toBe(true);

        // The console shows the boot and accepts input.
        process.env['NETWEAVE_RUNTIME_DIR'] = env.runtime;
        const c = await connectLab(lab);
        const { data: boot } = await c.call('consoleScrollback', { node: 'g1' });
        c.dispose();
        expect(boot).toMatch(/NETWEAVE-GUEST-READY 192\.0\.2\.1\/24/);
        await consoleRun(env, lab, 'g1', 'echo DONE-$((40+2))', /DONE-42/);

        // Host to guest and guest to host, IPv4 and IPv6; the guest's port counters move.
        const before = await stats(env, lab);
        expect(await pingFrom(env, lab, 'h1', '192.0.2.1')).toBe(true);
        expect(await pingFrom(env, lab, 'h1', '2001:db8::1')).toBe(true);
        await consoleRun(
          env,
          lab,
          'g1',
          'ping -c 2 -W 3 192.0.2.2 >/dev/null && echo PING-$((1+1))-OK',
          /PING-2-OK/,
        );
        const after = await stats(env, lab);
        const frames = (snap: CounterSnapshot, dir: 'rx' | 'tx'): number =>
          snap.ports.find((p) => p.port === 'g1:eth0')?.[dir].frames ?? 0;
        expect(frames(after, 'rx') - frames(before, 'rx')).toBeGreaterThanOrEqual(4);
        expect(frames(after, 'tx') - frames(before, 'tx')).toBeGreaterThanOrEqual(4);

        // h1's TCP (its TAP takes TSO) hands the fabric super-frames; the guest's NIC cannot
        // take them, so they reach it as wire frames, and its TCP echoes 2 MB back intact.
        const capFile = join(env.runtime, '..', 'h1-tso.pcapng');
        const cap = env.spawn(['capture', 'h1:eth0--sw', '--lab', lab, '-w', capFile]);
        let capSaid = '';
        cap.stderr?.on('data', (chunk: Buffer) => (capSaid += chunk.toString()));
        expect(await until(() => capSaid.includes('capturing'))).toBe(true);
        const beforeEcho = await stats(env, lab);
        const echo = await env.run(
          ['exec', 'h1', '--lab', lab, '--', 'python3', '-c', ECHO_CLIENT],
          { timeoutMs: 240_000 },
        );
        cap.kill('SIGINT');
        await new Promise((r) => cap.once('exit', r));
        expect(echo.code, echo.stderr).toBe(0);
        expect(echo.stdout.trim()).toBe(`ECHO ${ECHO_BYTES} True`);
        const afterEcho = await stats(env, lab);
        const g1Tx = (snap: CounterSnapshot) => {
          const p = snap.ports.find((x) => x.port === 'g1:eth0');
          if (!p) throw new Error('no port g1:eth0');
          return p.tx;
        };
        expect(g1Tx(afterEcho).frames - g1Tx(beforeEcho).frames).toBeGreaterThanOrEqual(
          Math.ceil(ECHO_BYTES / 1460),
        );
        expect(g1Tx(afterEcho).drops['too-big']).toBe(g1Tx(beforeEcho).drops['too-big']);
        const lengths = await tshark(['-r', capFile, '-T', 'fields', '-e', 'frame.len']);
        expect(Math.max(...lengths.trim().split('\n').map(Number))).toBeGreaterThan(1514);

        // Two guests with distinct MACs reach each other.
        await consoleRun(
          env,
          lab,
          'g1',
          'ping -c 2 -W 3 192.0.2.3 >/dev/null && echo PEER-$((2+1))-OK',
          /PEER-3-OK/,
          60_000,
        );

        // Pulling the cable stops traffic; plugging it back restores it.
        const down = await env.run(['link', 'g1:eth0', 'down', '--lab', lab]);
        expect(down.code, down.stderr).toBe(0);
        expect(down.stdout).toMatch(/g1:eth0 is down/);
        const lost = await env.run([
          'exec',
          'h1',
          '--lab',
          lab,
          '--',
          'ping',
          '-c',
          '2',
          '-W',
          '1',
          '192.0.2.1',
        ]);
        expect(lost.code).not.toBe(0);
        await consoleRun(
          env,
          lab,
          'g1',
          'cat /sys/class/net/eth0/carrier; echo CARRIER-$((3+4))',
          /0\s+CARRIER-7/,
        );
        expect((await env.run(['link', 'g1:eth0', 'up', '--lab', lab])).code).toBe(0);
        expect(await pingFrom(env, lab, 'h1', '192.0.2.1')).toBe(true);

        // Reset (QMP system_reset): the guest boots again and comes back on the network.
        const readyLines = async (): Promise<number> => {
          const cl = await connectLab(lab);
          try {
            const { data } = await cl.call('consoleScrollback', { node: 'g1' });
            return data.match(/NETWEAVE-GUEST-READY/g)?.length ?? 0;
          } finally {
            cl.dispose();
          }
        };
        const bootsBefore = await readyLines();
        const reset = await env.run(['reset', 'g1', '--lab', lab]);
        expect(reset.code, reset.stderr).toBe(0);
        expect(await until(async () => (await readyLines()) > bootsBefore, 120_000, 1000)).toBe(
          true,
        );
        expect(await pingFrom(env, lab, 'h1', '192.0.2.1')).toBe(true);

        // A killed QEMU with restart: on-failure comes back and its port rejoins the fabric.
        // `exec` runs in the engine's pid namespace, where status pids are valid.
        const g2pid = node(await status(env, lab), 'g2').pid;
        expect(g2pid).toBeGreaterThan(0);
        await env.run(['exec', 'h1', '--lab', lab, '--', 'kill', '-9', String(g2pid)]);
        expect(
          await until(
            async () => {
              // A status call that races the restart may fail once; a dead engine fails them all.
              const n = await status(env, lab)
                .then((x) => node(x, 'g2'))
                .catch(() => undefined);
              return n?.state === 'ready' && n.pid !== g2pid;
            },
            240_000,
            1000,
          ),
        ).toBe(true);
        expect(await pingFrom(env, lab, 'h1', '192.0.2.3')).toBe(true);

        // A killed QEMU without a restart policy leaves the node failed with how and why.
        const g1pid = node(await status(env, lab), 'g1').pid;
        await env.run(['exec', 'h1', '--lab', lab, '--', 'kill', '-9', String(g1pid)]);
        expect(
          await until(
            async () => node(await status(env, lab), 'g1').state === 'failed',
            30_000,
            300,
          ),
        ).toBe(true);
        s = await status(env, lab);
        const g1 = node(s, 'g1');
        expect(g1.exit?.signal).toBe('SIGKILL');
        expect(g1.exit?.lastLines.length).toBeGreaterThan(0);
        expect(g1.reason).toMatch(/node "g1" was killed by SIGKILL; last lines:/);
        expect(g1.ports[0]?.up).toBe(false);

        expect((await env.run(['down', lab])).code).toBe(0);
        expect(await leftovers(env, lab)).toEqual([]);
      },
      LAB_TEST_MS,
    );
  },
);

describe.skipIf(skipReason !== '')(
  `qemu guest on slirp (${skipReason || 'real QEMU, TCG'})`,
  () => {
    const env = new CliEnv();
    const lab = 'qemu-slirp';
    let server: ChildProcess | undefined;
    afterAll(async () => {
      server?.kill('SIGKILL');
      await env.run(['down', lab]);
      env.dispose();
    });

    it(
      "reaches a TCP server in the lab's host namespace through 10.0.2.2, and a host forward reaches the guest",
      async () => {
        const kit = await requireGuestKit();
        const file = writeLab(
          env,
          lab,
          `name: ${lab}
nodes:
${guestNode(kit, 'g1', { append: 'nw.dhcp=1', model: 'e1000' })}links:
  - kind: slirp
    endpoints: [g1:eth0]
    forwards: [tcp:14242-4242]
`,
        );
        const up = await env.run(['up', file, '--detach'], { timeoutMs: 300_000 });
        expect(up.code, up.stderr + up.stdout).toBe(0);
        const s = await status(env, lab);
        expect(node(s, 'g1').ports[0]?.forwards).toEqual(['tcp:14242-4242']);
        expect(s.links[0]?.endpoints).toEqual(['g1:eth0']);
        process.env['NETWEAVE_RUNTIME_DIR'] = env.runtime;
        const c = await connectLab(lab);
        const { data: boot } = await c.call('consoleScrollback', { node: 'g1' });
        c.dispose();
        expect(boot).toMatch(/NETWEAVE-GUEST-READY 10\.0\.2\.15\/24/);

        // QEMU runs in the engine's network namespace (the lab's "host"); so do its forwards.
        // The test enters it with nsenter through the engine's host pid.
        const netns = [`--target=${s.enginePid}`, '--net', '--'];
        server = spawn(
          'nsenter',
          [
            ...netns,
            process.execPath,
            '-e',
            "require('net').createServer((c) => c.end('LAB-HOST-OK\\n')).listen(5555, '127.0.0.1')",
          ],
          { stdio: 'ignore' },
        );

        await consoleRun(env, lab, 'g1', 'nc 10.0.2.2 5555 </dev/null', /LAB-HOST-OK/, 60_000);

        const echo = await new Promise<string>((res) => {
          execFile(
            'nsenter',
            [...netns, 'sh', '-c', 'echo FWD-ECHO | busybox nc -w 5 127.0.0.1 14242'],
            (_e, out) => res(out),
          );
        });
        expect(echo).toMatch(/FWD-ECHO/);

        expect((await env.run(['down', lab])).code).toBe(0);
        expect(await leftovers(env, lab)).toEqual([]);
      },
      LAB_TEST_MS,
    );
  },
);

/** A real native_sim_64 build: an x86-64 ELF that is no kernel for qemu_x86. */
const NATIVE_SIM_64_EXE = join(
  ROOT,
  '..',
  'shared',
  'zephyr',
  'v4.3.0',
  'echo_server-native_sim_64',
  'zephyr',
  'zephyr.exe',
);

describe.skipIf(skipReason !== '')(
  `a fault timeline on a QEMU guest's link (${skipReason || 'real QEMU, TCG'})`,
  () => {
    const env = new CliEnv();
    const lab = 'qemu-fault';
    let kit: GuestKit;

    beforeAll(async () => {
      kit = await requireGuestKit();
    });
    afterAll(async () => {
      await env.run(['down', lab]);
      expect(await leftovers(env, lab)).toEqual([]);
      if (process.env['NETWEAVE_KEEP_TEST_DIRS'] === undefined) env.dispose();
    });

    it(
      'takes the link down at 5 s and up at 10 s: the guest sees its carrier go and come back, pings stop and resume, and the firings carry their times',
      async () => {
        const file = writeLab(
          env,
          lab,
          `name: ${lab}
nodes:
${guestNode(kit, 'g1', { append: 'nw.ip=192.0.2.1/24' })}  h1:
    kind: host
    interfaces: { eth0: { ipv4: [192.0.2.2/24] } }
  sw: { kind: switch }
links:
  - endpoints: [g1:eth0, sw]
  - endpoints: [h1:eth0, sw]
faults:
  - {at: 5s, for: 5s, link: g1:eth0--sw, action: down}
`,
        );
        const up = await env.run(['up', file, '--detach'], { timeoutMs: 300_000 });
        expect(up.code, up.stderr + up.stdout).toBe(0);
        // From now until well after the window: a ping every 200 ms, each line with its time.
        const pings = env.run(
          [
            'exec',
            'h1',
            '--lab',
            lab,
            '--',
            'ping',
            '-n',
            '-i',
            '0.2',
            '-W',
            '1',
            '-w',
            '18',
            '192.0.2.1',
          ],
          { timeoutMs: 60_000 },
        );
        // ...and the guest prints its carrier twice a second.
        await consoleRun(
          env,
          lab,
          'g1',
          '(while :; do echo CARRIER=$(cat /sys/class/net/eth0/carrier); sleep 0.5; done &); echo LOOP-$((5+5))',
          /LOOP-10/,
        );
        const faults = async (): Promise<FaultStatus[]> =>
          JSON.parse((await env.run(['faults', lab, '--json'])).stdout) as FaultStatus[];
        expect(await until(async () => (await faults())[0]?.fired.length === 2, 60_000, 250)).toBe(
          true,
        );
        const [fault] = await faults();
        expect(fault?.fired.map((e) => [e.action, e.ok])).toEqual([
          ['down', true],
          ['up', true],
        ]);
        // Each at its time after ready (timers only fire late, by a loaded machine's delay).
        expect(fault?.fired[0]?.atMs).toBeGreaterThanOrEqual(5000);
        expect(fault?.fired[0]?.atMs).toBeLessThan(5000 + 2000);
        expect(fault?.fired[1]?.atMs).toBeGreaterThanOrEqual(10000);
        expect(fault?.fired[1]?.atMs).toBeLessThan(10000 + 2000);

        // Pings: answered before the window, a gap of about its length, answered after.
        const ping = await pings;
        const seqs = [...ping.stdout.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
        expect(seqs.length, ping.stdout + ping.stderr).toBeGreaterThan(10);
        let gap = { from: 0, to: 0 };
        for (let i = 1; i < seqs.length; i++) {
          const a = seqs[i - 1] ?? 0;
          const b = seqs[i] ?? 0;
          if (b - a > gap.to - gap.from) gap = { from: a, to: b };
        }
        const gapS = ((gap.to - gap.from - 1) * 0.2).toFixed(1);
        // 5 s down: 25 unanswered pings at 200 ms, less the one in flight at each edge.
        expect(Number(gapS), `longest gap ${gapS} s in:\n${ping.stdout}`).toBeGreaterThanOrEqual(4);
        expect(Number(gapS), `longest gap ${gapS} s in:\n${ping.stdout}`).toBeLessThanOrEqual(6.5);
        expect(seqs[0]).toBeLessThan(gap.from + 1);
        expect(seqs[seqs.length - 1]).toBeGreaterThan(gap.to - 1);

        // The guest saw its carrier go (QMP set_link, as `netweave link` does) and come back.
        let shown = '';
        const carrierCameBack = await until(async () => {
          const cl = await connectLab(lab);
          try {
            shown = (await cl.call('consoleScrollback', { node: 'g1' })).data;
            return /CARRIER=1[\s\S]*CARRIER=0[\s\S]*CARRIER=1/.test(shown);
          } finally {
            cl.dispose();
          }
        }, 30_000);
        expect(carrierCameBack, shown.slice(-2000)).toBe(true);
      },
      LAB_TEST_MS,
    );
  },
);

describe.skipIf(!IS_ROOT)('qemu labs that cannot start', () => {
  const env = new CliEnv();
  beforeAll(() => {
    // A 32-bit ARM ELF header where board qemu_x86 boots i386 ones, beside the topology files.
    const dir = join(env.runtime, '..', 'files');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'arm-zephyr.elf'),
      elfFile({ bits: 32, endian: 'little', machine: 40 }),
    );
  });
  afterAll(() => env.dispose());

  const cases: [string, string, RegExp][] = [
    [
      'missing-binary',
      '    binary: qemu-system-nonexistent\n    machine: virt\n    kernel: /etc/hostname\n',
      /node "g" needs qemu-system-nonexistent, which is not installed .*; install it/,
    ],
    [
      'missing-kernel',
      '    board: qemu_x86\n    kernel: no/such/zephyr.elf\n',
      /the kernel file .*no\/such\/zephyr\.elf of node "g" does not exist; build it or fix "kernel:"/,
    ],
    [
      'unknown-board',
      '    board: qemu_riscv64\n    kernel: zephyr.elf\n',
      /unknown board "qemu_riscv64"; valid boards are qemu_x86, qemu_x86_64/,
    ],
    [
      'kernel-for-arm',
      '    board: qemu_x86\n    kernel: arm-zephyr.elf\n',
      /node "g" kernel arm-zephyr\.elf is an ELF for ARM, but board qemu_x86 runs qemu-system-i386 \(i386\); build it for qemu_x86 or pick the matching board;/,
    ],
    [
      'kernel-is-native-sim',
      `    board: qemu_x86\n    kernel: ${NATIVE_SIM_64_EXE}\n`,
      /kernel \S+\/zephyr\.exe is an ELF for x86-64, but board qemu_x86 runs qemu-system-i386 \(i386\); build it for qemu_x86/,
    ],
  ];
  for (const [name, settings, message] of cases) {
    it(`${name}: fails with one clear sentence before anything starts and leaves nothing behind`, async () => {
      const file = writeLab(
        env,
        name,
        `name: ${name}\nnodes:\n  h1: { kind: host, interfaces: { eth0: {} } }\n  g:\n    kind: qemu\n${settings}    nics: { eth0: {} }\nlinks:\n  - endpoints: [g:eth0, h1:eth0]\n`,
      );
      const r = await env.run(['up', file, '--detach']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await leftovers(env, name)).toEqual([]);
    });
  }
});
