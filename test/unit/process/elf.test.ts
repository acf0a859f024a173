// The ELF and #! reader: crafted headers of both classes and byte orders written to files, and
// the real Zephyr builds in shared/zephyr.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProgramFile, type ProgramFile } from '../../../src/engine/process/elf.js';
import { elfFile } from '../../helpers/elfBytes.js';

/** The real Zephyr builds (shared/ lies beside the repository). */
const ZEPHYR = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'zephyr');

const dir = mkdtempSync(path.join(tmpdir(), 'netweave-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function fileWith(bytes: Buffer | string): string {
  const file = path.join(dir, `f${n++}`);
  writeFileSync(file, bytes);
  return file;
}

function read(bytes: Buffer | string): Promise<ProgramFile> {
  return readProgramFile(fileWith(bytes));
}

describe('readProgramFile on ELF headers', () => {
  it('reads a 64-bit little-endian dynamic x86-64 program and its loader', async () => {
    const bytes = elfFile({ bits: 64, endian: 'little', machine: 62, interpreter: '/lib64/ld.so' });
    expect(await read(bytes)).toEqual({
      format: 'elf',
      elf: {
        bits: 64,
        endian: 'little',
        type: 'executable',
        machine: 62,
        machineName: 'x86-64',
        interpreter: '/lib64/ld.so',
      },
    });
  });

  it('reads the loader of a 32-bit big-endian program (PowerPC)', async () => {
    const got = await read(
      elfFile({ bits: 32, endian: 'big', machine: 20, interpreter: '/lib/ld.so.1' }),
    );
    expect(got).toEqual({
      format: 'elf',
      elf: {
        bits: 32,
        endian: 'big',
        type: 'executable',
        machine: 20,
        machineName: 'PowerPC',
        interpreter: '/lib/ld.so.1',
      },
    });
  });

  it('reads the loader of a 64-bit big-endian PIE (S/390)', async () => {
    const got = await read(
      elfFile({ bits: 64, endian: 'big', machine: 22, type: 3, interpreter: '/lib/ld64.so.1' }),
    );
    expect(got).toMatchObject({
      format: 'elf',
      elf: { bits: 64, endian: 'big', type: 'shared', machineName: 'S/390' },
    });
    expect(got.format === 'elf' && got.elf.interpreter).toBe('/lib/ld64.so.1');
  });

  it('gives a static 32-bit little-endian ARM program no loader', async () => {
    const got = await read(elfFile({ bits: 32, endian: 'little', machine: 40 }));
    expect(got).toEqual({
      format: 'elf',
      elf: { bits: 32, endian: 'little', type: 'executable', machine: 40, machineName: 'ARM' },
    });
  });

  it('finds program headers and the loader past the first 4 KiB', async () => {
    const got = await read(
      elfFile({
        bits: 64,
        endian: 'little',
        machine: 183,
        interpreter: '/lib/ld-linux-aarch64.so.1',
        phoff: 10_000,
      }),
    );
    expect(got.format === 'elf' && got.elf.interpreter).toBe('/lib/ld-linux-aarch64.so.1');
    expect(got.format === 'elf' && got.elf.machineName).toBe('AArch64');
  });

  it('names object files and unknown machines', async () => {
    const got = await read(elfFile({ bits: 32, endian: 'little', machine: 9999, type: 1 }));
    expect(got).toMatchObject({
      format: 'elf',
      elf: { type: 'relocatable', machineName: 'machine 9999' },
    });
  });

  it('calls a cut-short or unknown-class header, table or loader path a bad ELF, in words', async () => {
    const whole = elfFile({ bits: 64, endian: 'little', machine: 62 });
    expect(await read(whole.subarray(0, 40))).toEqual({
      format: 'bad-elf',
      problem: 'has an ELF header cut short',
    });
    const badClass = Buffer.from(whole);
    badClass[4] = 7;
    expect(await read(badClass)).toEqual({
      format: 'bad-elf',
      problem: 'has an ELF header with an unknown class 7',
    });
    const dynamic = elfFile({ bits: 32, endian: 'little', machine: 3, interpreter: '/lib/ld.so' });
    expect(await read(dynamic.subarray(0, dynamic.length - 4))).toEqual({
      format: 'bad-elf',
      problem: 'has an ELF loader path cut short',
    });
    const cut = elfFile({ bits: 64, endian: 'little', machine: 62, phoff: 10_000 });
    expect(await read(cut.subarray(0, 10_010))).toEqual({
      format: 'bad-elf',
      problem: 'has an ELF program header table cut short',
    });
  });
});

describe('readProgramFile on scripts and other files', () => {
  it('reads the interpreter and argument of a #! line as the kernel splits them', async () => {
    expect(await read('#!/bin/sh\necho hi\n')).toEqual({
      format: 'script',
      interpreter: '/bin/sh',
    });
    expect(await read('#! /usr/bin/env  python3 -u \r\nprint(1)\n')).toEqual({
      format: 'script',
      interpreter: '/usr/bin/env',
      argument: 'python3 -u',
    });
    expect(await read('#!\n')).toEqual({ format: 'script', interpreter: '' });
  });

  it('calls text without a #! line, and an empty file, unknown', async () => {
    expect(await read('echo hi\n')).toEqual({ format: 'unknown' });
    expect(await read('')).toEqual({ format: 'unknown' });
    expect(await read('\x7fEL')).toEqual({ format: 'unknown' });
  });

  it('rejects with the file system error for a missing file', async () => {
    await expect(readProgramFile(path.join(dir, 'missing'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('readProgramFile on real Zephyr builds', () => {
  it('reads native_sim_64 zephyr.exe as a dynamic x86-64 program with the glibc loader', async () => {
    for (const v of ['v3.5.0', 'v4.3.0']) {
      const exe = path.join(ZEPHYR, v, 'echo_server-native_sim_64', 'zephyr', 'zephyr.exe');
      expect(await readProgramFile(exe)).toEqual({
        format: 'elf',
        elf: {
          bits: 64,
          endian: 'little',
          type: 'executable',
          machine: 62,
          machineName: 'x86-64',
          interpreter: '/lib64/ld-linux-x86-64.so.2',
        },
      });
    }
  });

  it('reads the qemu_x86 zephyr.elf files as static i386 programs', async () => {
    for (const build of [
      'v3.5.0/echo_server-qemu_x86-e1000',
      'v3.5.0/echo_server-qemu_x86-slip',
      'v4.3.0/echo_server-qemu_x86-e1000',
    ]) {
      expect(await readProgramFile(path.join(ZEPHYR, build, 'zephyr', 'zephyr.elf'))).toEqual({
        format: 'elf',
        elf: { bits: 32, endian: 'little', type: 'executable', machine: 3, machineName: 'i386' },
      });
    }
  });
});
