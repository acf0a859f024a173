// The recent-files list of the app, kept in the user's config folder.
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../engine/topology/index.js';

/** How many recent files are remembered: enough for a start screen, short enough to scan. */
export const MAX_RECENT_FILES = 10;

/** The file the recent list is stored in (NETWEAVE_CONFIG_DIR overrides the folder). */
export function recentFilesPath(): string {
  const base =
    process.env['NETWEAVE_CONFIG_DIR'] ??
    join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'netweave');
  return join(base, 'recent.json');
}

/** Reads the recent list (empty when missing or unreadable). */
export async function readRecentFiles(): Promise<string[]> {
  try {
    const data = JSON.parse(await readFile(recentFilesPath(), 'utf8')) as unknown;
    return Array.isArray(data) ? data.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

/** Moves a file to the top of the recent list and returns the new list. */
export async function touchRecentFile(file: string): Promise<string[]> {
  const files = [file, ...(await readRecentFiles()).filter((f) => f !== file)].slice(
    0,
    MAX_RECENT_FILES,
  );
  const path = recentFilesPath();
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(files, null, 2)}\n`);
  } catch {
    // A read-only config folder must not stop opening or saving a file.
  }
  return files;
}
