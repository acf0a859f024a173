// The QEMU command line per board and for a generic guest, pinned argument by argument.
import { describe, expect, it } from 'vitest';
import {
  buildQemuArgv,
  QEMU_CONSOLE_ARGS,
  type QemuNic,
} from '../../../src/kinds/nodes/qemu/engine/commandLine.js';
import {
  nicAttach,
  nicModel,
  type QemuNodeSpec,
} from '../../../src/shared/topology/kinds/index.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';

const QMP = ['-qmp', 'unix:/lab/sock/z.qmp,server=on,wait=off'];

/** The validated spec of one qemu node written as YAML settings. */
function spec(settings: string): QemuNodeSpec {
  const r = validateTopologyText(`name: t\nnodes:\n  z:\n${settings}`, 't.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const s = r.topology.nodes['z'];
  if (s?.kind !== 'qemu') throw new Error('not a qemu node');
  return s;
}

function streamNic(s: QemuNodeSpec, port = 'eth0', mac = '00:00:5e:00:53:00'): QemuNic {
  const model = nicModel(s, s.nics?.[port] ?? {});
  return {
    port,
    model,
    mac,
    attach: nicAttach(s, model),
    backend: { type: 'stream', socket: `/lab/sock/z-${port}.sock` },
  };
}

const STREAM = 'stream,id=nw-eth0,server=off,addr.type=unix,addr.path=/lab/sock/z-eth0.sock';

describe('QEMU command line per board', () => {
  it('qemu_x86: qemu-system-i386, q35, qemu32 with nx and pae, pluggable e1000 without its ROM', () => {
    const s = spec(
      '    kind: qemu\n    board: qemu_x86\n    kernel: zephyr.elf\n    nics: {eth0: {}}\n',
    );
    expect(
      buildQemuArgv({
        spec: s,
        kernel: '/b/zephyr.elf',
        qmpSocket: '/lab/sock/z.qmp',
        nics: [streamNic(s)],
      }),
    ).toEqual([
      'qemu-system-i386',
      '-machine',
      'q35',
      '-cpu',
      'qemu32,+nx,+pae',
      '-m',
      '32',
      '-accel',
      'tcg',
      ...QEMU_CONSOLE_ARGS,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x04',
      ...QMP,
      '-kernel',
      '/b/zephyr.elf',
      '-netdev',
      STREAM,
      '-device',
      'e1000,netdev=nw-eth0,mac=00:00:5e:00:53:00,romfile=',
    ]);
  });

  it('qemu_x86_64 with virtio-net-pci', () => {
    const s = spec(
      '    kind: qemu\n    board: qemu_x86_64\n    kernel: k\n    nics: {eth0: {model: virtio-net-pci}}\n',
    );
    const argv = buildQemuArgv({
      spec: s,
      kernel: '/k',
      qmpSocket: '/lab/sock/z.qmp',
      nics: [streamNic(s)],
    });
    expect(argv.slice(0, 5)).toEqual([
      'qemu-system-x86_64',
      '-machine',
      'q35',
      '-cpu',
      'qemu64,+x2apic',
    ]);
    expect(argv.slice(-4)).toEqual([
      '-netdev',
      STREAM,
      '-device',
      'virtio-net-pci,netdev=nw-eth0,mac=00:00:5e:00:53:00,romfile=',
    ]);
  });

  it('qemu_cortex_m3: lm3s6965evb with the on-board stellaris NIC bound by -net nic', () => {
    const s = spec(
      '    kind: qemu\n    board: qemu_cortex_m3\n    kernel: k\n    nics: {eth0: {}}\n',
    );
    expect(
      buildQemuArgv({ spec: s, kernel: '/k', qmpSocket: '/lab/sock/z.qmp', nics: [streamNic(s)] }),
    ).toEqual([
      'qemu-system-arm',
      '-machine',
      'lm3s6965evb',
      '-cpu',
      'cortex-m3',
      '-accel',
      'tcg',
      ...QEMU_CONSOLE_ARGS,
      ...QMP,
      '-kernel',
      '/k',
      '-netdev',
      STREAM,
      '-net',
      'nic,model=stellaris,netdev=nw-eth0,macaddr=00:00:5e:00:53:00',
    ]);
  });

  it('mps2/an385 (also spelled mps2_an385): on-board lan9118', () => {
    for (const board of ['mps2/an385', 'mps2_an385']) {
      const s = spec(`    kind: qemu\n    board: ${board}\n    kernel: k\n    nics: {eth0: {}}\n`);
      const argv = buildQemuArgv({
        spec: s,
        kernel: '/k',
        qmpSocket: '/lab/sock/z.qmp',
        nics: [streamNic(s)],
      });
      expect(argv.slice(0, 3)).toEqual(['qemu-system-arm', '-machine', 'mps2-an385']);
      expect(argv.slice(-2)).toEqual([
        '-net',
        'nic,model=lan9118,netdev=nw-eth0,macaddr=00:00:5e:00:53:00',
      ]);
    }
  });

  it('qemu_cortex_a53: aarch64 virt with secure=on and GICv3, pluggable e1000', () => {
    const s = spec(
      '    kind: qemu\n    board: qemu_cortex_a53\n    kernel: k\n    nics: {eth0: {}}\n',
    );
    const argv = buildQemuArgv({
      spec: s,
      kernel: '/k',
      qmpSocket: '/lab/sock/z.qmp',
      nics: [streamNic(s)],
    });
    expect(argv.slice(0, 5)).toEqual([
      'qemu-system-aarch64',
      '-machine',
      'virt,secure=on,gic-version=3',
      '-cpu',
      'cortex-a53',
    ]);
    expect(argv.at(-1)).toBe('e1000,netdev=nw-eth0,mac=00:00:5e:00:53:00,romfile=');
  });

  it('generic guest with initrd, append, extra args and a slirp NIC with host forwards', () => {
    const s = spec(
      '    kind: qemu\n    binary: qemu-system-x86_64\n    machine: q35\n    memory: 256\n    kernel: bz\n    initrd: ird\n    append: console=ttyS0 nw.dhcp=1\n    extraArgs: [-rtc, base=utc]\n    nics: {eth0: {}}\n',
    );
    const nic: QemuNic = {
      port: 'eth0',
      model: 'e1000',
      mac: '00:00:5e:00:53:07',
      attach: 'device',
      backend: {
        type: 'user',
        network: '10.0.2.0/24',
        forwards: [
          { proto: 'tcp', hostPort: 8080, guestPort: 80 },
          { proto: 'udp', hostPort: 5353, guestPort: 53 },
        ],
      },
    };
    expect(
      buildQemuArgv({
        spec: s,
        kernel: '/bz',
        initrd: '/ird',
        qmpSocket: '/lab/sock/z.qmp',
        nics: [nic],
      }),
    ).toEqual([
      'qemu-system-x86_64',
      '-machine',
      'q35',
      '-m',
      '256',
      '-accel',
      'tcg',
      ...QEMU_CONSOLE_ARGS,
      ...QMP,
      '-kernel',
      '/bz',
      '-initrd',
      '/ird',
      '-append',
      'console=ttyS0 nw.dhcp=1',
      '-netdev',
      'user,id=nw-eth0,net=10.0.2.0/24,dhcpstart=10.0.2.15,hostfwd=tcp::8080-:80,hostfwd=udp::5353-:53',
      '-device',
      'e1000,netdev=nw-eth0,mac=00:00:5e:00:53:07,romfile=',
      '-rtc',
      'base=utc',
    ]);
  });

  it('a machine without NICs gets -nic none, and commas in paths are escaped', () => {
    const s = spec('    kind: qemu\n    board: qemu_x86\n    kernel: k\n');
    const argv = buildQemuArgv({ spec: s, kernel: '/k', qmpSocket: '/a,b/z.qmp', nics: [] });
    expect(argv).toContain('unix:/a,,b/z.qmp,server=on,wait=off');
    expect(argv.slice(-2)).toEqual(['-nic', 'none']);
  });
});

describe('qemu node validation', () => {
  const problems = (settings: string, links = ''): string[] => {
    const r = validateTopologyText(`name: t\nnodes:\n  z:\n${settings}${links}`, 't.yaml');
    return r.ok ? [] : r.problems.map((p) => p.message);
  };

  it('refuses an unknown board and lists the boards', () => {
    const [m] = problems('    kind: qemu\n    board: qemu_riscv\n    kernel: k\n');
    expect(m).toMatch(
      /unknown board "qemu_riscv"; valid boards are qemu_x86, qemu_x86_64, qemu_cortex_m3, mps2\/an385/,
    );
  });

  it('needs a board or a binary and machine, and a kernel or disk', () => {
    expect(problems('    kind: qemu\n    kernel: k\n').join()).toMatch(/needs "board:"/);
    expect(problems('    kind: qemu\n    board: qemu_x86\n').join()).toMatch(/add kernel:/);
  });

  it('refuses a second NIC or another model on a board with an on-board NIC', () => {
    expect(
      problems(
        '    kind: qemu\n    board: qemu_cortex_m3\n    kernel: k\n    nics: {eth0: {}, eth1: {}}\n',
      ).join(),
    ).toMatch(/has 1 NIC but 2 are declared/);
    expect(
      problems(
        '    kind: qemu\n    board: qemu_cortex_m3\n    kernel: k\n    nics: {eth0: {model: e1000}}\n',
      ).join(),
    ).toMatch(/on-board NIC stellaris only/);
  });

  it('slirp links: one qemu endpoint, forwards checked for syntax, range and duplicates', () => {
    const node =
      '    kind: qemu\n    board: qemu_x86\n    kernel: k\n    nics: {eth0: {}}\n  h: {kind: host, interfaces: {eth0: {}}}\n';
    expect(
      problems(node, 'links:\n  - {kind: slirp, endpoints: [z:eth0], forwards: [tcp:8080-80]}\n'),
    ).toEqual([]);
    expect(
      problems(
        node,
        'links:\n  - {kind: slirp, endpoints: [z:eth0], forwards: ["tcp:80"]}\n',
      ).join(),
    ).toMatch(/not a forward; write tcp\|udp:HOSTPORT-GUESTPORT/);
    expect(
      problems(
        node,
        'links:\n  - {kind: slirp, endpoints: [z:eth0], forwards: [tcp:70000-80]}\n',
      ).join(),
    ).toMatch(/host port 70000 is out of range/);
    expect(
      problems(
        node,
        'links:\n  - {kind: slirp, endpoints: [z:eth0], forwards: [tcp:8080-80, tcp:8080-81]}\n',
      ).join(),
    ).toMatch(/already forwarded by forwards\[0\]/);
    expect(problems(node, 'links:\n  - {kind: slirp, endpoints: [h:eth0]}\n').join()).toMatch(
      /a slirp link attaches to a port of a qemu node, but "h:eth0" is a host node/,
    );
    expect(
      problems(node, 'links:\n  - {kind: slirp, endpoints: [z:eth0, h:eth0]}\n').join(),
    ).toMatch(/a slirp link has one endpoint/);
    expect(
      problems(
        node,
        'links:\n  - {kind: slirp, endpoints: [z:eth0]}\n  - {endpoints: [z:eth0, h:eth0]}\n',
      ).join(),
    ).toMatch(/already used by links\[0\]/);
    expect(
      problems(
        node,
        'links:\n  - {kind: slirp, endpoints: [z:eth0], dhcpStart: 10.0.2.2}\n',
      ).join(),
    ).toMatch(/not a usable address/);
  });
});
