// `netweave import-zephyr`: Zephyr build directories in, one lab (YAML text) out. Stateless: the
// CLI and the desktop app call importZephyr() in-process; the engine contract has it too.
import { resolve } from 'node:path';
import { EngineError } from '../../shared/contract.js';
import { findNodeKind, QEMU_BOARD_NAMES, qemuBoard } from '../../shared/topology/kinds/index.js';
import { formatIp, parseIp, validateTopologyText } from '../../shared/topology/index.js';
import { probeNativeSim } from '../../kinds/nodes/native-sim/engine/probe.js';
import { readBuildFiles } from './buildFiles.js';
import { detectBuild, type BuildInfo } from './detect.js';

export {
  detectBuild,
  netmaskPrefix,
  NIC_DRIVERS,
  type BuildInfo,
  type NetworkingMode,
} from './detect.js';
export { parseCMakeCache, parseKconfig, readBuildFiles } from './buildFiles.js';

/** The result of an import: topology YAML and what the user should know about it. */
export interface ZephyrImport {
  yaml: string;
  notes: string[];
}

/** Name of the switch joining the instances and the host node. */
export const IMPORT_SWITCH = 'sw';
/** Name of the host node holding the host-side addresses. */
export const IMPORT_HOST = 'host';
/** MACs handed to instances that need a distinct one: RFC 7042 documentation range, :01 upward (never :ff, the host side). */
const MAC_PREFIX = '00:00:5e:00:53:';
/** Longest node or lab name the topology format takes. */
const MAX_NAME = 32;
/** IPv6 prefix length of the documented addresses (2001:db8::/64). */
const IPV6_PREFIX = 64;

/** The serial port Zephyr's SLIP, PPP and 802.15.4 UART-pipe drivers use on QEMU boards. */
const SERIAL_PORT = 'serial1';
/** Name of the 802.15.4 medium joining UART-pipe instances. */
export const IMPORT_RADIO = 'air';
/** The port of a board node (its USB network interface). */
const BOARD_PORT = 'usb0';

/** Modes that join the switch (Ethernet frames: a NIC, a TAP, SLIP-TAP, a USB interface). */
function onSwitch(b: BuildInfo): boolean {
  return (
    b.mode === 'qemu-ethernet' ||
    b.mode === 'native-tap' ||
    b.mode === 'native-offloaded' ||
    b.mode === 'slip-tap' ||
    b.mode === 'usb-device'
  );
}

/** The endpoint a build joins the switch with. */
function switchEndpoint(b: BuildInfo, name: string): string {
  if (b.mode === 'slip-tap') return `${name}:${SERIAL_PORT}`;
  if (b.mode === 'usb-device') return `${name}:${BOARD_PORT}`;
  return `${name}:eth0`;
}

/**
 * Two SLIP builds of the same mode whose addresses are each other's peers (Zephyr's
 * echo_server + echo_client over the pipe targets): they are joined directly, serial port to
 * serial port, with no host in between.
 */
function directSlipPair(builds: BuildInfo[]): [number, number] | undefined {
  const slip = builds
    .map((b, i) => ({ b, i }))
    .filter(({ b }) => b.kind === 'qemu' && (b.mode === 'slip' || b.mode === 'slip-tap'));
  if (slip.length !== 2) return undefined;
  const [x, y] = slip as [{ b: BuildInfo; i: number }, { b: BuildInfo; i: number }];
  const a = x.b.addresses;
  const c = y.b.addresses;
  const mutual =
    x.b.mode === y.b.mode &&
    a.myIpv4 !== undefined &&
    a.myIpv4 === c.peerIpv4 &&
    c.myIpv4 === a.peerIpv4;
  return mutual ? [x.i, y.i] : undefined;
}

function safeName(text: string): string {
  const s = text
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, MAX_NAME);
  return s === '' ? 'zephyr' : s;
}

/** YAML scalar: plain when unambiguous, else double-quoted (JSON strings are valid YAML). */
function scalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const plain =
    /^[A-Za-z_/.][A-Za-z0-9_/.+-]*$/.test(value) &&
    !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/** The next address after `addr` (last byte + 1, carry ignored: documentation subnets are small). */
function bump(addr: string, by: number): string | undefined {
  const ip = parseIp(addr);
  if (!ip.ok) return undefined;
  const bytes = [...ip.value.bytes];
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) + by;
  if ((bytes[last] ?? 0) > 254) return undefined;
  return formatIp({ family: ip.value.family, bytes });
}

/** Host-side addresses: the instances' peers that are not themselves an instance; else a free one. */
function hostAddresses(linked: BuildInfo[], notes: string[]): { v4: string[]; v6: string[] } {
  const mine = new Set<string>();
  for (const b of linked) {
    if (b.addresses.myIpv4) mine.add(b.addresses.myIpv4);
    if (b.addresses.myIpv6) mine.add(b.addresses.myIpv6);
  }
  const pick = (family: 4 | 6): string[] => {
    const out: string[] = [];
    for (const b of linked) {
      const peer = family === 4 ? b.addresses.peerIpv4 : b.addresses.peerIpv6;
      const prefix = family === 4 ? b.addresses.ipv4Prefix : IPV6_PREFIX;
      if (peer && !mine.has(peer) && !out.includes(`${peer}/${prefix}`))
        out.push(`${peer}/${prefix}`);
    }
    if (out.length > 0) return out;
    const first = linked.find((b) => (family === 4 ? b.addresses.myIpv4 : b.addresses.myIpv6));
    const base = family === 4 ? first?.addresses.myIpv4 : first?.addresses.myIpv6;
    if (!first || !base) return out;
    for (let by = 1; by < 254; by++) {
      const candidate = bump(base, by);
      if (candidate === undefined) break;
      if (!mine.has(candidate)) {
        const prefix = family === 4 ? first.addresses.ipv4Prefix : IPV6_PREFIX;
        notes.push(
          `the instances' peer addresses are each other, so the host node takes the free address ${candidate}`,
        );
        return [`${candidate}/${prefix}`];
      }
    }
    return out;
  };
  return { v4: pick(4), v6: pick(6) };
}

/** The board as the qemu kind names it (HWMv2 qualifiers such as "/atom" dropped), if known. */
function qemuBoardName(board: string): string | undefined {
  if (QEMU_BOARD_NAMES.includes(board)) return board;
  const base = board.split('/')[0] ?? board;
  return QEMU_BOARD_NAMES.includes(base) ? base : undefined;
}

/** The slirp link settings from CONFIG_NET_QEMU_USER_EXTRA_ARGS ("net=...,hostfwd=tcp::8080-:80"). */
function slirpFromExtraArgs(extra: string | undefined, notes: string[], dir: string): string[] {
  const out: string[] = [];
  const forwards: string[] = [];
  for (const part of (extra ?? '').split(',').filter((p) => p !== '')) {
    const net = /^net=([0-9.]+\/[0-9]+)$/.exec(part);
    const fwd = /^hostfwd=(tcp|udp):[^:]*:([0-9]+)-[^:]*:([0-9]+)$/.exec(part);
    if (net?.[1]) out.push(`    network: ${net[1]}`);
    else if (fwd) forwards.push(`${fwd[1]}:${fwd[2]}-${fwd[3]}`);
    else
      notes.push(
        `NET_QEMU_USER_EXTRA_ARGS of ${dir} has "${part}", which the slirp link does not take; add it to the qemu node's extraArgs if it matters`,
      );
  }
  if (forwards.length > 0) out.push(`    forwards: [${forwards.join(', ')}]`);
  return out;
}

/** Builds the YAML of a lab from detected builds. Pure apart from the kind registry lookups. */
export function composeLab(builds: BuildInfo[]): ZephyrImport {
  const notes: string[] = [];
  const lines: string[] = [];
  const used = new Set<string>([IMPORT_SWITCH, IMPORT_HOST]);
  const names = builds.map((b) => {
    const base = safeName(b.name);
    let name = base;
    for (let i = 2; used.has(name); i++)
      name = `${base.slice(0, MAX_NAME - String(i).length - 1)}-${i}`;
    used.add(name);
    return name;
  });
  let nextMac = 1;
  const takenMacs = new Set<string>();
  const freshMac = (): string => {
    let mac: string;
    do mac = `${MAC_PREFIX}${(nextMac++).toString(16).padStart(2, '0')}`;
    while (takenMacs.has(mac));
    takenMacs.add(mac);
    return mac;
  };
  const direct = directSlipPair(builds);
  const switched = builds.filter((b, i) => onSwitch(b) && !direct?.includes(i));
  const several = switched.length > 1;
  const staticMacs = new Map<string, string>();
  const links: string[] = [];
  const switchLinks: string[] = [];
  /** Host interfaces of raw-IP SLIP links (one TUN per instance), with their YAML lines. */
  const slipInterfaces: string[] = [];
  let slipCount = 0;
  let radio = false;

  lines.push('# Generated by `netweave import-zephyr` from:');
  for (const b of builds) lines.push(`#   ${b.dir}`);
  lines.push(`name: ${scalar(safeName(`zephyr-${names[0] ?? 'lab'}`))}`);
  if (builds.some((b) => b.mode === 'usb-device')) {
    lines.push('# A USB board is an interface of this machine: the lab runs in host mode (root).');
    lines.push('network: host');
    notes.push(
      "a USB board joins the lab through this machine's own interface, so the lab runs with network: host; start it as root (sudo) with the board plugged in and flashed with the build",
    );
  }
  lines.push('nodes:');
  builds.forEach((b, i) => {
    const name = names[i] ?? 'zephyr';
    const a = b.addresses;
    const mine = [a.myIpv4, a.myIpv6].filter((x): x is string => x !== undefined);
    lines.push(
      `  # ${b.board}: ${describeMode(b)}${mine.length > 0 ? `; Zephyr's addresses ${mine.join(', ')}` : ''}`,
    );
    if (b.kind === 'board') {
      if (b.mode === 'usb-device') {
        lines.push(
          `  # ${name}: the board's ${b.usbClass ?? 'CDC ECM'} interface is detected by driver, its console on /dev/ttyACM*`,
          `  ${name}:`,
          '    kind: board',
        );
        switchLinks.push(`  - endpoints: [${switchEndpoint(b, name)}, ${IMPORT_SWITCH}]`);
        return;
      }
      lines.push(`  # ${name}: a real board (${b.board}) without USB networking; nothing to add`);
      notes.push(
        `the real board ${b.board} in ${b.dir} has no USB device networking enabled, so it has no node`,
      );
      return;
    }
    lines.push(`  ${name}:`);
    if (b.kind === 'qemu') {
      const board = qemuBoardName(b.board);
      if (board === undefined) {
        notes.push(
          `board ${b.board} of ${b.dir} is not in netweave's QEMU board table; the node is left commented out: set binary and machine by hand`,
        );
        lines.pop();
        lines.push(
          `  # ${name}: board ${b.board} is not in netweave's QEMU board table; add it with binary: and machine:`,
        );
        return;
      }
      lines.push('    kind: qemu', `    board: ${scalar(board)}`, `    kernel: ${scalar(b.image)}`);
      if (b.qemuExtraFlags) {
        lines.push(
          `    extraArgs: [${b.qemuExtraFlags
            .split(/\s+/)
            .filter((x) => x !== '')
            .map(scalar)
            .join(', ')}] # QEMU_EXTRA_FLAGS`,
        );
      }
      if (b.mode === 'qemu-ethernet' || b.mode === 'qemu-user') {
        const nic: string[] = [];
        const table = qemuBoard(board);
        if (b.nic !== undefined && table !== undefined && b.nic !== table.nicModels[0])
          nic.push(`model: ${scalar(b.nic)}`);
        if (b.nic === undefined)
          notes.push(
            `no NIC driver netweave knows is enabled in ${b.dir}; the qemu node uses the board's default NIC`,
          );
        const mac =
          b.qemuMac && !takenMacs.has(b.qemuMac)
            ? (takenMacs.add(b.qemuMac), b.qemuMac)
            : several
              ? freshMac()
              : undefined;
        if (mac !== undefined) nic.push(`mac: ${scalar(mac)}`);
        lines.push('    nics:', `      eth0: {${nic.join(', ')}}`);
      }
      if (b.mode === 'qemu-user') {
        const slirp = slirpFromExtraArgs(b.userExtraArgs, notes, b.dir);
        links.push(`  - kind: slirp`, `    endpoints: [${name}:eth0]`, ...slirp);
      }
      const serial = `${name}:${SERIAL_PORT}`;
      if ((b.mode === 'slip' || b.mode === 'slip-tap') && direct !== undefined) {
        if (direct[0] === i) {
          const other = names[direct[1]] ?? 'zephyr';
          links.push('  - kind: slip');
          if (b.mode === 'slip') links.push('    mode: ip');
          links.push(`    endpoints: [${serial}, ${other}:${SERIAL_PORT}]`);
        }
      } else if (b.mode === 'slip') {
        const itf = `sl${slipCount++}`;
        const v4 = a.peerIpv4 ?? bump(a.myIpv4 ?? '', 1);
        slipInterfaces.push(
          `      ${itf}: # raw-IP SLIP to ${name} (a TUN: no Ethernet header, MTU 576)`,
          v4 !== undefined ? `        ipv4: [${v4}/${a.ipv4Prefix}]` : '',
        );
        if (a.myIpv6 !== undefined)
          notes.push(
            `legacy SLIP's MTU of 576 is below IPv6's minimum of 1280, so ${name} is reached over IPv4 only; use SLIP-TAP (CONFIG_NET_SLIP_TAP=y) for IPv6`,
          );
        links.push(
          '  - kind: slip',
          '    mode: ip',
          `    endpoints: [${serial}, ${IMPORT_HOST}:${itf}]`,
        );
      } else if (b.mode === 'ppp') {
        links.push('  - kind: ppp', `    endpoints: [${serial}]`);
        if (a.peerIpv4 !== undefined) links.push(`    local: ${a.peerIpv4}`);
        if (a.myIpv4 !== undefined) links.push(`    peer: ${a.myIpv4}`);
      } else if (b.mode === 'ieee802154-upipe') {
        radio = true;
        links.push('  - kind: uart-pipe-154', `    endpoints: [${serial}, ${IMPORT_RADIO}]`);
      }
    } else if (b.kind === 'native-sim') {
      lines.push('    kind: native-sim', `    exe: ${scalar(b.image)}`);
      if (b.mode === 'native-offloaded') {
        lines.push('    sockets: offloaded', '    interfaces:', '      eth0:');
        if (a.myIpv4) lines.push(`        ipv4: [${a.myIpv4}/${a.ipv4Prefix}]`);
        if (a.myIpv6) lines.push(`        ipv6: [${scalar(`${a.myIpv6}/${IPV6_PREFIX}`)}]`);
      } else if (b.mode === 'native-tap') {
        const count = b.tapCount ?? 1;
        const has = (option: string): boolean => b.exeOptions?.includes(option) ?? false;
        if (b.exeOptions === undefined)
          notes.push(
            `${name}: ${b.exeProblem ?? `${b.image} could not be asked for its options`}; until it runs, ${name} gets only settings every zephyr.exe understands (import again for its MAC and seed settings)`,
          );
        if (b.tapName !== undefined && b.tapName !== 'zeth')
          lines.push(`    drvName: ${scalar(b.tapName)}`);
        if (count > 1) {
          lines.push('    ports:');
          for (let p = 0; p < count; p++) lines.push(`      eth${p}: {}`);
          if (several)
            notes.push(
              `${name} has ${count} TAP interfaces with random MACs; only eth0 is linked to the switch`,
            );
        } else if (!b.randomMac) {
          const own = b.staticMac;
          if (has('mac-addr')) {
            const mac = own && !takenMacs.has(own) ? (takenMacs.add(own), own) : freshMac();
            lines.push(`    mac: ${scalar(mac)}`);
          } else if (own !== undefined) {
            const other = staticMacs.get(own);
            if (other !== undefined)
              notes.push(
                `${name} and ${other} have the same MAC ${own} (CONFIG_${b.tapSymbol ?? 'ETH_NATIVE_TAP'}_MAC_ADDR) and their zephyr.exe has no --mac-addr option (Zephyr added it in 4.2): rebuild one with another MAC, or with CONFIG_${b.tapSymbol ?? 'ETH_NATIVE_TAP'}_RANDOM_MAC=y`,
              );
            staticMacs.set(own, name);
          }
        }
        if (b.randomMac)
          lines.push(
            `    # CONFIG_${b.tapSymbol ?? 'ETH_NATIVE_TAP'}_RANDOM_MAC=y: Zephyr draws its MAC (02:00:5e:00:53:xx) from its seed;`,
            '    # netweave gives every node a seed of its own and restarts one that draws a MAC already in use',
          );
      }
    } else {
      lines.push(
        '    kind: fvp',
        `    family: ${b.fvpFamily ?? 'base'}`,
        `    elf: ${scalar(b.image)}`,
      );
      if (b.armfvpBinPath) lines.push(`    path: ${scalar(b.armfvpBinPath)}`);
      if (b.mode === 'fvp-user') {
        lines.push(
          '    # user-mode networking: the model is 172.20.51.1 behind NAT; add forwards such as [8022=22]',
        );
      } else lines.push('    networking: false');
    }
    if (onSwitch(b) && !direct?.includes(i)) {
      const kind = b.mode === 'slip-tap' ? 'kind: slip, ' : '';
      switchLinks.push(
        kind === ''
          ? `  - endpoints: [${switchEndpoint(b, name)}, ${IMPORT_SWITCH}]`
          : `  - {${kind}endpoints: [${switchEndpoint(b, name)}, ${IMPORT_SWITCH}]}`,
      );
    }
  });
  if (switchLinks.length > 0 || slipInterfaces.length > 0) {
    lines.push(`  ${IMPORT_HOST}:`, '    kind: host', '    interfaces:');
    if (switchLinks.length > 0) {
      const host = hostAddresses(switched, notes);
      lines.push('      eth0:');
      if (host.v4.length > 0) lines.push(`        ipv4: [${host.v4.join(', ')}]`);
      if (host.v6.length > 0) lines.push(`        ipv6: [${host.v6.map(scalar).join(', ')}]`);
    }
    lines.push(...slipInterfaces.filter((l) => l !== ''));
  }
  if (switchLinks.length > 0) {
    lines.push(`  ${IMPORT_SWITCH}:`, '    kind: switch');
    links.push(...switchLinks, `  - endpoints: [${IMPORT_HOST}:eth0, ${IMPORT_SWITCH}]`);
  }
  if (radio) {
    lines.push(
      '  # The 802.15.4 medium: every member hears every other (delivery: matrix or range to change it).',
      `  ${IMPORT_RADIO}:`,
      '    kind: radio-154',
    );
    if (builds.filter((b) => b.mode === 'ieee802154-upipe').length < 2)
      notes.push(
        'one 802.15.4 instance alone has nobody to talk to; import its peer build too (e.g. echo_server and echo_client)',
      );
  }
  if (links.length > 0) lines.push('links:', ...links);
  // Only real boards or commented-out nodes: an empty map keeps the file valid.
  if (!lines.some((l) => /^ {2}[A-Za-z0-9]/.test(l))) lines[lines.indexOf('nodes:')] = 'nodes: {}';
  return { yaml: `${lines.join('\n')}\n`, notes };
}

function describeMode(b: BuildInfo): string {
  switch (b.mode) {
    case 'qemu-ethernet':
      return `QEMU Ethernet (NET_QEMU_ETHERNET${b.nicSymbol ? `, ${b.nicSymbol}` : ''})`;
    case 'qemu-user':
      return 'QEMU user networking (NET_QEMU_USER)';
    case 'slip':
      return 'SLIP (NET_QEMU_SLIP)';
    case 'slip-tap':
      return 'SLIP with Ethernet frames (NET_QEMU_SLIP, NET_SLIP_TAP)';
    case 'ppp':
      return 'PPP (NET_QEMU_PPP)';
    case 'ieee802154-upipe':
      return 'IEEE 802.15.4 UART pipe (IEEE802154_UPIPE)';
    case 'native-tap':
      return `native_sim TAP (${b.tapSymbol ?? 'ETH_NATIVE_TAP'}, ${b.tapCount ?? 1} interface(s) named ${b.tapName ?? 'zeth'})`;
    case 'native-offloaded':
      return 'native_sim offloaded sockets (NET_NATIVE_OFFLOADED_SOCKETS)';
    case 'fvp-user':
      return 'FVP user-mode networking (ETH_SMSC91X)';
    case 'usb-device':
      return `USB device networking (${b.usbClass ?? 'CDC ECM'})`;
    case 'none':
      return 'no networking';
  }
}

/**
 * Reads Zephyr build directories and returns one lab: a node per build directory, a switch and a
 * host node for the modes that need them, an 802.15.4 medium for UART-pipe builds, and notes.
 */
export async function importZephyr(buildDirs: readonly string[]): Promise<ZephyrImport> {
  if (buildDirs.length === 0) {
    throw new EngineError(
      'bad-request',
      'import-zephyr needs at least one build directory: netweave import-zephyr BUILD_DIR...',
    );
  }
  const builds: BuildInfo[] = [];
  for (const dir of buildDirs) builds.push(detectBuild(await readBuildFiles(resolve(dir))));
  for (const b of builds) {
    if (b.mode !== 'native-tap') continue;
    // Only settings the build honours are written: ask the binary what it understands.
    try {
      b.exeOptions = [...(await probeNativeSim(b.name, b.image)).options.keys()];
    } catch (err) {
      b.exeProblem = (err as Error).message;
    }
  }
  const result = composeLab(builds);
  const checked = validateTopologyText(result.yaml, 'import-zephyr');
  if (!checked.ok) {
    const qemuMissing = builds.some((b) => b.kind === 'qemu') && findNodeKind('qemu') === undefined;
    const onlyQemu = checked.problems.every((p) => /qemu/.test(p.message));
    if (qemuMissing && onlyQemu) {
      result.notes.push(
        'the qemu node kind is not part of this netweave build yet; the file validates once it is',
      );
    } else {
      throw new EngineError(
        'internal',
        `import-zephyr produced an invalid topology (${checked.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('; ')}); please report it with the build directories`,
      );
    }
  }
  return result;
}
