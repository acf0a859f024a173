// native-sim: zephyr.exe's options read from its --help, the exact argv planned from them, the
// settings a build cannot honour, seeds, and the settings checks.
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  ipv4Netmask,
  planNativeSimLaunch,
} from '../../../src/kinds/nodes/native-sim/engine/argv.js';
import { checkNativeSimExe } from '../../../src/kinds/nodes/native-sim/engine/index.js';
import { parseNativeSimHelp } from '../../../src/kinds/nodes/native-sim/engine/probe.js';
import type * as probeModule from '../../../src/kinds/nodes/native-sim/engine/probe.js';
import { allocateSeeds } from '../../../src/kinds/nodes/native-sim/engine/seeds.js';
import { UartHandshake } from '../../../src/kinds/nodes/native-sim/engine/uartHandshake.js';
import {
  nativeSimSchema,
  type NativeSimNodeSpec,
} from '../../../src/kinds/nodes/native-sim/definition.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';

const spec = (s: Record<string, unknown>): NativeSimNodeSpec =>
  nativeSimSchema.parse({ kind: 'native-sim', exe: 'zephyr.exe', ...s });

function problems(node: string, more = ''): string[] {
  const r = validateTopologyText(`name: t\nnodes:\n  z:\n${node}${more}`, 't.yaml');
  return r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
}

/** The synopsis Zephyr 3.5.0's native_sim_64 echo_server prints for --help (real build). */
const HELP_3_5 = `[-h] [--h] [--help] [-?] [-color] [-no-color] [-force-color] [-rt] [-no-rt] [-rt-drift=<dratio>] 
[-rt-ratio=<ratio>] [-rtc-offset=<time_offset>] [-rtc-reset] [-stop_at=<time>] [-seed=<r_seed>] 
[-attach_uart] [-attach_uart_cmd=<"cmd">] [-testargs <arg>...] 

 [-h] [--h] [--help] [-?]     :Display this help
 [-seed=<r_seed>]             :A 32-bit integer seed value for the entropy device
`;

/** The synopsis Zephyr 4.3.0's native_sim/native/64 echo_server prints for --help (real build). */
const HELP_4_3 = `[-h] [--h] [--help] [-?] [-color] [-no-color] [-force-color] [-rt] [-no-rt] [-rt-drift=<dratio>] 
[-rt-ratio=<ratio>] [-rtc-offset=<time_offset>] [-rtc-reset] [-stop_at=<time>] [-seed=<r_seed>] 
[-seed-random] [-eth-if=<name>] [-mac-addr=<mac>] [-ipv4-addr=<ipv4>] [-ipv4-gw=<ipv4>] 
[-ipv4-nm=<ipv4>] [-device_id=<id>] [-attach_uart] [-attach_uart_cmd=<"cmd">] [-wait_uart] 
[-uart_stdinout] [-uart_attach_uart] [-uart_attach_uart_cmd=<"cmd">] [-uart_wait_uart] 
[-testargs <arg>...] 

 [-eth-if=<name>]             :Name of the eth interface to use
`;

/** A 4.5-style synopsis: per-devicetree-node interface options (as Zephyr's binding documents). */
const HELP_4_5 = `[-h] [--h] [--help] [-?] [-rt] [-no-rt] [-seed=<r_seed>] [-eth-if=<name>] 
[-eth0_eth-if=<name>] [-eth1_eth-if=<name>] [-eth2_eth-if=<name>] [-mac-addr=<mac>] [-wait_uart] 

`;

const opts35 = parseNativeSimHelp(HELP_3_5)!;
const opts43 = parseNativeSimHelp(HELP_4_3)!;
const opts45 = parseNativeSimHelp(HELP_4_5)!;

describe('zephyr.exe --help', () => {
  it('lists the options of a 3.5 build: no --eth-if, no --mac-addr, -attach_uart_cmd and -seed', () => {
    expect(opts35.has('eth-if')).toBe(false);
    expect(opts35.has('mac-addr')).toBe(false);
    expect(opts35.has('attach_uart_cmd')).toBe(true);
    expect(opts35.options.get('seed')).toEqual({ takesValue: true });
    expect(opts35.options.get('rt')).toEqual({ takesValue: false });
    expect(opts35.has('testargs')).toBe(true);
    expect(opts35.ethIfNodes).toEqual([]);
  });

  it('lists the options of a 4.3 build, and the per-interface options of 4.5', () => {
    for (const o of ['eth-if', 'mac-addr', 'ipv4-addr', 'ipv4-nm', 'ipv4-gw', 'wait_uart'])
      expect(opts43.has(o)).toBe(true);
    expect(opts43.ethIfNodes).toEqual([]);
    expect(opts45.ethIfNodes).toEqual(['eth0', 'eth1', 'eth2']);
  });

  it('is not a zephyr.exe help without the parser signature', () => {
    expect(parseNativeSimHelp('Usage: foo [--help]')).toBeUndefined();
    expect(parseNativeSimHelp('zephyr.exe: 1: Syntax error: word unexpected')).toBeUndefined();
  });
});

type ProbeModule = typeof probeModule;

describe('zephyr.exe --help probe', () => {
  it('runs --help once per file identity, remembered on disk by the next process; a rebuilt exe is probed again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nwprobe-'));
    const before = process.env['NETWEAVE_CACHE_DIR'];
    process.env['NETWEAVE_CACHE_DIR'] = join(dir, 'cache');
    try {
      const exe = join(dir, 'zephyr.exe');
      const runs = join(dir, 'runs');
      writeFileSync(runs, '');
      writeFileSync(exe, `#!/bin/sh\necho run >> '${runs}'\ncat <<'EOF'\n${HELP_4_3}EOF\n`);
      chmodSync(exe, 0o755);
      const count = (): number => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;
      const load = async (): Promise<ProbeModule> => {
        vi.resetModules();
        return import('../../../src/kinds/nodes/native-sim/engine/probe.js');
      };

      const first = await load();
      expect((await first.probeNativeSim('z', exe)).has('eth-if')).toBe(true);
      await first.probeNativeSim('z', exe);
      expect(count()).toBe(1);
      // A new process (a fresh module): the help comes from the disk.
      const second = await load();
      expect((await second.probeNativeSim('z', exe)).has('mac-addr')).toBe(true);
      expect(count()).toBe(1);
      // Rebuilt (another size and mtime): probed again.
      appendFileSync(exe, '# rebuilt\n');
      const third = await load();
      expect((await third.probeNativeSim('z', exe)).has('seed')).toBe(true);
      expect(count()).toBe(2);
    } finally {
      if (before === undefined) delete process.env['NETWEAVE_CACHE_DIR'];
      else process.env['NETWEAVE_CACHE_DIR'] = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('zephyr.exe command line', () => {
  const extras = { defaultSeed: 77, attachCommand: 'read -r nw_uart < /x' };

  it('3.5: no --eth-if (the TAP takes the build name), the seed, the attach handshake', () => {
    expect(planNativeSimLaunch('z', spec({}), opts35, extras)).toEqual({
      args: ['--seed=77', '--attach_uart_cmd=read -r nw_uart < /x'],
      taps: [{ port: 'eth0', tap: 'zeth', flag: undefined }],
      uart: 'command',
      seed: 77,
    });
  });

  it('4.3: --eth-if names the TAP; MAC, IPv4 address, netmask, gateway, --no-rt, seed, extra args', () => {
    const launch = planNativeSimLaunch(
      'z',
      spec({
        mac: '00:00:5e:00:53:01',
        ipv4: '192.0.2.1/24',
        gateway: '192.0.2.254',
        rt: false,
        seed: 7,
        args: ['--foo'],
      }),
      opts43,
      extras,
    );
    expect(launch.args).toEqual([
      '--eth-if=zeth',
      '--mac-addr=00:00:5e:00:53:01',
      '--ipv4-addr=192.0.2.1',
      '--ipv4-nm=255.255.255.0',
      '--ipv4-gw=192.0.2.254',
      '--no-rt',
      '--seed=7',
      '--attach_uart_cmd=read -r nw_uart < /x',
      '--foo',
    ]);
    expect(launch.seed).toBe(7);
  });

  it('without an attach command a build with -wait_uart holds its UART until the engine reads it', () => {
    const launch = planNativeSimLaunch('z', spec({}), opts43, {});
    expect(launch.args).toEqual(['--eth-if=zeth', '--wait_uart']);
    expect(launch.uart).toBe('wait');
    expect(planNativeSimLaunch('z', spec({}), opts35, {}).uart).toBe('announced');
  });

  it('several TAPs before 4.5: no --eth-if (it would rename all), TAPs named zeth0..N', () => {
    const launch = planNativeSimLaunch('z', spec({ ports: { eth0: {}, eth1: {} } }), opts43);
    expect(launch.taps).toEqual([
      { port: 'eth0', tap: 'zeth0', flag: undefined },
      { port: 'eth1', tap: 'zeth1', flag: undefined },
    ]);
    expect(launch.args).toEqual(['--wait_uart']);
  });

  it('4.5: each interface by its own option, in the order --help lists them; dtNode and flag win', () => {
    const s = spec({ ports: { eth0: {}, eth1: { tap: 'zz' }, eth2: {} } });
    expect(planNativeSimLaunch('z', s, opts45).args).toEqual([
      '--eth0_eth-if=zeth0',
      '--eth1_eth-if=zz',
      '--eth2_eth-if=zeth2',
      '--wait_uart',
    ]);
    const t = spec({ ports: { a: { dtNode: 'eth2' }, b: { flag: 'eth0_eth-if' } } });
    expect(planNativeSimLaunch('z', t, opts45).args.slice(0, 2)).toEqual([
      '--eth2_eth-if=zeth0',
      '--eth0_eth-if=zeth1',
    ]);
  });

  it('a custom driver name (CONFIG_ETH_NATIVE_TAP_DRV_NAME) names the TAP', () => {
    expect(planNativeSimLaunch('z', spec({ drvName: 'zeth.1' }), opts43).args[0]).toBe(
      '--eth-if=zeth.1',
    );
    expect(planNativeSimLaunch('z', spec({ drvName: 'zeth.1' }), opts35).taps[0]?.tap).toBe(
      'zeth.1',
    );
  });

  it('offloaded sockets get no Ethernet options', () => {
    expect(
      planNativeSimLaunch('z', spec({ sockets: 'offloaded', rt: false }), opts43).args,
    ).toEqual(['--no-rt', '--wait_uart']);
  });

  it('refuses, in one sentence naming the setting and the release, what a 3.5 build cannot honour', () => {
    const plan =
      (s: Record<string, unknown>): (() => unknown) =>
      () =>
        planNativeSimLaunch('zs', spec(s), opts35);
    expect(plan({ mac: '00:00:5e:00:53:01' })).toThrow(
      'native-sim node "zs" sets mac: 00:00:5e:00:53:01, but its zephyr.exe has no --mac-addr option (Zephyr added it in 4.2); remove "mac"',
    );
    expect(plan({ ipv4: '192.0.2.9/24' })).toThrow(
      /no --ipv4-addr option \(Zephyr added it in 4.2\)/,
    );
    expect(plan({ gateway: '192.0.2.254' })).toThrow(/no --ipv4-gw option/);
    expect(plan({ ports: { eth0: { tap: 'zeth2' } } })).toThrow(
      /sets ports.eth0.tap: zeth2, but its zephyr.exe has no --eth-if option \(Zephyr added it in 3.7\); it always opens the TAP "zeth"/,
    );
    expect(plan({ ports: { eth0: { dtNode: 'eth1' } } })).toThrow(
      /no --eth1_eth-if option \(Zephyr added it in 4.5\)/,
    );
    expect(plan({ ports: { eth0: {}, eth1: { tap: 'foo' } } })).toThrow(
      /opens zeth0 and zeth1 by itself|opens zeth0, zeth1 by itself/,
    );
  });

  it("refuses what the build's own Kconfig makes zephyr.exe ignore: a MAC of a random-MAC build, a port count, a TAP name", () => {
    const kconfig = {
      symbol: 'ETH_NATIVE_POSIX',
      randomMac: true,
      interfaceCount: 1,
      drvName: 'zeth',
    };
    const plan =
      (s: Record<string, unknown>, k = kconfig, o = opts43): (() => unknown) =>
      () =>
        planNativeSimLaunch('zs', spec(s), o, { kconfig: k });
    expect(plan({ mac: '00:00:5e:00:53:01' })).toThrow(
      /draws a random MAC \(CONFIG_ETH_NATIVE_POSIX_RANDOM_MAC=y\) and ignores --mac-addr/,
    );
    expect(plan({ ports: { eth0: {}, eth1: {} } })).toThrow(
      /has 2 port\(s\) \(eth0, eth1\), but its build has 1 TAP interface\(s\) \(CONFIG_ETH_NATIVE_POSIX_INTERFACE_COUNT=1\)/,
    );
    expect(plan({}, { ...kconfig, drvName: 'zeth.1' }, opts35)).toThrow(
      /opens TAPs named after "zeth.1" \(CONFIG_ETH_NATIVE_POSIX_DRV_NAME\) .*; set drvName: zeth.1/,
    );
    // With --eth-if the name is passed, so a different drvName is fine; a static MAC build takes a MAC.
    expect(plan({}, { ...kconfig, drvName: 'zeth.1' })).not.toThrow();
    expect(plan({ mac: '00:00:5e:00:53:01' }, { ...kconfig, randomMac: false })).not.toThrow();
  });

  it('netmasks from prefix lengths', () => {
    expect([0, 8, 16, 24, 25, 32].map(ipv4Netmask)).toEqual([
      '0.0.0.0',
      '255.0.0.0',
      '255.255.0.0',
      '255.255.255.0',
      '255.255.255.128',
      '255.255.255.255',
    ]);
  });

  it('the attach command quotes its FIFO path for /bin/sh and doubles % for sprintf', () => {
    expect(UartHandshake.commandFor("/run/a b/it's%s")).toBe(
      "read -r nw_uart < '/run/a b/it'\\''s%%s'",
    );
  });
});

describe('native-sim seeds', () => {
  const topology = (nodes: string): Parameters<typeof allocateSeeds>[0] => {
    const r = validateTopologyText(`name: t\nnodes:\n${nodes}`, 't.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
    return r.topology;
  };

  it('every TAP node without a seed gets its own, the same every time, never another node’s', () => {
    const t = topology(
      '  a: {kind: native-sim, exe: z.exe}\n  b: {kind: native-sim, exe: z.exe}\n  c: {kind: native-sim, exe: z.exe, seed: 5}\n  d: {kind: native-sim, exe: z.exe, sockets: offloaded}\n',
    );
    const seeds = allocateSeeds(t);
    expect([...seeds.keys()].sort()).toEqual(['a', 'b']);
    expect(seeds.get('a')).not.toBe(seeds.get('b'));
    expect([...seeds.values()]).not.toContain(5);
    for (const s of seeds.values()) expect(s).toBeGreaterThanOrEqual(2);
    expect(allocateSeeds(t)).toEqual(seeds);
  });
});

describe('native-sim settings checks', () => {
  it('accepts a TAP node and an offloaded node with interfaces', () => {
    expect(
      problems('    kind: native-sim\n    exe: build/zephyr/zephyr.exe\n    ipv4: 192.0.2.1/24\n'),
    ).toEqual([]);
    expect(
      problems(
        '    kind: native-sim\n    exe: z.exe\n    sockets: offloaded\n    interfaces: {eth0: {ipv4: [192.0.2.1/24]}}\n',
      ),
    ).toEqual([]);
  });

  it('rejects TAP settings on an offloaded node and interfaces on a TAP node', () => {
    expect(
      problems(
        '    kind: native-sim\n    exe: z.exe\n    sockets: offloaded\n    mac: 00:00:5e:00:53:01\n',
      )[0],
    ).toMatch(/nodes.z.mac: "mac" configures the Ethernet TAP driver/);
    expect(
      problems('    kind: native-sim\n    exe: z.exe\n    interfaces: {eth0: {}}\n')[0],
    ).toMatch(/"interfaces" is for "sockets: offloaded"/);
  });

  it('rejects a static MAC with several TAPs', () => {
    expect(
      problems(
        '    kind: native-sim\n    exe: z.exe\n    mac: 00:00:5e:00:53:01\n    ports: {eth0: {}, eth1: {}}\n',
      )[0],
    ).toMatch(/refuses a static MAC/);
  });

  it('refuses two nodes on one segment with the same MAC, or the same seed (the same drawn MAC)', () => {
    const lab = (a: string, b: string): string[] =>
      problems(
        `    kind: native-sim\n    exe: z.exe\n    ${a}\n  y:\n    kind: native-sim\n    exe: z.exe\n    ${b}\n  sw: {kind: switch}\n`,
        'links:\n  - endpoints: [z:eth0, sw]\n  - endpoints: [y:eth0, sw]\n',
      );
    expect(lab('mac: 00:00:5e:00:53:01', 'mac: 00:00:5E:00:53:01')[0]).toMatch(
      /MAC address 00:00:5e:00:53:01 is already used by z:eth0 on the same segment/,
    );
    expect(lab('seed: 9', 'seed: 9')[0]).toMatch(
      /nodes.y.seed: seed 9 is already used by z on the same segment .*same MAC/,
    );
    // srandom(0) is srandom(1): the same MAC.
    expect(lab('seed: 0', 'seed: 1')[0]).toMatch(/seed 1 is already used/);
    expect(lab('seed: 9', 'seed: 10')).toEqual([]);
  });

  it('requires exe', () => {
    expect(problems('    kind: native-sim\n')[0]).toMatch(/exe: with the path of zephyr.exe/);
  });

  it('a missing zephyr.exe is one sentence naming the resolved path', async () => {
    await expect(
      checkNativeSimExe('z', spec({ exe: 'nope/zephyr.exe' }), { topologyDir: '/tmp' }),
    ).rejects.toThrow(
      'native-sim node "z" cannot start: /tmp/nope/zephyr.exe not found (exe: nope/zephyr.exe); build it with `west build -b native_sim` or correct "exe"',
    );
  });
});
