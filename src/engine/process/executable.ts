// Checking an executable the way execvp(3) will find it, so a missing binary is reported in one
// clear sentence instead of node-pty's "execvp(3) failed." printed into the console.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** The search path execvp(3) uses when PATH is not set (glibc's confstr(_CS_PATH)). */
const DEFAULT_EXEC_PATH = '/bin:/usr/bin';

/** Where an executable was found, or why it cannot be run (a sentence fragment). */
export type ExecutableCheck = { ok: true; path: string } | { ok: false; problem: string };

async function isExecutableFile(file: string): Promise<'ok' | 'missing' | 'not-executable'> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return 'not-executable';
    await access(file, constants.X_OK);
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not-executable';
  }
}

/**
 * Finds `file` as execvp(3) would in a child with working directory `cwd` and environment
 * `env`: a name containing "/" is taken relative to `cwd`; a bare name is searched on the
 * child's PATH (or the libc default when the child has no PATH).
 */
export async function findExecutable(
  file: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ExecutableCheck> {
  if (file.length === 0) return { ok: false, problem: 'the command is empty' };
  if (file.includes('/')) {
    const full = path.resolve(cwd, file);
    const found = await isExecutableFile(full);
    if (found === 'ok') return { ok: true, path: full };
    return {
      ok: false,
      problem: found === 'missing' ? `${file} not found` : `${file} is not an executable file`,
    };
  }
  let sawNonExecutable: string | undefined;
  for (const dir of (env['PATH'] ?? DEFAULT_EXEC_PATH).split(':')) {
    // An empty PATH element means the current directory, as in execvp(3).
    const full = path.resolve(cwd, dir, file);
    const found = await isExecutableFile(full);
    if (found === 'ok') return { ok: true, path: full };
    if (found === 'not-executable') sawNonExecutable ??= full;
  }
  if (sawNonExecutable !== undefined) {
    return { ok: false, problem: `${sawNonExecutable} is not an executable file` };
  }
  return { ok: false, problem: `${file} not found on PATH` };
}

/** Checks that `dir` exists and is a directory; returns a sentence fragment if not. */
export async function checkDirectory(dir: string): Promise<string | undefined> {
  try {
    if ((await stat(dir)).isDirectory()) return undefined;
    return `working directory ${dir} is not a directory`;
  } catch {
    return `working directory ${dir} does not exist`;
  }
}
