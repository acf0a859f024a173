// Whether a program can run on this machine, decided before it is started. It matters because
// execvp(3), which node's child_process and node-pty (libuv) use, runs `/bin/sh FILE` when execve
// fails with ENOEXEC: a program for another machine then "starts" and dies with a shell syntax
// error about its own bytes. This module reads the file's header (elf.ts) and says in one
// sentence fragment why it cannot run, or nothing when it can.
import { constants } from 'node:fs';
import { access, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import path from 'node:path';
import { EM, elfMachineName, isProgramType, readProgramFile, type ElfInfo } from './elf.js';
import { runCommand } from './run.js';

/** The kinds of reasons a program cannot run here. */
export type RunProblemKind =
  /** The file does not exist or is not a regular file. */
  | 'missing'
  /** Neither an ELF header nor a `#!` line. */
  | 'not-a-program'
  /** An ELF header that cannot be read, or an ELF that is not a program (an object, a core). */
  | 'bad-elf'
  /** A `#!` script whose interpreter is missing or cannot run. */
  | 'bad-interpreter'
  /** An ELF for another architecture than this machine's. */
  | 'other-machine'
  /** A 32-bit x86 program on an x86-64 machine that cannot run 32-bit programs. */
  | 'no-32-bit'
  /** A dynamically linked program whose loader (PT_INTERP) is missing. */
  | 'missing-loader';

/** Why a program cannot run here: the cause to say after its name, and a fix that fits any caller. */
export interface RunProblem {
  kind: RunProblemKind;
  /** A sentence fragment after the file's name, e.g. "is a program for ARM, but ...". */
  cause: string;
  /** A generic fix ("install /usr/bin/python3 or fix the #! line"); callers may say better. */
  fix: string;
}

/** What the check needs to know about this machine; tests pass another machine in. */
export interface HostAbi {
  /** process.arch of the machine. */
  arch: string;
  endian: 'little' | 'big';
  /** Whether 32-bit x86 programs run here; asked only on x64 machines. */
  runs32BitX86: () => Promise<boolean>;
}

/** The ELF machine, class and name of each process.arch netweave knows. */
const HOST_MACHINES: Readonly<Record<string, { machine: number; bits: 32 | 64 }>> = {
  x64: { machine: EM.x86_64, bits: 64 },
  ia32: { machine: EM.i386, bits: 32 },
  arm64: { machine: EM.aarch64, bits: 64 },
  arm: { machine: EM.arm, bits: 32 },
  riscv64: { machine: EM.riscv, bits: 64 },
  loong64: { machine: 258, bits: 64 },
  ppc64: { machine: 21, bits: 64 },
  ppc: { machine: 20, bits: 32 },
  s390x: { machine: 22, bits: 64 },
  s390: { machine: 22, bits: 32 },
  mips: { machine: 8, bits: 32 },
  mipsel: { machine: 8, bits: 32 },
};

/**
 * How deep `#!` interpreters may nest: the kernel's BINPRM_MAX_RECURSION (a script whose
 * interpreter is a script, and so on, fails with ELOOP past 4).
 */
const MAX_SCRIPT_DEPTH = 4;

/** Exit status of the 32-bit probe: /bin/sh running it instead (the ENOEXEC fallback) exits 2, 126 or 127. */
const PROBE_EXIT_STATUS = 42;

/**
 * Time for the probe to start and exit: it runs three instructions, so 5 s only trips on a
 * machine too loaded to start a program at all, and then the probe proves nothing.
 */
const PROBE_TIMEOUT_MS = 5_000;

/** Where the probe is loaded: the traditional i386 base address, above the first 128 MiB. */
const PROBE_BASE = 0x0804_8000;

/**
 * A complete static 32-bit x86 Linux program of 96 bytes that only calls exit(42) through the
 * i386 system call gate (int 0x80): the ELF header, one PT_LOAD program header, and
 * `mov eax, 1; mov ebx, 42; int 0x80`.
 */
export function i386ExitProbe(): Buffer {
  const ehsize = 52;
  const phentsize = 32;
  const code = Buffer.from([0xb8, 0x01, 0, 0, 0, 0xbb, PROBE_EXIT_STATUS, 0, 0, 0, 0xcd, 0x80]);
  const size = ehsize + phentsize + code.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0); // magic, 32-bit, little-endian, version 1
  b.writeUInt16LE(2, 16); // e_type: ET_EXEC
  b.writeUInt16LE(EM.i386, 18);
  b.writeUInt32LE(1, 20); // e_version
  b.writeUInt32LE(PROBE_BASE + ehsize + phentsize, 24); // e_entry: the code
  b.writeUInt32LE(ehsize, 28); // e_phoff
  b.writeUInt16LE(ehsize, 40);
  b.writeUInt16LE(phentsize, 42);
  b.writeUInt16LE(1, 44); // e_phnum
  b.writeUInt32LE(1, ehsize); // p_type: PT_LOAD of the whole file
  b.writeUInt32LE(PROBE_BASE, ehsize + 8); // p_vaddr
  b.writeUInt32LE(PROBE_BASE, ehsize + 12); // p_paddr
  b.writeUInt32LE(size, ehsize + 16); // p_filesz
  b.writeUInt32LE(size, ehsize + 20); // p_memsz
  b.writeUInt32LE(5, ehsize + 24); // p_flags: R+X
  b.writeUInt32LE(0x1000, ehsize + 28); // p_align
  code.copy(b, ehsize + phentsize);
  return b;
}

/**
 * Runs the i386 exit(42) probe once, uncached. It is false only on evidence: the probe ran and
 * did not exit 42 (execve refused it and /bin/sh ran it instead, or the kernel killed it). When
 * the probe cannot be written or started at all (e.g. a noexec temp folder) nothing is known,
 * and it is true so that no program is refused on a guess.
 */
export async function probe32BitX86(): Promise<boolean> {
  let dir: string | undefined;
  try {
    dir = await mkdtemp(path.join(tmpdir(), 'netweave-i386-'));
    const file = path.join(dir, 'exit42');
    await writeFile(file, i386ExitProbe(), { mode: 0o700 });
    const result = await runCommand([file], { timeoutMs: PROBE_TIMEOUT_MS });
    return result.timedOut || result.exitCode === PROBE_EXIT_STATUS;
  } catch {
    return true;
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

let probed: Promise<boolean> | undefined;

/**
 * Whether 32-bit x86 programs run on this machine, probed once per engine process. /proc and
 * the kernel configuration are not trusted: a kernel with IA32_EMULATION=y and
 * /proc/sys/abi/vsyscall32 can still refuse them (ia32_emulation=0, a sandbox kernel).
 */
export function runs32BitX86(): Promise<boolean> {
  probed ??= probe32BitX86();
  return probed;
}

/** This machine, with its 32-bit probe. */
export function thisHost(): HostAbi {
  return {
    arch: process.arch,
    endian: endianness() === 'LE' ? 'little' : 'big',
    runs32BitX86,
  };
}

/** The name of the programs a machine runs, e.g. "x86-64", for messages. */
export function hostMachineName(host: Pick<HostAbi, 'arch'>): string {
  const m = HOST_MACHINES[host.arch];
  return m ? elfMachineName(m.machine) : host.arch;
}

/** An ELF's architecture in words, with the class and byte order only where they differ from the host's. */
function describeElf(elf: ElfInfo, host: HostAbi, hostBits: 32 | 64 | undefined): string {
  const parts: string[] = [];
  if (elf.endian !== host.endian) parts.push(`${elf.endian}-endian`);
  if (hostBits !== undefined && elf.bits !== hostBits) parts.push(`${elf.bits}-bit`);
  return [...parts, elf.machineName].join(' ');
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function elfProblem(elf: ElfInfo, host: HostAbi): Promise<RunProblem | undefined> {
  if (!isProgramType(elf.type)) {
    const what = elf.type === 'relocatable' ? 'an object file' : `an ELF ${elf.type} file`;
    return {
      kind: 'bad-elf',
      cause: `is ${what}, not a program`,
      fix: 'point it at the linked program',
    };
  }
  const own = HOST_MACHINES[host.arch];
  const native =
    own !== undefined &&
    elf.machine === own.machine &&
    elf.bits === own.bits &&
    elf.endian === host.endian;
  const i386OnX64 =
    host.arch === 'x64' && elf.machine === EM.i386 && elf.bits === 32 && elf.endian === 'little';
  if (own !== undefined && !native && !i386OnX64) {
    const sameMachineBits = elf.machine === own.machine ? own.bits : undefined;
    const hostName = hostMachineName(host);
    return {
      kind: 'other-machine',
      cause: `is a program for ${describeElf(elf, host, sameMachineBits)}, but this machine runs ${hostName} programs`,
      fix: `build it for ${hostName}`,
    };
  }
  // Asked before the loader: installing a 32-bit loader would not help a kernel that refuses them.
  if (i386OnX64 && !(await host.runs32BitX86())) {
    return {
      kind: 'no-32-bit',
      cause: 'is a 32-bit x86 (i386) program, and 32-bit x86 programs cannot run on this machine',
      fix: 'build it as a 64-bit x86-64 program',
    };
  }
  const loader = elf.interpreter;
  if (loader !== undefined && path.isAbsolute(loader) && !(await isFile(loader))) {
    return {
      kind: 'missing-loader',
      cause: `is a dynamically linked ${elf.machineName} program whose loader ${loader} is missing`,
      fix: `install the C library that provides ${loader}, or link the program statically`,
    };
  }
  return undefined;
}

async function scriptProblem(
  interpreter: string,
  host: HostAbi,
  depth: number,
): Promise<RunProblem | undefined> {
  const fix = `install ${interpreter} or fix the #! line`;
  if (interpreter.length === 0) {
    return {
      kind: 'bad-interpreter',
      cause: 'has a #! line that names no interpreter',
      fix: 'name the interpreter on the #! line',
    };
  }
  // A relative interpreter is found from the working directory of the start, unknown here.
  if (!path.isAbsolute(interpreter)) return undefined;
  if (depth >= MAX_SCRIPT_DEPTH) {
    return {
      kind: 'bad-interpreter',
      cause: `is a script whose #! interpreters nest deeper than ${MAX_SCRIPT_DEPTH}`,
      fix: 'point the #! line at a program',
    };
  }
  const inner = await runProblem(interpreter, host, depth + 1);
  if (inner !== undefined) {
    return {
      kind: 'bad-interpreter',
      cause: `is a script for ${interpreter}, which ${inner.cause}`,
      fix,
    };
  }
  try {
    await access(interpreter, constants.X_OK);
  } catch {
    return {
      kind: 'bad-interpreter',
      cause: `is a script for ${interpreter}, which is not executable`,
      fix,
    };
  }
  return undefined;
}

async function runProblem(
  file: string,
  host: HostAbi,
  depth: number,
): Promise<RunProblem | undefined> {
  try {
    if (!(await stat(file)).isFile()) {
      return { kind: 'missing', cause: 'is not a file', fix: 'point it at the built program' };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    return { kind: 'missing', cause: 'does not exist', fix: 'build it or fix the path' };
  }
  // Unreadable (no read permission for this user): execve may still run it, so no verdict.
  const program = await readProgramFile(file).catch(() => undefined);
  if (program === undefined) return undefined;
  switch (program.format) {
    case 'elf':
      return elfProblem(program.elf, host);
    case 'bad-elf':
      return { kind: 'bad-elf', cause: program.problem, fix: 'rebuild it' };
    case 'script':
      return scriptProblem(program.interpreter, host, depth);
    case 'unknown':
      return {
        kind: 'not-a-program',
        cause: 'is not a program: it has no ELF header and no #! line',
        fix: 'point it at the built program',
      };
  }
}

/**
 * Why `file` cannot run on this machine, or undefined when it can (or when nothing can be told,
 * e.g. it cannot be read). Reads the file's header; for a 32-bit x86 program on an x86-64
 * machine it also uses the cached 32-bit probe.
 */
export function findRunProblem(
  file: string,
  host: HostAbi = thisHost(),
): Promise<RunProblem | undefined> {
  return runProblem(file, host, 0);
}

/**
 * Undefined when `file` can run on this machine, else a sentence fragment naming the cause, to
 * follow the file's name ("is not a program: it has no ELF header and no #! line").
 */
export async function checkRunsHere(
  file: string,
  host: HostAbi = thisHost(),
): Promise<string | undefined> {
  return (await findRunProblem(file, host))?.cause;
}

/**
 * One sentence: `subject` (naming the file), why it cannot run, and a fix; the problem's own
 * generic fix unless the caller knows a better one (e.g. the board to build for).
 */
export function cannotRunSentence(subject: string, problem: RunProblem, fix?: string): string {
  return `${subject} ${problem.cause}; ${fix ?? problem.fix}`;
}
