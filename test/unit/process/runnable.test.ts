// Whether a program can run here, said before it starts: crafted ELF headers and scripts against
// a described machine, and the real 32-bit Zephyr build and the 32-bit probe on this one.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cannotRunSentence,
  checkRunsHere,
  findRunProblem,
  i386ExitProbe,
  probe32BitX86,
  runs32BitX86,
  type HostAbi,
} from '../../../src/engine/process/runnable.js';
import { elfFile, type ElfSpec } from '../../helpers/elfBytes.js';

/** The real Zephyr builds (shared/ lies beside the repository). */
const ZEPHYR = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'zephyr');
const NATIVE_SIM_64 = path.join(
  ZEPHYR,
  'v4.3.0',
  'echo_server-native_sim_64',
  'zephyr',
  'zephyr.exe',
);
const QEMU_X86_ELF = path.join(
  ZEPHYR,
  'v3.5.0',
  'echo_server-qemu_x86-e1000',
  'zephyr',
  'zephyr.elf',
);

const dir = mkdtempSync(path.join(tmpdir(), 'netweave-runnable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function program(bytes: Buffer | string): string {
  const file = path.join(dir, `p${n++}`);
  writeFileSync(file, bytes);
  chmodSync(file, 0o755);
  return file;
}

function elf(spec: Partial<ElfSpec>): string {
  return program(elfFile({ bits: 64, endian: 'little', machine: 62, ...spec }));
}

/** An x86-64 machine described to the check; `runs32` answers the 32-bit question. */
function x64(runs32: boolean, asked: string[] = []): HostAbi {
  return {
    arch: 'x64',
    endian: 'little',
    runs32BitX86: () => {
      asked.push('32-bit');
      return Promise.resolve(runs32);
    },
  };
}

const arm64: HostAbi = {
  arch: 'arm64',
  endian: 'little',
  runs32BitX86: () => Promise.reject(new Error('not an x86 machine')),
};

/** What exec does with the probe here, seen by the test itself: 42 when it ran as a program. */
function probeExitHere(): number | null {
  const file = program(i386ExitProbe());
  return spawnSync(file, [], { stdio: 'pipe' }).status;
}
const RUNS_32_HERE = probeExitHere() === 42;
const QEMU_I386 = spawnSync('qemu-i386', ['--version']).status === 0;

describe('checkRunsHere on files that are not programs', () => {
  it('says text without an ELF header or #! line is not a program', async () => {
    expect(await checkRunsHere(program('echo hi\n'), x64(true))).toBe(
      'is not a program: it has no ELF header and no #! line',
    );
  });

  it('says a missing file does not exist, and a folder is not a file', async () => {
    expect(await checkRunsHere(path.join(dir, 'nope'), x64(true))).toBe('does not exist');
    expect(await checkRunsHere(dir, x64(true))).toBe('is not a file');
  });

  it('says an object file is not a program', async () => {
    expect(await checkRunsHere(elf({ type: 1 }), x64(true))).toBe(
      'is an object file, not a program',
    );
  });
});

describe('checkRunsHere on #! scripts', () => {
  it('accepts a script whose interpreter runs here', async () => {
    expect(await checkRunsHere(program('#!/bin/sh\nexit 0\n'))).toBeUndefined();
  });

  it('names a missing interpreter and an empty #! line', async () => {
    expect(await checkRunsHere(program('#!/nonexistent/python9 -u\n'), x64(true))).toBe(
      'is a script for /nonexistent/python9, which does not exist',
    );
    expect(await checkRunsHere(program('#!\n'), x64(true))).toBe(
      'has a #! line that names no interpreter',
    );
  });

  it('says why an interpreter that exists cannot run', async () => {
    const armTool = elf({ bits: 32, machine: 40 });
    expect(await checkRunsHere(program(`#!${armTool}\n`), x64(true))).toBe(
      `is a script for ${armTool}, which is a program for ARM, but this machine runs x86-64 programs`,
    );
  });
});

describe('checkRunsHere on ELF programs', () => {
  it('accepts the real native_sim_64 zephyr.exe, a dynamic x86-64 program, here', async () => {
    expect(await checkRunsHere(NATIVE_SIM_64)).toBeUndefined();
  });

  it('names the architecture of a program for another machine', async () => {
    expect(await checkRunsHere(elf({ bits: 32, machine: 40 }), x64(true))).toBe(
      'is a program for ARM, but this machine runs x86-64 programs',
    );
    expect(await checkRunsHere(elf({}), arm64)).toBe(
      'is a program for x86-64, but this machine runs AArch64 programs',
    );
    expect(await checkRunsHere(elf({ endian: 'big', machine: 183 }), arm64)).toBe(
      'is a program for big-endian AArch64, but this machine runs AArch64 programs',
    );
    expect(await checkRunsHere(elf({ bits: 32 }), x64(true))).toBe(
      'is a program for 32-bit x86-64, but this machine runs x86-64 programs',
    );
  });

  it('names the missing loader of a dynamic program', async () => {
    expect(await checkRunsHere(elf({ interpreter: '/nonexistent/ld.so.2' }), x64(true))).toBe(
      'is a dynamically linked x86-64 program whose loader /nonexistent/ld.so.2 is missing',
    );
  });

  it('refuses a 32-bit x86 program where 32-bit programs do not run, and asks only for those', async () => {
    const asked: string[] = [];
    const i386 = elf({ bits: 32, machine: 3 });
    expect(await checkRunsHere(i386, x64(false, asked))).toBe(
      'is a 32-bit x86 (i386) program, and 32-bit x86 programs cannot run on this machine',
    );
    expect(asked).toEqual(['32-bit']);
    expect(await checkRunsHere(elf({}), x64(false, asked))).toBeUndefined();
    expect(asked).toEqual(['32-bit']);
  });

  it('accepts a static 32-bit x86 program where they run, but still needs a dynamic one’s loader', async () => {
    expect(await checkRunsHere(elf({ bits: 32, machine: 3 }), x64(true))).toBeUndefined();
    const dynamic = elf({ bits: 32, machine: 3, interpreter: '/nonexistent/ld-linux.so.2' });
    expect(await checkRunsHere(dynamic, x64(true))).toBe(
      'is a dynamically linked i386 program whose loader /nonexistent/ld-linux.so.2 is missing',
    );
  });

  it.skipIf(RUNS_32_HERE)(
    'refuses the real 32-bit qemu_x86 zephyr.elf on this machine, where 32-bit programs do not run',
    async () => {
      const exe = path.join(dir, 'zephyr32.exe');
      copyFileSync(QEMU_X86_ELF, exe);
      chmodSync(exe, 0o755);
      expect(await checkRunsHere(exe)).toBe(
        'is a 32-bit x86 (i386) program, and 32-bit x86 programs cannot run on this machine',
      );
    },
  );
});

describe('the 32-bit x86 probe', () => {
  it('agrees with what exec does with the probe here, and leaves no temp folder', async () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('netweave-i386-'));
    expect(await probe32BitX86()).toBe(RUNS_32_HERE);
    const after = readdirSync(tmpdir()).filter((f) => f.startsWith('netweave-i386-'));
    expect(after).toEqual(before);
  });

  it('is asked once per process', async () => {
    const first = runs32BitX86();
    expect(runs32BitX86()).toBe(first);
    expect(await first).toBe(RUNS_32_HERE);
  });

  // Where 32-bit programs cannot run, only qemu-i386 shows the probe is right: CI installs it.
  it.skipIf(!QEMU_I386 && process.env['CI'] !== 'true')(
    'is a real i386 program that exits 42 (run under qemu-i386)',
    () => {
      const file = program(i386ExitProbe());
      expect(spawnSync('qemu-i386', [file]).status).toBe(42);
    },
  );
});

describe('cannotRunSentence', () => {
  it('puts the subject, the cause and the generic or caller’s fix in one sentence', async () => {
    const exe = elf({ bits: 32, machine: 3 });
    const problem = await findRunProblem(exe, x64(false));
    if (!problem) throw new Error('expected a problem');
    expect(problem.kind).toBe('no-32-bit');
    expect(cannotRunSentence(`program ${exe}`, problem)).toBe(
      `program ${exe} is a 32-bit x86 (i386) program, and 32-bit x86 programs cannot run on this machine; build it as a 64-bit x86-64 program`,
    );
    expect(cannotRunSentence('node "zs" zephyr.exe', problem, 'build it for native_sim_64')).toBe(
      'node "zs" zephyr.exe is a 32-bit x86 (i386) program, and 32-bit x86 programs cannot run on this machine; build it for native_sim_64',
    );
  });
});
