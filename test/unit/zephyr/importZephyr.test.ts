// import-zephyr on fixture build directories (zephyr/.config + CMakeCache.txt written from the
// documented Kconfig symbols): the mode of every networking recipe, the renamed symbols, and the
// lab it produces.
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findNodeKind, validateTopologyText } from '../../../src/shared/topology/index.js';
import {
  detectBuild,
  importZephyr,
  netmaskPrefix,
  parseCMakeCache,
  parseKconfig,
  readBuildFiles,
} from '../../../src/engine/zephyr/index.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../fixtures/zephyr/${name}`, import.meta.url));

const detect = async (name: string) => detectBuild(await readBuildFiles(fixture(name)));

interface LabDoc {
  name: string;
  nodes: Record<string, Record<string, unknown>>;
  links?: { endpoints: string[] }[];
}

describe('build file parsers', () => {
  it('reads y, unset, strings with escapes and numbers from .config', () => {
    const c = parseKconfig(
      'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x \\"q\\""\nCONFIG_D=2\nCONFIG_E=m\n',
    );
    expect([...c.entries()]).toEqual([
      ['A', true],
      ['B', false],
      ['C', 'x "q"'],
      ['D', '2'],
      ['E', true],
    ]);
  });

  it('reads KEY:TYPE=VALUE from CMakeCache.txt and skips comments', () => {
    const c = parseCMakeCache(
      '# c\n//doc\nBOARD:STRING=mps2/an385\nQEMU_EXTRA_FLAGS:UNINITIALIZED=-s -S\n',
    );
    expect(c.get('BOARD')).toBe('mps2/an385');
    expect(c.get('QEMU_EXTRA_FLAGS')).toBe('-s -S');
  });

  it('turns netmasks into prefix lengths', () => {
    expect(netmaskPrefix('255.255.255.0')).toBe(24);
    expect(netmaskPrefix('255.255.0.0')).toBe(16);
    expect(netmaskPrefix('255.255.255.255')).toBe(32);
    expect(netmaskPrefix('255.0.255.0')).toBeUndefined();
  });

  it('names a directory without zephyr/.config in one sentence', async () => {
    await expect(readBuildFiles(fixture('does-not-exist'))).rejects.toThrow(
      /is not a Zephyr build directory \(it has no zephyr\/\.config\); build it first/,
    );
  });
});

describe('detecting the networking mode', () => {
  it.each([
    ['qemu_x86-echo_server', 'qemu', 'qemu-ethernet', 'e1000'],
    ['qemu_cortex_m3-stellaris', 'qemu', 'qemu-ethernet', 'stellaris'],
    ['mps2_an385-lan9118', 'qemu', 'qemu-ethernet', 'lan9118'],
    ['qemu_x86_64-virtio', 'qemu', 'qemu-ethernet', 'virtio-net-pci'],
    ['qemu_x86-user', 'qemu', 'qemu-user', 'e1000'],
    ['qemu_x86-slip-tap', 'qemu', 'slip-tap', undefined],
    ['qemu_x86-slip-raw', 'qemu', 'slip', undefined],
    ['qemu_x86-ppp', 'qemu', 'ppp', undefined],
    ['qemu_x86-802154', 'qemu', 'ieee802154-upipe', undefined],
    ['native_posix-tap', 'native-sim', 'native-tap', undefined],
    ['native_sim-tap2', 'native-sim', 'native-tap', undefined],
    ['native_sim-nsos', 'native-sim', 'native-offloaded', undefined],
    ['fvp_base', 'fvp', 'fvp-user', undefined],
    ['corstone300', 'fvp', 'fvp-user', undefined],
    ['usb-legacy', 'board', 'usb-device', undefined],
    ['usb-next', 'board', 'usb-device', undefined],
  ])('%s is a %s node in mode %s (NIC %s)', async (dir, kind, mode, nic) => {
    const b = await detect(dir);
    expect(b.kind).toBe(kind);
    expect(b.mode).toBe(mode);
    expect(b.nic).toBe(nic);
  });

  it('reads the board from CMakeCache (HWMv2 names with "/") and the image path', async () => {
    const b = await detect('mps2_an385-lan9118');
    expect(b.board).toBe('mps2/an385');
    expect(b.image).toBe(`${fixture('mps2_an385-lan9118')}/zephyr/zephyr.elf`);
    expect((await detect('native_sim-nsos')).image).toBe(
      `${fixture('native_sim-nsos')}/zephyr/zephyr.exe`,
    );
  });

  it('reads ETH_NATIVE_POSIX_* (up to 3.7) and ETH_NATIVE_TAP_* (later) alike', async () => {
    const old = await detect('native_posix-tap');
    expect(old).toMatchObject({
      tapSymbol: 'ETH_NATIVE_POSIX',
      tapName: 'zeth',
      tapCount: 1,
      randomMac: false,
      staticMac: '00:00:5e:00:53:2a',
    });
    const next = await detect('native_sim-tap2');
    expect(next).toMatchObject({
      tapSymbol: 'ETH_NATIVE_TAP',
      tapName: 'zeth',
      tapCount: 2,
      randomMac: true,
    });
  });

  it('reads addresses, SLIP_TAP, user-mode extra args, QEMU extra flags, ARMFVP_BIN_PATH and the USB class', async () => {
    expect((await detect('qemu_x86-echo_server')).addresses).toEqual({
      myIpv4: '192.0.2.1',
      myIpv6: '2001:db8::1',
      peerIpv4: '192.0.2.2',
      peerIpv6: '2001:db8::2',
      ipv4Prefix: 24,
    });
    expect((await detect('qemu_x86-echo_server')).qemuExtraFlags).toBe('-rtc clock=vm');
    expect((await detect('qemu_x86-slip-tap')).slipTap).toBe(true);
    expect((await detect('qemu_x86-slip-raw')).slipTap).toBe(false);
    expect((await detect('qemu_x86-user')).userExtraArgs).toBe(
      'net=192.168.0.0/24,hostfwd=tcp::8080-:8080',
    );
    expect((await detect('qemu_x86_64-virtio')).qemuMac).toBe('00:00:5e:00:53:31');
    expect(await detect('fvp_base')).toMatchObject({
      fvpFamily: 'base',
      armfvpBinPath: '/opt/arm/fvp/Base_RevC_AEMvA_pkg/models/Linux64_GCC-9.3',
    });
    expect((await detect('corstone300')).fvpFamily).toBe('corstone-300');
    expect((await detect('usb-legacy')).usbClass).toBe('CDC ECM');
    expect((await detect('usb-next')).usbClass).toBe('CDC ECM');
  });
});

/** Validates the YAML, tolerating only the qemu kind when it is not registered yet. */
function expectValid(yaml: string): void {
  const r = validateTopologyText(yaml, 'import.yaml');
  if (r.ok) return;
  if (findNodeKind('qemu') === undefined && r.problems.every((p) => /qemu/.test(p.message))) return;
  expect(r.problems).toEqual([]);
}

describe('the lab import-zephyr produces', () => {
  it('a native_sim TAP build without its zephyr.exe: the node (no settings needing options), a switch, a host, a note', async () => {
    const r = await importZephyr([fixture('native_posix-tap')]);
    expect(r.notes).toEqual([
      expect.stringMatching(
        /^echo_server: .*zephyr\.exe not found; build it with .*; until it runs, echo_server gets only settings every zephyr\.exe understands/,
      ),
    ]);
    const v = validateTopologyText(r.yaml, 'import.yaml');
    expect(v.ok ? [] : v.problems).toEqual([]);
    const doc = parse(r.yaml) as LabDoc;
    expect(doc.nodes['echo_server']).toEqual({
      kind: 'native-sim',
      exe: `${fixture('native_posix-tap')}/zephyr/zephyr.exe`,
    });
    expect(doc.nodes['host']).toEqual({
      kind: 'host',
      interfaces: { eth0: { ipv4: ['192.0.2.2/24'], ipv6: ['2001:db8::2/64'] } },
    });
    expect(doc.links?.map((l) => l.endpoints)).toEqual([
      ['echo_server:eth0', 'sw'],
      ['host:eth0', 'sw'],
    ]);
  });

  it('an NSOS build: an offloaded node whose namespace has the Kconfig address', async () => {
    const r = await importZephyr([fixture('native_sim-nsos')]);
    const v = validateTopologyText(r.yaml, 'import.yaml');
    expect(v.ok ? [] : v.problems).toEqual([]);
    const doc = parse(r.yaml) as LabDoc;
    expect(doc.nodes['echo_server']).toMatchObject({
      kind: 'native-sim',
      sockets: 'offloaded',
      interfaces: { eth0: { ipv4: ['192.0.2.1/24'], ipv6: ['2001:db8::1/64'] } },
    });
  });

  it('two TAP interfaces become two ports', async () => {
    const r = await importZephyr([fixture('native_sim-tap2')]);
    const doc = parse(r.yaml) as LabDoc;
    expect(doc.nodes['echo_server']?.['ports']).toEqual({ eth0: {}, eth1: {} });
    expectValid(r.yaml);
  });

  it('an FVP build: an fvp node with the family, image and ARMFVP_BIN_PATH, and no switch', async () => {
    const r = await importZephyr([fixture('fvp_base')]);
    const v = validateTopologyText(r.yaml, 'import.yaml');
    expect(v.ok ? [] : v.problems).toEqual([]);
    const doc = parse(r.yaml) as LabDoc;
    expect(doc.nodes).toEqual({
      echo_server: {
        kind: 'fvp',
        family: 'base',
        elf: `${fixture('fvp_base')}/zephyr/zephyr.elf`,
        path: '/opt/arm/fvp/Base_RevC_AEMvA_pkg/models/Linux64_GCC-9.3',
      },
    });
  });

  it('echo_server + echo_client on QEMU Ethernet: one lab, one switch, distinct MACs, a free host address', async () => {
    const r = await importZephyr([
      fixture('qemu_x86-echo_server'),
      fixture('qemu_x86-echo_client'),
    ]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc;
    expect(doc.nodes['echo_server']).toMatchObject({
      kind: 'qemu',
      board: 'qemu_x86',
      kernel: `${fixture('qemu_x86-echo_server')}/zephyr/zephyr.elf`,
    });
    expect(doc.nodes['echo_client']).toMatchObject({ kind: 'qemu', board: 'qemu_x86' });
    expect(r.yaml).toContain('00:00:5e:00:53:01');
    expect(r.yaml).toContain('00:00:5e:00:53:02');
    // The peers are each other, so the host takes a free address on the same subnets.
    expect(doc.nodes['host']).toEqual({
      kind: 'host',
      interfaces: { eth0: { ipv4: ['192.0.2.3/24'], ipv6: ['2001:db8::3/64'] } },
    });
    expect(doc.links?.map((l) => l.endpoints)).toEqual([
      ['echo_server:eth0', 'sw'],
      ['echo_client:eth0', 'sw'],
      ['host:eth0', 'sw'],
    ]);
  });

  it('a SLIP-TAP build: the second serial port joins the switch with a slip link', async () => {
    const r = await importZephyr([fixture('qemu_x86-slip-tap')]);
    expect(r.notes).toEqual([]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc & { links: Record<string, unknown>[] };
    expect(doc.nodes['echo_server']).toEqual({
      kind: 'qemu',
      board: 'qemu_x86',
      kernel: `${fixture('qemu_x86-slip-tap')}/zephyr/zephyr.elf`,
    });
    expect(doc.links).toEqual([
      { kind: 'slip', endpoints: ['echo_server:serial1', 'sw'] },
      { endpoints: ['host:eth0', 'sw'] },
    ]);
    expect(doc.nodes['host']).toEqual({
      kind: 'host',
      interfaces: { eth0: { ipv4: ['192.0.2.2/24'], ipv6: ['2001:db8::2/64'] } },
    });
  });

  it('a raw-IP SLIP build: a slip link in ip mode to a host interface with the peer addresses', async () => {
    const r = await importZephyr([fixture('qemu_x86-slip-raw')]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc & { links: Record<string, unknown>[] };
    expect(doc.links).toEqual([
      { kind: 'slip', mode: 'ip', endpoints: ['echo_server:serial1', 'host:sl0'] },
    ]);
    // IPv6 needs an MTU of 1280; legacy SLIP has 576, so the host side is IPv4 only.
    expect(doc.nodes['host']).toEqual({
      kind: 'host',
      interfaces: { sl0: { ipv4: ['192.0.2.2/24'] } },
    });
    expect(r.notes.join('\n')).toMatch(/IPv4 only; use SLIP-TAP/);
    expect(doc.nodes['sw']).toBeUndefined();
  });

  it('echo_server + echo_client over SLIP-TAP: one direct serial-to-serial link, no host', async () => {
    const r = await importZephyr([
      fixture('qemu_x86-slip-tap'),
      fixture('qemu_x86-slip-tap-client'),
    ]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc & { links: Record<string, unknown>[] };
    expect(doc.links).toEqual([
      { kind: 'slip', endpoints: ['echo_server:serial1', 'echo_client:serial1'] },
    ]);
    expect(Object.keys(doc.nodes)).toEqual(['echo_server', 'echo_client']);
  });

  it('a PPP build: a ppp link whose ends are the Kconfig peer and own addresses', async () => {
    const r = await importZephyr([fixture('qemu_x86-ppp')]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc & { links: Record<string, unknown>[] };
    expect(doc.links).toEqual([
      { kind: 'ppp', endpoints: ['echo_server:serial1'], local: '192.0.2.2', peer: '192.0.2.1' },
    ]);
  });

  it('802.15.4 UART-pipe builds: both instances join one radio medium', async () => {
    const r = await importZephyr([fixture('qemu_x86-802154'), fixture('qemu_x86-802154-client')]);
    expect(r.notes).toEqual([]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc & { links: Record<string, unknown>[] };
    expect(doc.nodes['air']).toEqual({ kind: 'radio-154' });
    expect(doc.links).toEqual([
      { kind: 'uart-pipe-154', endpoints: ['echo_server:serial1', 'air'] },
      { kind: 'uart-pipe-154', endpoints: ['echo_client:serial1', 'air'] },
    ]);
  });

  it('a single 802.15.4 build says it needs a peer', async () => {
    const r = await importZephyr([fixture('qemu_x86-802154')]);
    expectValid(r.yaml);
    expect(r.notes.join('\n')).toMatch(/nobody to talk to/);
  });

  it.each(['usb-legacy', 'usb-next'])(
    '%s: a board node on the switch with the host, in host mode',
    async (dir) => {
      const r = await importZephyr([fixture(dir)]);
      expectValid(r.yaml);
      const doc = parse(r.yaml) as LabDoc & { network?: string };
      expect(doc.network).toBe('host');
      const board = Object.entries(doc.nodes).find(([, n]) => n['kind'] === 'board');
      expect(board).toBeDefined();
      expect(doc.links?.map((l) => l.endpoints)).toEqual([
        [`${board?.[0] ?? ''}:usb0`, 'sw'],
        ['host:eth0', 'sw'],
      ]);
      expect(r.notes.join('\n')).toMatch(/network: host/);
    },
  );

  it('a QEMU user-networking build: a slirp link with the network and forwards of NET_QEMU_USER_EXTRA_ARGS', async () => {
    const r = await importZephyr([fixture('qemu_x86-user')]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc & { links: Record<string, unknown>[] };
    expect(doc.nodes['http_get']).toMatchObject({
      kind: 'qemu',
      board: 'qemu_x86',
      nics: { eth0: {} },
    });
    expect(doc.links).toEqual([
      {
        kind: 'slirp',
        endpoints: ['http_get:eth0'],
        network: '192.168.0.0/24',
        forwards: ['tcp:8080-8080'],
      },
    ]);
    expect(doc.nodes['host']).toBeUndefined();
  });

  it('a virtio-net build keeps its NIC model and the MAC from NET_QEMU_DEVICE_EXTRA_ARGS', async () => {
    const r = await importZephyr([fixture('qemu_x86_64-virtio')]);
    expectValid(r.yaml);
    const doc = parse(r.yaml) as LabDoc;
    expect(doc.nodes['echo_server']?.['nics']).toEqual({
      eth0: { model: 'virtio-net-pci', mac: '00:00:5e:00:53:31' },
    });
  });

  it('names a build directory twice with distinct node names', async () => {
    const r = await importZephyr([fixture('native_posix-tap'), fixture('native_sim-nsos')]);
    const doc = parse(r.yaml) as LabDoc;
    expect(Object.keys(doc.nodes)).toEqual(['echo_server', 'echo_server-2', 'host', 'sw']);
    expectValid(r.yaml);
  });

  it('refuses an empty list in one sentence', async () => {
    await expect(importZephyr([])).rejects.toThrow(/needs at least one build directory/);
  });
});
