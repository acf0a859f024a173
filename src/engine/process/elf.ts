// What kind of program a file is, from its first bytes: an ELF header (class, byte order, type,
// machine and the PT_INTERP loader of a dynamic program) or a `#!` line. Reads only the header and
// the program headers; never runs anything.
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Bytes read first: the ELF header (64 bytes), and for the programs compilers and linkers write,
 * the program headers and the loader path right behind it, fit in 4 KiB.
 */
const HEAD_BYTES = 4096;

/**
 * Longest program header table read: 64 KiB is over a thousand 56-byte entries, where real
 * programs have about a dozen; bounds what a damaged header can make us read.
 */
const MAX_PHDR_TABLE_BYTES = 64 * 1024;

/** Longest loader or interpreter path read: PATH_MAX on Linux. */
const MAX_INTERP_BYTES = 4096;

/** The program header type naming the loader of a dynamic program. */
const PT_INTERP = 3;

/** e_machine numbers netweave names in messages (ELF gABI and the Linux <elf-em.h>). */
export const ELF_MACHINES: Readonly<Record<number, string>> = {
  2: 'SPARC',
  3: 'i386',
  4: 'm68k',
  8: 'MIPS',
  15: 'PA-RISC',
  18: 'SPARC',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'S/390',
  40: 'ARM',
  42: 'SuperH',
  43: 'SPARC64',
  50: 'IA-64',
  62: 'x86-64',
  83: 'AVR',
  92: 'OpenRISC',
  93: 'ARC',
  94: 'Xtensa',
  113: 'Nios II',
  164: 'Hexagon',
  183: 'AArch64',
  189: 'MicroBlaze',
  195: 'ARCv2',
  243: 'RISC-V',
  258: 'LoongArch',
};

/** The e_machine numbers used by name in netweave. */
export const EM = {
  i386: 3,
  arm: 40,
  x86_64: 62,
  aarch64: 183,
  riscv: 243,
} as const;

/** The e_type of an ELF file, by name. */
export type ElfType = 'relocatable' | 'executable' | 'shared' | 'core' | 'other';

/** e_type values: an object file, a program, a shared object or PIE (a program too), a core dump. */
const ELF_TYPES: Readonly<Record<number, ElfType>> = {
  1: 'relocatable',
  2: 'executable',
  3: 'shared',
  4: 'core',
};

/** What an ELF header says about a file. */
export interface ElfInfo {
  bits: 32 | 64;
  endian: 'little' | 'big';
  type: ElfType;
  /** e_machine. */
  machine: number;
  /** e_machine by name ("x86-64", "ARM"...), or "machine N" for one netweave does not name. */
  machineName: string;
  /** The loader path (PT_INTERP) of a dynamically linked program; undefined for a static one. */
  interpreter?: string;
}

/** What a file is as a program: an ELF, a `#!` script, or neither. */
export type ProgramFile =
  | { format: 'elf'; elf: ElfInfo }
  /** An ELF file whose header cannot be read; `problem` is a sentence fragment. */
  | { format: 'bad-elf'; problem: string }
  | { format: 'script'; interpreter: string; argument?: string }
  | { format: 'unknown' };

/** The name of an e_machine number, for messages. */
export function elfMachineName(machine: number): string {
  return ELF_MACHINES[machine] ?? `machine ${machine}`;
}

/** True when an ELF of this type can be started as a program (an executable or a PIE). */
export function isProgramType(type: ElfType): boolean {
  return type === 'executable' || type === 'shared';
}

/** Reads unsigned fields of one byte order and class out of a buffer. */
class Fields {
  constructor(
    private readonly buf: Buffer,
    private readonly little: boolean,
    private readonly wide: boolean,
  ) {}

  u16(at: number): number {
    return this.little ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  u32(at: number): number {
    return this.little ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  /** An address or offset: 4 bytes in a 32-bit ELF, 8 in a 64-bit one (beyond 2^53 is damage). */
  addr(at: number): number {
    if (!this.wide) return this.u32(at);
    const v = this.little ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
}

/** Reads `length` bytes at `offset`; fewer at the end of the file. */
async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** `length` bytes at `offset`, from the head already read when it holds them. */
async function bytesAt(
  fh: FileHandle,
  head: Buffer,
  offset: number,
  length: number,
): Promise<Buffer> {
  if (offset + length <= head.length) return head.subarray(offset, offset + length);
  return readAt(fh, offset, length);
}

/** Parses an ELF file whose first bytes are `head`; `fh` reads what lies beyond them. */
async function parseElf(fh: FileHandle, head: Buffer): Promise<ProgramFile> {
  const cls = head[4];
  const data = head[5];
  if (cls !== 1 && cls !== 2) {
    return { format: 'bad-elf', problem: `has an ELF header with an unknown class ${cls ?? 0}` };
  }
  if (data !== 1 && data !== 2) {
    return {
      format: 'bad-elf',
      problem: `has an ELF header with an unknown byte order ${data ?? 0}`,
    };
  }
  const wide = cls === 2;
  const headerSize = wide ? 64 : 52;
  if (head.length < headerSize) {
    return { format: 'bad-elf', problem: 'has an ELF header cut short' };
  }
  const f = new Fields(head, data === 1, wide);
  const machine = f.u16(18);
  const elf: ElfInfo = {
    bits: wide ? 64 : 32,
    endian: data === 1 ? 'little' : 'big',
    type: ELF_TYPES[f.u16(16)] ?? 'other',
    machine,
    machineName: elfMachineName(machine),
  };
  const phoff = f.addr(wide ? 32 : 28);
  const phentsize = f.u16(wide ? 54 : 42);
  const phnum = f.u16(wide ? 56 : 44);
  const entrySize = wide ? 56 : 32;
  if (phnum === 0 || phoff === 0) return { format: 'elf', elf };
  if (phentsize < entrySize || phentsize * phnum > MAX_PHDR_TABLE_BYTES) {
    return { format: 'bad-elf', problem: 'has a damaged ELF program header table' };
  }
  const table = await bytesAt(fh, head, phoff, phentsize * phnum);
  if (table.length < phentsize * phnum) {
    return { format: 'bad-elf', problem: 'has an ELF program header table cut short' };
  }
  const t = new Fields(table, data === 1, wide);
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    if (t.u32(at) !== PT_INTERP) continue;
    const offset = t.addr(at + (wide ? 8 : 4));
    const size = t.addr(at + (wide ? 32 : 16));
    if (size === 0 || size > MAX_INTERP_BYTES) {
      return { format: 'bad-elf', problem: 'has a damaged ELF loader (PT_INTERP) entry' };
    }
    const raw = await bytesAt(fh, head, offset, size);
    if (raw.length < size)
      return { format: 'bad-elf', problem: 'has an ELF loader path cut short' };
    const nul = raw.indexOf(0);
    elf.interpreter = raw.subarray(0, nul === -1 ? raw.length : nul).toString('utf8');
    break;
  }
  return { format: 'elf', elf };
}

/** The interpreter and optional argument of a `#!` line, as the kernel splits it. */
function parseShebang(head: Buffer): ProgramFile {
  const end = head.indexOf(0x0a);
  const line = head.subarray(2, end === -1 ? head.length : end).toString('utf8');
  const m = /^[ \t]*(\S+)(?:[ \t]+(.*?))?[ \t\r]*$/.exec(line);
  if (!m?.[1]) return { format: 'script', interpreter: '' };
  const argument = m[2];
  return {
    format: 'script',
    interpreter: m[1],
    ...(argument !== undefined && argument.length > 0 ? { argument } : {}),
  };
}

/**
 * Reads what kind of program `file` is from its first bytes (and its program headers). Rejects
 * with the file system's error when the file cannot be opened or read.
 */
export async function readProgramFile(file: string): Promise<ProgramFile> {
  const fh = await open(file, 'r');
  try {
    const head = await readAt(fh, 0, HEAD_BYTES);
    if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return await parseElf(fh, head);
    if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return parseShebang(head);
    return { format: 'unknown' };
  } finally {
    await fh.close();
  }
}
