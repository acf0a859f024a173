// Where a lab keeps its runtime files and its logs.
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { sha256Hex } from './hash.js';

/** Base folder of every lab's runtime directory for this user. */
export function runtimeBase(): string {
  const override = process.env['NETWEAVE_RUNTIME_DIR'];
  if (override) return override;
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return '/run/netweave';
  const xdg = process.env['XDG_RUNTIME_DIR'];
  if (xdg) return join(xdg, 'netweave');
  return join(tmpdir(), `netweave-${uid}`);
}

/** The user's home folder, undefined when there is none to write to (system users). */
function usableHome(): string | undefined {
  const home = homedir();
  return home && home !== '/nonexistent' && home !== '/' ? home : undefined;
}

/** Base folder of per-run logs; logs outlive the lab on purpose (they explain a failure). */
export function logBase(): string {
  const override = process.env['NETWEAVE_LOG_DIR'];
  if (override) return override;
  const state = process.env['XDG_STATE_HOME'];
  if (state) return join(state, 'netweave', 'logs');
  const home = usableHome();
  return home !== undefined
    ? join(home, '.local', 'state', 'netweave', 'logs')
    : `${runtimeBase()}-logs`;
}

/**
 * Folder of what netweave may remember between runs and rebuild at will (e.g. the options a
 * zephyr.exe lists): XDG's cache folder, undefined without a home.
 */
export function cacheBase(): string | undefined {
  const own = process.env['NETWEAVE_CACHE_DIR'];
  if (own) return own;
  const xdg = process.env['XDG_CACHE_HOME'];
  if (xdg) return join(xdg, 'netweave');
  const home = usableHome();
  return home !== undefined ? join(home, '.cache', 'netweave') : undefined;
}

/**
 * True when `path` is a direct child of the runtime root (`base`): resolved, its parent is the
 * root itself. Nothing netweave removes recursively may be anywhere else.
 */
export function isRuntimeChild(path: string, base: string = runtimeBase()): boolean {
  if (path.includes('\0')) return false;
  const root = resolve(base);
  const full = resolve(path);
  return full !== root && dirname(full) === root;
}

/**
 * The runtime directory of one lab: `<runtime root>/<labName>`. Throws when the name is not a
 * single folder name (a path, "..", "." or a NUL byte), so that no caller, whatever name it
 * was handed, can reach outside the runtime root. Names are checked against the topology's
 * naming rule where they come in (see the app service); this is the last line of defence.
 */
export function labDir(labName: string): string {
  const base = runtimeBase();
  const dir = join(base, labName);
  if (labName.includes('\0') || basename(resolve(dir)) !== labName || !isRuntimeChild(dir, base)) {
    throw new Error(
      `refusing lab name ${JSON.stringify(labName.slice(0, 64))}: a lab's runtime directory must be a folder directly inside ${base}`,
    );
  }
  return dir;
}

/**
 * Short id of a lab, used to tag host objects (namespace names, interface aliases, process
 * environment). Derived from the user, the runtime directory and the lab name, so the same lab
 * gets the same tag again after a crash, and labs of the same name run by two users (or from
 * two runtime directories, as parallel test runs do) do not collide.
 */
export function labId(
  labName: string,
  uid: number = process.getuid?.() ?? 0,
  base: string = runtimeBase(),
): string {
  return sha256Hex(`${uid}:${base}:${labName}`).slice(0, 8);
}

/** Files inside a lab's runtime directory. */
export const LAB_FILES = {
  journal: 'journal.jsonl',
  socket: 'engine.sock',
  state: 'engine.json',
  netns: 'netns',
  sockets: 'sock',
} as const;

/** The environment variable that tags every process a lab starts with the lab's id. */
export const LAB_TAG_ENV = 'NETWEAVE_LAB_ID';

/** The environment variable that tells which runtime directory a tagged process belongs to. */
export const LAB_DIR_ENV = 'NETWEAVE_LAB_DIR';

/** Prefix of every tag netweave writes on host objects. */
export const TAG_PREFIX = 'netweave';

/** The alias written on every interface a lab creates: "netweave:<lab id>:<node>". */
export function interfaceTag(labId: string, node: string): string {
  return `${TAG_PREFIX}:${labId}:${node}`;
}

/** The `ip` command that writes a lab's ownership tag on an interface (see interfaceTag). */
export function tagInterfaceArgv(ifname: string, labId: string, node: string): string[] {
  return ['ip', 'link', 'set', 'dev', ifname, 'alias', interfaceTag(labId, node)];
}
