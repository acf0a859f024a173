// What a zephyr.exe understands, read from its own `--help` (native_sim's command line parser
// lists every option the build has: drivers add theirs, so the list differs per build and per
// release). Launches are planned from this list, never from a guessed Zephyr version.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EngineError } from '../../../../shared/contract.js';
import {
  cannotRunSentence,
  findRunProblem,
  type RunProblem,
} from '../../../../engine/process/runnable.js';
import { runCommand } from '../../../../engine/process/run.js';
import { cacheBase } from '../../../../engine/paths.js';
import { fnv1a } from '../../../../engine/hash.js';

/**
 * Long enough for a zephyr.exe on a loaded 2-core machine: --help is answered by the command
 * line parser before the simulated CPU starts (measured: 10-30 ms).
 */
const PROBE_TIMEOUT_MS = 15_000;

/** The help text's first line always starts with the parser's own help options. */
const HELP_SIGNATURE = /\[-h\]\s*\[--h\]\s*\[--help\]/;

/** One option of the help's synopsis: `[-name]`, `[-name=<value>]`, `[-testargs <arg>...]`. */
const OPTION = /\[--?([A-Za-z0-9?][A-Za-z0-9_?-]*)(=<[^\]]*>)?(?: <[^\]]*>\.\.\.)?\]/g;

/** Options of a zephyr.exe, by name without dashes ("eth-if", "seed", "attach_uart_cmd"). */
export interface NativeSimOptions {
  /** Every option the build lists, with whether it takes a value ("-seed=<r_seed>"). */
  readonly options: ReadonlyMap<string, { takesValue: boolean }>;
  /** True when the build lists `name`. */
  has(name: string): boolean;
  /**
   * Devicetree nodes with an interface-name option of their own ("<node>_eth-if", Zephyr 4.5's
   * per-instance TAP driver), in the order the help lists them.
   */
  readonly ethIfNodes: readonly string[];
}

/** The per-instance TAP-name option suffix of Zephyr 4.5. */
const PER_NODE_ETH_IF = '_eth-if';

/** Parses the synopsis of a zephyr.exe's --help. Pure; undefined when it is not such a help. */
export function parseNativeSimHelp(text: string): NativeSimOptions | undefined {
  if (!HELP_SIGNATURE.test(text)) return undefined;
  // The synopsis ends at the first blank line; descriptions after it repeat the options.
  const synopsis = text.split(/\r?\n\s*\r?\n/)[0] ?? text;
  const options = new Map<string, { takesValue: boolean }>();
  for (const m of synopsis.matchAll(OPTION)) {
    const name = m[1];
    if (name !== undefined && !options.has(name))
      options.set(name, { takesValue: m[2] !== undefined });
  }
  const ethIfNodes = [...options.keys()]
    .filter((o) => o.endsWith(PER_NODE_ETH_IF) && o.length > PER_NODE_ETH_IF.length)
    .map((o) => o.slice(0, -PER_NODE_ETH_IF.length));
  return { options, has: (name) => options.has(name), ethIfNodes };
}

/** Probes already done in this process, by file identity (device, inode, size, mtime, ctime). */
const cache = new Map<string, Promise<NativeSimOptions>>();

async function identity(exe: string): Promise<string> {
  try {
    const st = await stat(exe);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new EngineError(
      missing ? 'missing-binary' : 'bad-request',
      missing
        ? `${exe} not found; build it with \`west build -b native_sim/native/64\``
        : `cannot read ${exe}: ${(err as Error).message}`,
    );
  }
}

/**
 * The help text remembered on disk for one exe path (every lab's engine is a new process, and
 * running --help costs about 40 ms of each start): one file per path, holding the identity of
 * the file it was read from, so a rebuilt zephyr.exe is probed again.
 */
interface StoredHelp {
  identity: string;
  help: string;
}

function storedHelpFile(exe: string): string | undefined {
  const base = cacheBase();
  if (base === undefined) return undefined;
  // A cache key, not a secret: FNV-1a needs no node:crypto (a collision only probes again).
  const key = fnv1a(exe).toString(16).padStart(8, '0');
  return join(base, 'native-sim-help', `${key}.json`);
}

async function readStoredHelp(exe: string, id: string): Promise<NativeSimOptions | undefined> {
  const file = storedHelpFile(exe);
  if (file === undefined) return undefined;
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredHelp>;
    if (stored.identity !== id || typeof stored.help !== 'string') return undefined;
    return parseNativeSimHelp(stored.help);
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only means the next start probes again. */
async function storeHelp(exe: string, stored: StoredHelp): Promise<void> {
  const file = storedHelpFile(exe);
  if (file === undefined) return;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // read-only home, full disk: nothing to do
  }
}

/**
 * Reads the options of `exe` by running `exe --help` once per file identity: remembered in
 * this process and on disk. Rejects with one sentence naming `node` when the file does not
 * answer like zephyr.exe.
 */
export function probeNativeSim(node: string, exe: string): Promise<NativeSimOptions> {
  return identity(exe).then((id) => {
    let probe = cache.get(id);
    if (probe === undefined) {
      probe = readStoredHelp(exe, id).then(
        (stored) =>
          stored ??
          runProbe(node, exe).then(async ({ options, help }) => {
            await storeHelp(exe, { identity: id, help });
            return options;
          }),
      );
      cache.set(id, probe);
      // A failed probe is not remembered: the user fixes the file and tries again.
      probe.catch(() => cache.delete(id));
    }
    return probe;
  });
}

/** The fix for a zephyr.exe that cannot run here, in Zephyr's words where netweave knows better. */
function fixFor(problem: RunProblem): string | undefined {
  switch (problem.kind) {
    case 'no-32-bit':
    case 'missing-loader':
    case 'other-machine':
      return 'build it for this machine with `west build -b native_sim/native/64` (native_sim_64)';
    default:
      return undefined;
  }
}

async function runProbe(
  node: string,
  exe: string,
): Promise<{ options: NativeSimOptions; help: string }> {
  // Before anything runs it: execvp would hand a binary it cannot run to /bin/sh.
  const problem = await findRunProblem(exe);
  if (problem !== undefined) {
    throw new EngineError(
      problem.kind === 'missing' ? 'missing-binary' : 'bad-request',
      cannotRunSentence(`native-sim node "${node}" cannot start: ${exe}`, problem, fixFor(problem)),
    );
  }
  const r = await runCommand([exe, '--help'], { timeoutMs: PROBE_TIMEOUT_MS });
  const text = `${r.stdout}\n${r.stderr}`;
  const parsed = parseNativeSimHelp(text);
  if (parsed !== undefined) return { options: parsed, help: text };
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  throw new EngineError(
    'bad-request',
    `native-sim node "${node}" cannot use ${exe}: it does not answer --help like a native_sim zephyr.exe (${
      r.timedOut
        ? 'no answer within 15 s'
        : first !== undefined
          ? `it printed "${first.slice(0, 160)}"`
          : 'it printed nothing'
    }); point "exe" at build/zephyr/zephyr.exe of a native_sim or native_posix build`,
  );
}
