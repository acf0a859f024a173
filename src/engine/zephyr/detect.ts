// What a Zephyr build is: its board, the kind of node that runs it, its image, its networking
// mode and its addresses, from the Kconfig symbols documented in ZEPHYR-NETWORKING.md (with the
// names of every release 3.5 to 4.x). Pure.
import { basename, isAbsolute, join } from 'node:path';
import type { NodeKindName } from '../../shared/topology/index.js';
import { enabled, stringOf, type BuildFiles } from './buildFiles.js';

/** The node kind a build runs as, or "board" for real hardware (no emulator). */
export type BuildKind = Extract<NodeKindName, 'qemu' | 'native-sim' | 'fvp' | 'board'>;

/** A networking mode netweave recognises. */
export type NetworkingMode =
  | 'qemu-ethernet'
  | 'qemu-user'
  | 'slip'
  | 'slip-tap'
  | 'ppp'
  | 'ieee802154-upipe'
  | 'native-tap'
  | 'native-offloaded'
  | 'fvp-user'
  | 'usb-device'
  | 'none';

/** Addresses from CONFIG_NET_CONFIG_*. */
export interface BuildAddresses {
  myIpv4?: string;
  myIpv6?: string;
  peerIpv4?: string;
  peerIpv6?: string;
  gatewayIpv4?: string;
  /** Prefix length from CONFIG_NET_CONFIG_MY_IPV4_NETMASK (24 when unset). */
  ipv4Prefix: number;
}

/** Everything the importer learned about one build directory. */
export interface BuildInfo {
  dir: string;
  /** A node name suggestion (the application's folder name). */
  name: string;
  board: string;
  kind: BuildKind;
  /** zephyr.elf (qemu, fvp) or zephyr.exe (native-sim), absolute. */
  image: string;
  mode: NetworkingMode;
  /** QEMU NIC model for qemu-ethernet / qemu-user (e1000, lan9118, ...), when known. */
  nic?: string;
  /** The Kconfig symbol that selected the NIC driver. */
  nicSymbol?: string;
  /** native_sim TAP: CONFIG_ETH_NATIVE_TAP_DRV_NAME (or _POSIX_) and the interface count. */
  tapName?: string;
  tapCount?: number;
  /** native_sim TAP: a static MAC (random MAC off), from Kconfig. */
  staticMac?: string;
  /** native_sim TAP: true when the build draws a random MAC (--mac-addr is then ignored). */
  randomMac?: boolean;
  /** The symbol family the native TAP driver uses in this release (ETH_NATIVE_TAP or ETH_NATIVE_POSIX). */
  tapSymbol?: string;
  /**
   * native_sim: the options zephyr.exe lists in its --help (set by importZephyr when the binary
   * answers; undefined when it is not built or cannot run here).
   */
  exeOptions?: readonly string[];
  /** native_sim: why zephyr.exe could not be asked for its options, in one sentence. */
  exeProblem?: string;
  /** QEMU: a MAC from ETH_QEMU_EXTRA_ARGS / NET_QEMU_DEVICE_EXTRA_ARGS ("mac=..."). */
  qemuMac?: string;
  /** QEMU: CONFIG_NET_QEMU_USER_EXTRA_ARGS. */
  userExtraArgs?: string;
  /** QEMU: QEMU_EXTRA_FLAGS from the CMake cache. */
  qemuExtraFlags?: string;
  /** SLIP: true with CONFIG_NET_SLIP_TAP (Ethernet frames), false for raw IP. */
  slipTap?: boolean;
  /** FVP: ARMFVP_BIN_PATH from the CMake cache, and the model family. */
  armfvpBinPath?: string;
  fvpFamily?: 'base' | 'base-r' | 'corstone-300' | 'corstone-310';
  /** USB device networking: the class (ECM, EEM, RNDIS, NCM). */
  usbClass?: string;
  addresses: BuildAddresses;
}

/** NIC driver symbols and the QEMU model each one drives, first match wins. */
export const NIC_DRIVERS: readonly { symbol: string; model: string }[] = [
  { symbol: 'ETH_E1000', model: 'e1000' },
  { symbol: 'ETH_VIRTIO_NET', model: 'virtio-net-pci' },
  { symbol: 'ETH_STELLARIS', model: 'stellaris' },
  { symbol: 'ETH_LAN9118', model: 'lan9118' },
  { symbol: 'ETH_SMSC911X', model: 'lan9118' },
  { symbol: 'ETH_XLNX_GEM', model: 'cadence_gem' },
];

/** USB device networking symbols: the legacy stack, then the new device stack (USBD_*). */
const USB_NET_SYMBOLS: readonly { symbol: string; cls: string }[] = [
  { symbol: 'USB_DEVICE_NETWORK_ECM', cls: 'CDC ECM' },
  { symbol: 'USB_DEVICE_NETWORK_EEM', cls: 'CDC EEM' },
  { symbol: 'USB_DEVICE_NETWORK_RNDIS', cls: 'RNDIS' },
  { symbol: 'USBD_CDC_ECM_CLASS', cls: 'CDC ECM' },
  { symbol: 'USBD_CDC_NCM_CLASS', cls: 'CDC NCM' },
  { symbol: 'USB_NET', cls: 'CDC ECM' },
];

/** Default IPv4 prefix when CONFIG_NET_CONFIG_MY_IPV4_NETMASK is unset: Zephyr's 255.255.255.0. */
const DEFAULT_IPV4_PREFIX = 24;

/** Prefix length of a dotted netmask, or undefined if it is not contiguous. */
export function netmaskPrefix(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

function boardOf(files: BuildFiles): string {
  return (
    files.cache.get('BOARD') ??
    files.cache.get('CACHED_BOARD') ??
    stringOf(files.config, 'BOARD_TARGET') ??
    stringOf(files.config, 'BOARD') ??
    'unknown'
  );
}

function kindOf(files: BuildFiles, board: string): BuildKind {
  const c = files.config;
  if (
    enabled(c, 'ARCH_POSIX') ||
    enabled(c, 'BOARD_NATIVE_SIM') ||
    enabled(c, 'BOARD_NATIVE_POSIX') ||
    /^native_(sim|posix)/.test(board)
  ) {
    return 'native-sim';
  }
  if (enabled(c, 'QEMU_TARGET') || /^qemu_/.test(board) || /^mps2[/_]an385/.test(board))
    return 'qemu';
  if (/^fvp_/.test(board) || /\/fvp$|_fvp$/.test(board) || enabled(c, 'ETH_SMSC91X')) return 'fvp';
  return 'board';
}

function fvpFamilyOf(board: string): BuildInfo['fvpFamily'] {
  if (/baser/.test(board)) return 'base-r';
  if (/corstone310|corstone-310|an555/.test(board)) return 'corstone-310';
  if (/corstone300|corstone-300|an547|mps3/.test(board)) return 'corstone-300';
  return 'base';
}

function modeOf(files: BuildFiles, kind: BuildKind): NetworkingMode {
  const c = files.config;
  if (!enabled(c, 'NETWORKING')) return 'none';
  if (enabled(c, 'IEEE802154_UPIPE')) return 'ieee802154-upipe';
  if (enabled(c, 'NET_NATIVE_OFFLOADED_SOCKETS')) return 'native-offloaded';
  if (enabled(c, 'ETH_NATIVE_TAP') || enabled(c, 'ETH_NATIVE_POSIX')) return 'native-tap';
  if (enabled(c, 'ETH_SMSC91X')) return 'fvp-user';
  if (enabled(c, 'NET_QEMU_ETHERNET')) return 'qemu-ethernet';
  if (enabled(c, 'NET_QEMU_USER')) return 'qemu-user';
  if (enabled(c, 'NET_QEMU_PPP')) return 'ppp';
  if (enabled(c, 'NET_QEMU_SLIP') || (enabled(c, 'SLIP') && kind === 'qemu')) {
    return enabled(c, 'NET_SLIP_TAP') || enabled(c, 'SLIP_TAP') ? 'slip-tap' : 'slip';
  }
  if (USB_NET_SYMBOLS.some((u) => enabled(c, u.symbol))) return 'usb-device';
  return 'none';
}

function macFromArgs(args: string | undefined): string | undefined {
  return args ? /(?:^|,)mac=([0-9A-Fa-f:]{17})/.exec(args)?.[1]?.toLowerCase() : undefined;
}

function nameOf(files: BuildFiles): string {
  const app = files.cache.get('APPLICATION_SOURCE_DIR');
  return basename(app && app !== '' ? app : files.dir);
}

function imageOf(files: BuildFiles, kind: BuildKind): string {
  const key = kind === 'native-sim' ? 'BYPRODUCT_KERNEL_EXE_NAME' : 'BYPRODUCT_KERNEL_ELF_NAME';
  const fromCache = files.cache.get(key);
  if (fromCache && isAbsolute(fromCache)) return fromCache;
  const bin = stringOf(files.config, 'KERNEL_BIN_NAME') ?? 'zephyr';
  return join(files.dir, 'zephyr', `${bin}.${kind === 'native-sim' ? 'exe' : 'elf'}`);
}

/** Everything the importer needs from one build directory's fact files. */
export function detectBuild(files: BuildFiles): BuildInfo {
  const c = files.config;
  const board = boardOf(files);
  const kind = kindOf(files, board);
  const mode = modeOf(files, kind);
  const netmask = stringOf(c, 'NET_CONFIG_MY_IPV4_NETMASK');
  const addresses: BuildAddresses = {
    ipv4Prefix: (netmask !== undefined ? netmaskPrefix(netmask) : undefined) ?? DEFAULT_IPV4_PREFIX,
  };
  const set = <K extends keyof BuildAddresses>(key: K, symbol: string): void => {
    const v = stringOf(c, symbol);
    if (v !== undefined) (addresses as unknown as Record<string, string>)[key] = v;
  };
  set('myIpv4', 'NET_CONFIG_MY_IPV4_ADDR');
  set('myIpv6', 'NET_CONFIG_MY_IPV6_ADDR');
  set('peerIpv4', 'NET_CONFIG_PEER_IPV4_ADDR');
  set('peerIpv6', 'NET_CONFIG_PEER_IPV6_ADDR');
  set('gatewayIpv4', 'NET_CONFIG_MY_IPV4_GW');
  const info: BuildInfo = {
    dir: files.dir,
    name: nameOf(files),
    board,
    kind,
    image: imageOf(files, kind),
    mode,
    addresses,
  };
  if (mode === 'qemu-ethernet' || mode === 'qemu-user') {
    const nic = NIC_DRIVERS.find((d) => enabled(c, d.symbol));
    if (nic) {
      info.nic = nic.model;
      info.nicSymbol = nic.symbol;
    }
    const mac =
      macFromArgs(stringOf(c, 'NET_QEMU_DEVICE_EXTRA_ARGS')) ??
      macFromArgs(stringOf(c, 'ETH_QEMU_EXTRA_ARGS'));
    if (mac) info.qemuMac = mac;
  }
  if (mode === 'qemu-user') {
    const extra = stringOf(c, 'NET_QEMU_USER_EXTRA_ARGS');
    if (extra) info.userExtraArgs = extra;
  }
  const qemuFlags = files.cache.get('QEMU_EXTRA_FLAGS');
  if (kind === 'qemu' && qemuFlags) info.qemuExtraFlags = qemuFlags;
  if (mode === 'slip' || mode === 'slip-tap') info.slipTap = mode === 'slip-tap';
  if (mode === 'native-tap') {
    // ETH_NATIVE_POSIX_* up to about 3.7, ETH_NATIVE_TAP_* after.
    const family = enabled(c, 'ETH_NATIVE_TAP') ? 'ETH_NATIVE_TAP' : 'ETH_NATIVE_POSIX';
    info.tapSymbol = family;
    info.tapName = stringOf(c, `${family}_DRV_NAME`) ?? 'zeth';
    const count = Number(stringOf(c, `${family}_INTERFACE_COUNT`) ?? '1');
    info.tapCount = Number.isInteger(count) && count > 0 ? count : 1;
    info.randomMac = enabled(c, `${family}_RANDOM_MAC`);
    const mac = stringOf(c, `${family}_MAC_ADDR`);
    if (!info.randomMac && mac) info.staticMac = mac.toLowerCase();
  }
  if (kind === 'fvp') {
    info.fvpFamily = fvpFamilyOf(board);
    const bin = files.cache.get('ARMFVP_BIN_PATH');
    if (bin) info.armfvpBinPath = bin;
  }
  if (mode === 'usb-device')
    info.usbClass = USB_NET_SYMBOLS.find((u) => enabled(c, u.symbol))?.cls ?? 'CDC ECM';
  return info;
}
