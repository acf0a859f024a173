// Crafted ELF files for tests: a header of either class and byte order, a PT_LOAD program
// header and, for a dynamic program, a PT_INTERP naming its loader. Enough for header readers
// and for QEMU to recognise the machine; not a program that runs.

/** What the crafted file declares. */
export interface ElfSpec {
  bits: 32 | 64;
  endian: 'little' | 'big';
  /** e_machine (3 i386, 40 ARM, 62 x86-64, 183 AArch64...). */
  machine: number;
  /** e_type; default 2 (ET_EXEC). */
  type?: number;
  /** The loader path; a PT_INTERP entry is written when set. */
  interpreter?: string;
  /** Where the program headers start; default right after the ELF header. */
  phoff?: number;
}

/** The bytes of an ELF file as `spec` declares it. */
export function elfFile(spec: ElfSpec): Buffer {
  const wide = spec.bits === 64;
  const little = spec.endian === 'little';
  const ehsize = wide ? 64 : 52;
  const phentsize = wide ? 56 : 32;
  const phoff = spec.phoff ?? ehsize;
  const interp = spec.interpreter !== undefined ? Buffer.from(`${spec.interpreter}\0`) : undefined;
  const phnum = interp ? 2 : 1;
  const interpAt = phoff + phnum * phentsize;
  const size = interpAt + (interp?.length ?? 0);
  const b = Buffer.alloc(size);
  const u16 = (v: number, at: number): number =>
    little ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
  const u32 = (v: number, at: number): number =>
    little ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at);
  const addr = (v: number, at: number): number =>
    wide
      ? little
        ? b.writeBigUInt64LE(BigInt(v), at)
        : b.writeBigUInt64BE(BigInt(v), at)
      : u32(v, at);
  b.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, little ? 1 : 2, 1], 0);
  u16(spec.type ?? 2, 16);
  u16(spec.machine, 18);
  u32(1, 20);
  addr(0x10000, 24); // e_entry
  addr(phoff, wide ? 32 : 28);
  u16(ehsize, wide ? 52 : 40);
  u16(phentsize, wide ? 54 : 42);
  u16(phnum, wide ? 56 : 44);
  /** Writes program header `i`: type, file offset and size. */
  const phdr = (i: number, type: number, offset: number, filesz: number): void => {
    const at = phoff + i * phentsize;
    u32(type, at);
    if (wide) {
      u32(type === 1 ? 5 : 4, at + 4); // p_flags
      addr(offset, at + 8);
      addr(0x10000 + offset, at + 16);
      addr(0x10000 + offset, at + 24);
      addr(filesz, at + 32);
      addr(filesz, at + 40);
      addr(type === 1 ? 0x1000 : 1, at + 48);
    } else {
      u32(offset, at + 4);
      u32(0x10000 + offset, at + 8);
      u32(0x10000 + offset, at + 12);
      u32(filesz, at + 16);
      u32(filesz, at + 20);
      u32(type === 1 ? 5 : 4, at + 24);
      u32(type === 1 ? 0x1000 : 1, at + 28);
    }
  };
  if (interp) {
    phdr(0, 3, interpAt, interp.length); // PT_INTERP first, as linkers write it
    phdr(1, 1, 0, size);
    interp.copy(b, interpAt);
  } else {
    phdr(0, 1, 0, size);
  }
  return b;
}
