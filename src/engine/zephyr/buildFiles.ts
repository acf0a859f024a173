// Reading a Zephyr build directory's two fact files: zephyr/.config (Kconfig) and CMakeCache.txt.
// Pure parsers, plus one function that reads both from disk.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../../shared/contract.js';

/** Kconfig values: "y"/"m" as booleans, strings unquoted, numbers as their text. */
export type KconfigValue = boolean | string;

/** A parsed .config: symbol names without the CONFIG_ prefix. */
export type Kconfig = ReadonlyMap<string, KconfigValue>;

/** A parsed CMakeCache.txt: KEY -> value (the :TYPE is dropped). */
export type CMakeCache = ReadonlyMap<string, string>;

/** Unescapes a Kconfig string value (backslash escapes " and \). */
function unquote(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Parses zephyr/.config: `CONFIG_X=y`, `CONFIG_X="text"`, `CONFIG_X=42`, `# CONFIG_X is not set`. */
export function parseKconfig(text: string): Kconfig {
  const out = new Map<string, KconfigValue>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset?.[1]) {
      out.set(unset[1], false);
      continue;
    }
    const m = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const value = m[2];
    out.set(m[1], value === 'y' || value === 'm' ? true : value === 'n' ? false : unquote(value));
  }
  return out;
}

/** Parses CMakeCache.txt lines `KEY:TYPE=VALUE` (comments and blank lines skipped). */
export function parseCMakeCache(text: string): CMakeCache {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#') || line.startsWith('//') || line.trim() === '') continue;
    const m = /^([^:=]+)(?::[A-Za-z_]+)?=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out.set(m[1].trim(), m[2]);
  }
  return out;
}

/** True when a Kconfig symbol is set to y. */
export function enabled(config: Kconfig, symbol: string): boolean {
  return config.get(symbol) === true;
}

/** A Kconfig string or number value, or undefined when unset or boolean. */
export function stringOf(config: Kconfig, symbol: string): string | undefined {
  const v = config.get(symbol);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Both fact files of a build directory. */
export interface BuildFiles {
  dir: string;
  config: Kconfig;
  cache: CMakeCache;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EngineError('bad-request', `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Reads zephyr/.config (required) and CMakeCache.txt (optional) of a build directory. */
export async function readBuildFiles(dir: string): Promise<BuildFiles> {
  const configText = await readText(join(dir, 'zephyr', '.config'));
  if (configText === undefined) {
    throw new EngineError(
      'bad-request',
      `${dir} is not a Zephyr build directory (it has no zephyr/.config); build it first with \`west build -d ${dir}\``,
    );
  }
  const cacheText = (await readText(join(dir, 'CMakeCache.txt'))) ?? '';
  return { dir, config: parseKconfig(configText), cache: parseCMakeCache(cacheText) };
}
