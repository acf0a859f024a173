// Network namespaces of a lab's nodes. In isolated mode they are files in the lab's runtime
// directory bind-mounted inside the engine's private mount namespace (they vanish with the
// engine); in host mode they are named namespaces (`ip netns`) tagged with the lab id.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkMode } from '../../shared/kinds.js';
import { runChecked, runCommand } from '../process/run.js';
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

/** Prefix of host-mode namespace names; the lab id follows, then the node name. */
export const HOST_NETNS_PREFIX = 'nw-';

/** Name of a node's namespace in host mode. */
export function hostNetnsName(labId: string, node: string): string {
  return `${HOST_NETNS_PREFIX}${labId}-${node}`;
}

/** The argv that runs `argv` inside a namespace. */
export function inNetns(path: string, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${path}`, '--', ...argv];
}

/**
 * Runs `ip` commands (argv without the leading "ip") in a namespace as one process, `ip -batch
 * -`, instead of one nsenter and one ip per command: wiring a node is a dozen of them and each
 * process costs about 15 ms. ip stops at the first command that fails; the error names it.
 */
export async function ipBatchIn(
  path: string,
  commands: readonly (readonly string[])[],
): Promise<void> {
  for (const word of commands.flat()) {
    // ip's batch reader splits on blanks and reads quotes: only plain words are passed.
    if (!/^[^\s"'\\#]+$/.test(word)) {
      throw new Error(`ip batch: "${word}" is not a plain word`);
    }
  }
  const input = `${commands.map((c) => c.join(' ')).join('\n')}\n`;
  const r = await runCommand(inNetns(path, ['ip', '-batch', '-']), { input });
  if (r.exitCode === 0) return;
  const line = /Command failed -:(\d+)/.exec(r.stderr)?.[1];
  const failed = line !== undefined ? commands[Number(line) - 1] : undefined;
  const why = r.stderr
    .replace(/Command failed -:\d+/, '')
    .trim()
    .replace(/\s+/g, ' ');
  throw new Error(
    `ip ${failed?.join(' ') ?? '-batch'} in ${path} failed${r.timedOut ? ' (timed out)' : ''}: ${why || `exit code ${r.exitCode}`}`,
  );
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

  /** Creates the namespace of a node, with loopback up. */
  async create(node: string): Promise<NetnsHandle> {
    let handle: NetnsHandle;
    if (this.mode === 'host') {
      const name = hostNetnsName(this.labId, node);
      handle = { node, name, path: `/run/netns/${name}` };
      this.journal.willCreate(this.object(handle));
      await runChecked(['ip', 'netns', 'add', name]);
    } else {
      const dir = join(this.labDir, 'netns');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      handle = { node, path: join(dir, node) };
      this.journal.willCreate(this.object(handle));
      writeFileSync(handle.path, '', { mode: 0o600 });
      await runChecked(['unshare', `--net=${handle.path}`, 'true']);
    }
    await runChecked(inNetns(handle.path, ['ip', 'link', 'set', 'lo', 'up']));
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
