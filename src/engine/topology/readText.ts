// Reading a user's text file (topology or layout) with every failure turned into one sentence.
import { readFile, stat } from 'node:fs/promises';
import { oneLine } from '../../shared/topology/text.js';

/**
 * Largest topology or layout file accepted: a lab with thousands of nodes is well under 1 MiB,
 * so anything this big is the wrong file, and refusing it keeps the UI responsive.
 */
export const MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024;

/** The text of a file, or why it could not be read (one clause naming the fix). */
export type ReadTextResult =
  { ok: true; text: string } | { ok: false; code: string; reason: string };

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : '';
}

function reasonFor(code: string, err: unknown): string {
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist; check the path';
    case 'ENOTDIR':
      return 'a folder in the path is not a directory; check the path';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; make the file readable for this user';
    case 'EISDIR':
      return 'it is a directory; give the path of a file';
    case 'ELOOP':
      return 'the path has a symbolic link loop; fix the link';
    case 'ENAMETOOLONG':
      return 'the path or one of its names is too long; check the path';
    default:
      // Node's message repeats the path as given, which may hold a newline.
      return `${oneLine(err instanceof Error ? err.message : String(err))}; check the file`;
  }
}

/** Reads a UTF-8 text file (a BOM is dropped); never throws. */
export async function readTextFile(file: string): Promise<ReadTextResult> {
  try {
    const info = await stat(file);
    if (info.isDirectory())
      return { ok: false, code: 'EISDIR', reason: reasonFor('EISDIR', undefined) };
    if (info.size > MAX_TEXT_FILE_BYTES) {
      return {
        ok: false,
        code: 'EFBIG',
        reason: `it is ${info.size} bytes, over the ${MAX_TEXT_FILE_BYTES}-byte limit; check that this is the right file`,
      };
    }
    const bytes = await readFile(file);
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      return { ok: false, code: 'EILSEQ', reason: 'it is not UTF-8 text; save it as UTF-8' };
    }
  } catch (err) {
    const code = errorCode(err);
    return { ok: false, code, reason: reasonFor(code, err) };
  }
}
