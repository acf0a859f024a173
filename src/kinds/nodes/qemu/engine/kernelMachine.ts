// Whether an ELF kernel is for the machine its qemu-system binary emulates, decided from the ELF
// header before QEMU starts: a Zephyr build for another board otherwise gets as far as QEMU's
// own loader error, or boots nothing at all. Kernels that are not ELF files (a Linux bzImage)
// are not checked.
import path from 'node:path';
import { EM, elfMachineName, type ElfInfo } from '../../../../engine/process/elf.js';

/**
 * The ELF machines each qemu-system-TARGET boots with -kernel, by TARGET; the first is its own
 * (a fix names the target whose own machine the kernel is). x86_64 takes i386 ELFs too: Zephyr's qemu_x86_64 boots `zephyr-qemu.elf`, its
 * 64-bit image converted to elf32-i386, because QEMU's multiboot loader refuses 64-bit ELFs;
 * it also takes x86-64 ELFs, which QEMU boots through their PVH note (a Linux vmlinux).
 * qemu-system-i386 emulates no 64-bit CPU, so it takes i386 only. aarch64 and ppc64 also run
 * their 32-bit machines.
 */
export const QEMU_KERNEL_MACHINES: Readonly<Record<string, readonly number[]>> = {
  i386: [EM.i386],
  x86_64: [EM.x86_64, EM.i386],
  arm: [EM.arm],
  aarch64: [EM.aarch64, EM.arm],
  riscv32: [EM.riscv],
  riscv64: [EM.riscv],
  xtensa: [94],
  xtensaeb: [94],
  mips: [8],
  mipsel: [8],
  mips64: [8],
  mips64el: [8],
  ppc: [20],
  ppc64: [21, 20],
  sparc: [2, 18],
  sparc64: [43],
  loongarch64: [258],
  microblaze: [189],
  microblazeel: [189],
  or1k: [92],
  m68k: [4],
  s390x: [22],
  avr: [83],
};

/** The TARGET of a qemu-system-TARGET binary (a name or a path), or undefined for another program. */
export function qemuTarget(binary: string): string | undefined {
  return /^qemu-system-([a-z0-9_]+)$/.exec(path.basename(binary))?.[1];
}

/** The target whose own machine the ELF is, the 64-bit one for a 64-bit ELF (riscv64, not riscv32). */
function ownTarget(elf: ElfInfo): string | undefined {
  const own = Object.keys(QEMU_KERNEL_MACHINES).filter(
    (t) => QEMU_KERNEL_MACHINES[t]?.[0] === elf.machine,
  );
  return own.find((t) => t.includes('64') === (elf.bits === 64)) ?? own[0];
}

/** What the kernel check knows about one node. */
export interface KernelCheckInput {
  node: string;
  /** The kernel path as the topology file writes it. */
  kernel: string;
  elf: ElfInfo;
  /** The qemu-system binary the node runs. */
  binary: string;
  /** The board, when the binary is the board's own (not a "binary:" of the file). */
  board?: string;
}

function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * One sentence when the kernel ELF is for another machine than the node's qemu-system binary
 * emulates, naming both and the fix; undefined when they match or the binary is not a
 * qemu-system-TARGET that netweave knows.
 */
export function kernelMachineMismatch(input: KernelCheckInput): string | undefined {
  const target = qemuTarget(input.binary);
  const accepted = target !== undefined ? QEMU_KERNEL_MACHINES[target] : undefined;
  if (accepted === undefined || accepted.includes(input.elf.machine)) return undefined;
  const names = accepted.map(elfMachineName).sort();
  const binaryName = path.basename(input.binary);
  const head = `node "${input.node}" kernel ${input.kernel} is an ELF for ${input.elf.machineName}`;
  if (input.board !== undefined) {
    return `${head}, but board ${input.board} runs ${binaryName} (${orList(names)}); build it for ${input.board} or pick the matching board`;
  }
  const other = ownTarget(input.elf);
  const fix = other
    ? `qemu-system-${other}`
    : `the qemu-system binary for ${input.elf.machineName}`;
  return `${head}, but ${binaryName} runs ${orList(names)} kernels; build it for ${orList(names)}, or set "binary:" to ${fix}`;
}
