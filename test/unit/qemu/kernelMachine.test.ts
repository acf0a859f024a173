// The kernel check of qemu nodes: an ELF kernel for another machine than the node's QEMU
// emulates is one sentence before anything starts; the real qemu_x86 builds pass.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProgramFile, type ElfInfo } from '../../../src/engine/process/elf.js';
import {
  kernelMachineMismatch,
  qemuTarget,
} from '../../../src/kinds/nodes/qemu/engine/kernelMachine.js';

/** The real Zephyr builds (shared/ lies beside the repository). */
const ZEPHYR = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'zephyr');

/** The kernel the test guest boots (test/guest/build-guest.sh takes the newest of these). */
const LINUX_KERNEL = existsSync('/boot')
  ? readdirSync('/boot')
      .filter((f) => f.startsWith('vmlinuz-'))
      .map((f) => path.join('/boot', f))
      .at(-1)
  : undefined;

function elf(machine: number, machineName: string, bits: 32 | 64 = 32): ElfInfo {
  return { bits, endian: 'little', type: 'executable', machine, machineName };
}
const ARM = elf(40, 'ARM');
const I386 = elf(3, 'i386');
const X86_64 = elf(62, 'x86-64', 64);
const AARCH64 = elf(183, 'AArch64', 64);
const RISCV64 = elf(243, 'RISC-V', 64);

function check(e: ElfInfo, binary: string, board?: string): string | undefined {
  return kernelMachineMismatch({
    node: 'zs',
    kernel: 'zephyr.elf',
    elf: e,
    binary,
    ...(board !== undefined ? { board } : {}),
  });
}

describe('qemuTarget', () => {
  it('reads the target of a qemu-system binary by name or path, and nothing else', () => {
    expect(qemuTarget('qemu-system-i386')).toBe('i386');
    expect(qemuTarget('/opt/qemu/bin/qemu-system-x86_64')).toBe('x86_64');
    expect(qemuTarget('./my-qemu-wrapper')).toBeUndefined();
  });
});

describe('kernelMachineMismatch', () => {
  it('names the ELF machine, the board, its QEMU and the fix in one sentence', () => {
    expect(check(ARM, 'qemu-system-i386', 'qemu_x86')).toBe(
      'node "zs" kernel zephyr.elf is an ELF for ARM, but board qemu_x86 runs qemu-system-i386 (i386); build it for qemu_x86 or pick the matching board',
    );
    expect(check(AARCH64, 'qemu-system-arm', 'qemu_cortex_m3')).toBe(
      'node "zs" kernel zephyr.elf is an ELF for AArch64, but board qemu_cortex_m3 runs qemu-system-arm (ARM); build it for qemu_cortex_m3 or pick the matching board',
    );
  });

  it('keeps 64-bit x86 kernels off qemu-system-i386, which has no 64-bit CPU', () => {
    expect(check(X86_64, 'qemu-system-i386', 'qemu_x86')).toMatch(
      /is an ELF for x86-64, but board qemu_x86 runs qemu-system-i386 \(i386\)/,
    );
  });

  it('lets qemu-system-x86_64 boot i386 ELFs (Zephyr’s zephyr-qemu.elf) and x86-64 ones (PVH)', () => {
    expect(check(I386, 'qemu-system-x86_64', 'qemu_x86_64')).toBeUndefined();
    expect(check(X86_64, 'qemu-system-x86_64')).toBeUndefined();
  });

  it('lets qemu-system-aarch64 boot ARM and AArch64 kernels', () => {
    expect(check(AARCH64, 'qemu-system-aarch64', 'qemu_cortex_a53')).toBeUndefined();
    expect(check(ARM, 'qemu-system-aarch64')).toBeUndefined();
  });

  it('without a board, names the binary and the qemu-system binary the kernel needs', () => {
    expect(check(ARM, 'qemu-system-x86_64')).toBe(
      'node "zs" kernel zephyr.elf is an ELF for ARM, but qemu-system-x86_64 runs i386 or x86-64 kernels; build it for i386 or x86-64, or set "binary:" to qemu-system-arm',
    );
    expect(check(RISCV64, '/usr/local/bin/qemu-system-arm')).toMatch(
      /is an ELF for RISC-V, but qemu-system-arm runs ARM kernels; build it for ARM, or set "binary:" to qemu-system-riscv64$/,
    );
  });

  it('does not judge a binary that is not a known qemu-system target', () => {
    expect(check(ARM, './run-my-qemu.sh')).toBeUndefined();
    expect(check(ARM, 'qemu-system-unknownarch')).toBeUndefined();
  });

  it('passes the real qemu_x86 zephyr.elf builds on qemu-system-i386', async () => {
    for (const build of [
      'v3.5.0/echo_server-qemu_x86-e1000',
      'v4.3.0/echo_server-qemu_x86-e1000',
    ]) {
      const program = await readProgramFile(path.join(ZEPHYR, build, 'zephyr', 'zephyr.elf'));
      if (program.format !== 'elf') throw new Error(`${build} is not read as an ELF`);
      expect(check(program.elf, 'qemu-system-i386', 'qemu_x86')).toBeUndefined();
    }
  });

  it.skipIf(LINUX_KERNEL === undefined)(
    'reads the test guest’s Linux bzImage as no ELF, so the check leaves it to QEMU',
    async () => {
      expect(await readProgramFile(LINUX_KERNEL ?? '')).toEqual({ format: 'unknown' });
    },
  );
});
