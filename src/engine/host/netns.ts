// Network namespaces of a lab's nodes. In isolated mode they are files in the lab's runtime
// directory bind-mounted inside the engine's private mount namespace (they vanish with the
// engine); in host mode they are named namespaces (`ip netns`) tagged with the lab id.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkMode } from '../../shared/kinds.js';
import { netnsCalls } from '../process/inNetns.js';
import { runChecked } from '../process/run.js';
import type { Journal, JournalObject } from './journal.js';

/** A network namespace owned by a lab. */
export interface NetnsHandle {
  /** Node the namespace belongs to. */
  node: string;
  /** The file that pins the namespace (setns/nsenter target). */
  path: string;
  /** Name under /run/netns in host mode. */
  name?: string;
}

/** Where `ip netns` keeps named namespaces. */
const HOST_NETNS_DIR = '/run/netns';

/** Prefix of host-mode namespace names; the lab id follows, then the node name. */
export const HOST_NETNS_PREFIX = 'nw-';

/** Name of a node's namespace in host mode. */
export function hostNetnsName(labId: string, node: string): string {
  return `${HOST_NETNS_PREFIX}${labId}-${node}`;
}

/** Creates and removes a lab's namespaces, journaling each before it exists. */
export class NetnsManager {
  constructor(
    private readonly mode: NetworkMode,
    private readonly labId: string,
    private readonly labDir: string,
    private readonly journal: Journal,
  ) {}

  private object(h: NetnsHandle): JournalObject {
    return this.mode === 'host'
      ? { type: 'netns', ref: h.name ?? h.path, mode: 'host' }
      : { type: 'netns', ref: h.path, mode: 'isolated' };
  }

  /**
   * Creates the namespace of a node, with loopback up, in the engine itself (no process
   * started): a file pinned by a bind mount. Host mode: a named namespace, /run/netns/NAME, made
   * as `ip netns add` makes it (/run/netns a shared mount, the file created exclusively), so
   * that `ip netns` sees and removes it. Isolated mode: a file of the lab directory, mounted
   * inside the engine's private mount namespace.
   */
  create(node: string): NetnsHandle {
    const host = this.mode === 'host';
    const name = host ? hostNetnsName(this.labId, node) : undefined;
    const dir = host ? HOST_NETNS_DIR : join(this.labDir, 'netns');
    const handle: NetnsHandle = { node, path: join(dir, name ?? node), ...(name ? { name } : {}) };
    mkdirSync(dir, { recursive: true, mode: host ? 0o755 : 0o700 });
    this.journal.willCreate(this.object(handle));
    try {
      writeFileSync(handle.path, '', { mode: host ? 0 : 0o600, flag: host ? 'wx' : 'w' });
    } catch (err) {
      throw new Error(
        (err as NodeJS.ErrnoException).code === 'EEXIST'
          ? `network namespace ${name ?? handle.path} already exists (left by an earlier run?); remove it with \`netweave down --all\``
          : `cannot create network namespace file ${handle.path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      netnsCalls().createNetns(handle.path, host ? HOST_NETNS_DIR : null);
    } catch (err) {
      rmSync(handle.path, { force: true });
      throw err;
    }
    return handle;
  }

  /** Removes a namespace; every interface inside it goes with it. */
  async remove(h: NetnsHandle): Promise<void> {
    await removeNetnsObject(this.object(h));
    this.journal.didRemove(this.object(h));
  }
}

/** Removes a journaled namespace object; succeeds when it is already gone. */
export async function removeNetnsObject(o: JournalObject): Promise<void> {
  if (o.mode === 'host') {
    await runChecked(['ip', 'netns', 'del', o.ref]).catch((err: unknown) => {
      if (!/No such file|Invalid argument|not found/i.test(String(err))) throw err;
    });
    return;
  }
  // Isolated: inside the engine the file is a bind mount; after the engine died it is a
  // plain empty file. umount fails harmlessly in the second case.
  await runChecked(['umount', o.ref]).catch(() => undefined);
  rmSync(o.ref, { force: true });
}
