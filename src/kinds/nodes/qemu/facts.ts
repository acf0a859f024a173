// The facts of the "qemu" node kind (see NodeKindFacts): Zephyr's QEMU board table (the facts
// come from ZEPHYR-NETWORKING.md section 2), NIC models and the kind's ports. No zod here.
import type { PortAddress } from '../../../shared/topology/kinds/types.js';
import { defineNodeKindFacts } from '../../../shared/topology/kinds/types.js';
import type { QemuNicSpec, QemuNodeSpec } from './definition.js';

/** How a board's NIC is attached: pluggable with -device, or on-board with -net nic. */
export type QemuNicAttach = 'device' | 'on-board';

/** One row of the board table: the QEMU command line Zephyr's board.cmake uses. */
export interface QemuBoard {
  /** qemu-system-* binary. */
  readonly binary: string;
  /** -machine value. */
  readonly machine: string;
  /** -cpu value, if the board sets one. */
  readonly cpu?: string;
  /** -m value, if the board sets one. */
  readonly memory?: string;
  /** NIC models the board's Zephyr drivers support; the first is the default. */
  readonly nicModels: readonly [string, ...string[]];
  readonly nicAttach: QemuNicAttach;
  /** How many NICs the board can have (on-board controllers are fixed). */
  readonly maxNics: number;
  /** Further flags of the board (e.g. the isa-debug-exit device of x86 boards). */
  readonly extraArgs: readonly string[];
}

/** The isa-debug-exit device Zephyr's x86 boards use to end QEMU with an exit code. */
const X86_DEBUG_EXIT = ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'] as const;

/** Enough PCI slots on q35 for any lab; a bound keeps a typo from asking for thousands. */
const MAX_PCI_NICS = 8;

/** Zephyr's QEMU boards with Ethernet, by board name (ZEPHYR-NETWORKING.md section 2). */
export const QEMU_BOARDS = {
  qemu_x86: {
    binary: 'qemu-system-i386',
    machine: 'q35',
    cpu: 'qemu32,+nx,+pae',
    memory: '32',
    nicModels: ['e1000'],
    nicAttach: 'device',
    maxNics: MAX_PCI_NICS,
    extraArgs: X86_DEBUG_EXIT,
  },
  qemu_x86_64: {
    binary: 'qemu-system-x86_64',
    machine: 'q35',
    cpu: 'qemu64,+x2apic',
    nicModels: ['e1000', 'virtio-net-pci'],
    nicAttach: 'device',
    maxNics: MAX_PCI_NICS,
    extraArgs: X86_DEBUG_EXIT,
  },
  qemu_cortex_m3: {
    binary: 'qemu-system-arm',
    machine: 'lm3s6965evb',
    cpu: 'cortex-m3',
    nicModels: ['stellaris'],
    nicAttach: 'on-board',
    maxNics: 1,
    extraArgs: [],
  },
  'mps2/an385': {
    binary: 'qemu-system-arm',
    machine: 'mps2-an385',
    cpu: 'cortex-m3',
    nicModels: ['lan9118'],
    nicAttach: 'on-board',
    maxNics: 1,
    extraArgs: [],
  },
  qemu_cortex_a53: {
    binary: 'qemu-system-aarch64',
    machine: 'virt,secure=on,gic-version=3',
    cpu: 'cortex-a53',
    nicModels: ['e1000'],
    nicAttach: 'device',
    maxNics: MAX_PCI_NICS,
    extraArgs: [],
  },
  qemu_cortex_a9: {
    binary: 'qemu-system-arm',
    machine: 'xilinx-zynq-a9',
    cpu: 'cortex-a9',
    nicModels: ['cadence_gem'],
    nicAttach: 'on-board',
    maxNics: 1,
    extraArgs: [],
  },
} as const satisfies Record<string, QemuBoard>;

/** A board name of the table. */
export type QemuBoardName = keyof typeof QEMU_BOARDS;

/** Other spellings accepted for a board (Zephyr 3.x names before hardware model v2). */
export const QEMU_BOARD_ALIASES: Readonly<Record<string, QemuBoardName>> = {
  mps2_an385: 'mps2/an385',
};

/** Every board name accepted in a file, table names first. */
export const QEMU_BOARD_NAMES = [
  ...(Object.keys(QEMU_BOARDS) as QemuBoardName[]),
  ...Object.keys(QEMU_BOARD_ALIASES),
] as [string, ...string[]];

/** The board-table row for a board name or alias. */
export function qemuBoard(name: string): QemuBoard | undefined {
  const canonical = QEMU_BOARD_ALIASES[name] ?? name;
  return Object.hasOwn(QEMU_BOARDS, canonical)
    ? QEMU_BOARDS[canonical as QemuBoardName]
    : undefined;
}

/**
 * NIC models that are built into a machine and cannot be created with -device; a generic
 * guest using one of them gets `-net nic,model=...` as a board would.
 */
export const ON_BOARD_NIC_MODELS: readonly string[] = [
  'stellaris',
  'lan9118',
  'cadence_gem',
  'smc91c111',
];

/** NIC model of a generic guest when the file names none: QEMU's most widely driven NIC. */
export const DEFAULT_GENERIC_NIC_MODEL = 'e1000';

/**
 * The serial ports a serial link (slip, ppp, uart-pipe-154) can use, in QEMU's -serial order
 * after the console (serial0): "serial1" is UART1, where Zephyr's SLIP, PPP and 802.15.4 UART
 * pipe drivers sit.
 */
export const QEMU_SERIAL_PORTS: readonly string[] = ['serial1', 'serial2', 'serial3'];

/** Zephyr's boot banner, printed once the kernel runs: the default ready pattern. */
export const ZEPHYR_BOOT_BANNER = '\\*\\*\\* Booting Zephyr OS';

/**
 * Default ready timeout: Zephyr boots in about 1.5 s and a Linux test guest in 7-9 s under
 * TCG; 60 s covers several guests booting at once on a loaded 2-core machine.
 */
export const DEFAULT_QEMU_READY_TIMEOUT_S = 60;

/** The NIC model a port gets: the file's, else the board's default, else e1000. */
export function nicModel(spec: QemuNodeSpec, nic: QemuNicSpec): string {
  if (nic.model !== undefined) return nic.model;
  const board = spec.board !== undefined ? qemuBoard(spec.board) : undefined;
  return board?.nicModels[0] ?? DEFAULT_GENERIC_NIC_MODEL;
}

/** How a NIC model is attached: on-board models with -net nic, others with -device. */
export function nicAttach(spec: QemuNodeSpec, model: string): QemuNicAttach {
  const board = spec.board !== undefined ? qemuBoard(spec.board) : undefined;
  if (board?.nicAttach === 'on-board' && board.nicModels.includes(model)) return 'on-board';
  return ON_BOARD_NIC_MODELS.includes(model) ? 'on-board' : 'device';
}

function qemuAddresses(spec: QemuNodeSpec): PortAddress[] {
  const out: PortAddress[] = [];
  for (const [port, nic] of Object.entries(spec.nics ?? {})) {
    if (nic.mac !== undefined) {
      out.push({ port, type: 'mac', value: nic.mac, path: ['nics', port, 'mac'] });
    }
  }
  return out;
}

/** The qemu kind's facts. */
export const qemuFacts = defineNodeKindFacts<QemuNodeSpec>()({
  kind: 'qemu',
  icon: 'board',
  description: 'A QEMU machine: a Zephyr board or any guest; each NIC is a port of the lab.',
  attach: 'port',
  portsKey: 'nics',
  declaredPorts: (spec) => Object.keys(spec.nics ?? {}),
  serialPorts: QEMU_SERIAL_PORTS,
  addresses: qemuAddresses,
});
