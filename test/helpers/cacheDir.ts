// Vitest global setup: netweave's cache (zephyr.exe --help texts, see cacheBase) goes to a
// temporary folder for the whole run instead of the user's ~/.cache, and is removed after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'nwtest-cache-'));
  process.env['NETWEAVE_CACHE_DIR'] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
