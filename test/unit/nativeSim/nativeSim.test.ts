// native-sim: the exact zephyr.exe argv per flag style, and the settings checks.
import { describe, expect, it } from 'vitest';
import {
  nativeSimArgs,
  nativeSimTaps,
  ipv4Netmask,
} from '../../../src/engine/nodes/native-sim/argv.js';
import { checkNativeSimExe } from '../../../src/engine/nodes/native-sim/index.js';
import {
  nativeSimSchema,
  type NativeSimNodeSpec,
} from '../../../src/shared/topology/kinds/nativeSim.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';

const spec = (s: Record<string, unknown>): NativeSimNodeSpec =>
  nativeSimSchema.parse({ kind: 'native-sim', exe: 'zephyr.exe', ...s });

function problems(node: string): string[] {
  const r = validateTopologyText(`name: t\nnodes:\n  z:\n${node}`, 't.yaml');
  return r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
}

describe('zephyr.exe command line', () => {
  it('one TAP: --eth-if names it; MAC, IPv4 address, netmask, gateway, --no-rt, seed, extra args', () => {
    expect(
      nativeSimArgs(
        spec({
          mac: '00:00:5e:00:53:01',
          ipv4: '192.0.2.1/24',
          gateway: '192.0.2.254',
          rt: false,
          seed: 7,
          args: ['--foo'],
        }),
      ),
    ).toEqual([
      '--eth-if=zeth',
      '--mac-addr=00:00:5e:00:53:01',
      '--ipv4-addr=192.0.2.1',
      '--ipv4-nm=255.255.255.0',
      '--ipv4-gw=192.0.2.254',
      '--no-rt',
      '--seed=7',
      '--foo',
    ]);
    expect(nativeSimArgs(spec({ rt: true }))).toEqual(['--eth-if=zeth', '--rt']);
  });

  it('3.x with several TAPs: no --eth-if (it would rename all), TAPs named zeth0..N', () => {
    const s = spec({ ports: { eth0: {}, eth1: {} } });
    expect(nativeSimTaps(s)).toEqual([
      { port: 'eth0', tap: 'zeth0', flag: undefined },
      { port: 'eth1', tap: 'zeth1', flag: undefined },
    ]);
    expect(nativeSimArgs(s)).toEqual([]);
  });

  it('4.5: --eth-if for the first TAP, --<dtNode>_eth-if for the others; a per-port flag wins', () => {
    const s = spec({
      flags: '4.5',
      ports: {
        eth0: { tap: 'zeth' },
        eth1: { tap: 'zeth1', dtNode: 'eth1' },
        eth2: { tap: 'z2', flag: 'custom_eth-if' },
      },
    });
    expect(nativeSimArgs(s)).toEqual([
      '--eth-if=zeth',
      '--eth1_eth-if=zeth1',
      '--custom_eth-if=z2',
    ]);
  });

  it('a custom driver name (CONFIG_ETH_NATIVE_TAP_DRV_NAME) names the TAP', () => {
    expect(nativeSimArgs(spec({ drvName: 'zeth.1' }))).toEqual(['--eth-if=zeth.1']);
  });

  it('offloaded sockets get no Ethernet options', () => {
    expect(nativeSimArgs(spec({ sockets: 'offloaded', rt: false }))).toEqual(['--no-rt']);
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

  it('rejects a static MAC with several TAPs, a renamed TAP in 3.x multi-port, and 4.5 ports without dtNode', () => {
    expect(
      problems(
        '    kind: native-sim\n    exe: z.exe\n    mac: 00:00:5e:00:53:01\n    ports: {eth0: {}, eth1: {}}\n',
      )[0],
    ).toMatch(/refuses a static MAC/);
    expect(
      problems(
        '    kind: native-sim\n    exe: z.exe\n    ports: {eth0: {}, eth1: {tap: foo}}\n',
      )[0],
    ).toMatch(/opens zeth0, zeth1 by itself/);
    expect(
      problems(
        '    kind: native-sim\n    exe: z.exe\n    flags: "4.5"\n    ports: {eth0: {}, eth1: {}}\n',
      )[0],
    ).toMatch(/needs "dtNode:"/);
  });

  it('names the valid flag styles and requires exe', () => {
    expect(problems('    kind: native-sim\n    exe: z.exe\n    flags: "5"\n')[0]).toMatch(
      /unknown flag style "5"; valid flag styles are 3.x, 4.5/,
    );
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
