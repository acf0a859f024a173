// Atomic file replacement: write a temp file in the same directory, flush it, rename it over
// the target. Readers see the old file or the new one, never a torn write.
import { open, rename, rm } from 'node:fs/promises';
import { nodeCrypto } from '../hash.js';

/** Replaces `file` with `data` atomically (temp file in the same directory + rename). */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const temp = `${file}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
