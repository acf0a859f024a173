// The ownership journal: every host object a lab creates is written here *before* it is
// created, so that cleanup after a crash or kill -9 can find it without the topology file.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import type { InterfaceSnapshot } from './attachedInterface.js';

/** Kinds of host objects the journal records. */
export type JournalObjectType =
  | 'dir'
  | 'file'
  | 'socket'
  | 'netns'
  | 'process'
  | 'interface'
  /** A kernel interface the lab borrowed (never deleted): cleanup gives it back as `restore` says. */
  | 'attached-interface'
  /** A host setting the lab changed (ref: its name, e.g. net.ipv4.ip_forward); see `previous`. */
  | 'sysctl'
  /** An nftables table of the lab's own (ref: "family name"); removed as a whole. */
  | 'nft-table'
  /** A rule the lab inserted into another owner's chain (ref: a description; see `argv`). */
  | 'firewall-rule';

/** One host object owned by a lab. */
export interface JournalObject {
  type: JournalObjectType;
  /** Path (dir, file, socket, netns file), interface name, or pid as a string. */
  ref: string;
  /** Network mode of the object: named namespaces in host mode are removed with `ip netns del`. */
  mode?: 'isolated' | 'host';
  /** For processes: the start time from /proc/PID/stat, so a reused pid is never killed. */
  startTime?: string;
  /** For interfaces and netns: the namespace file the object lives in, if not the engine's. */
  netns?: string;
  /** For attached interfaces: their state before the lab borrowed them. */
  restore?: InterfaceSnapshot;
  /** For sysctls: the value before the lab changed it, written back on cleanup. */
  previous?: string;
  /** For firewall rules: the command that deletes the rule again. */
  argv?: string[];
}

/** A line of the journal. */
export interface JournalEntry {
  op: 'create' | 'remove';
  object: JournalObject;
  time: string;
}

/** Key identifying an object across create and remove entries. */
function key(o: JournalObject): string {
  return `${o.type}\u0000${o.ref}\u0000${o.netns ?? ''}`;
}

/** Append-only, fsynced journal of one lab's host objects. */
export class Journal {
  constructor(readonly path: string) {}

  /** Records that an object is about to be created. Call before creating it. */
  willCreate(object: JournalObject): void {
    this.append({ op: 'create', object, time: new Date().toISOString() });
  }

  /** Records that an object is gone. */
  didRemove(object: JournalObject): void {
    this.append({ op: 'remove', object, time: new Date().toISOString() });
  }

  private append(entry: JournalEntry): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    const fd = openSync(this.path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Objects created and not yet removed, in creation order. Unparsable lines are skipped. */
  outstanding(): JournalObject[] {
    return readOutstanding(this.path);
  }
}

/** Reads a journal file and returns the objects still outstanding, in creation order. */
export function readOutstanding(path: string): JournalObject[] {
  if (!existsSync(path)) return [];
  const live = new Map<string, JournalObject>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      continue; // a torn last line after a crash
    }
    if (!entry.object || typeof entry.object.ref !== 'string') continue;
    const k = key(entry.object);
    if (entry.op === 'create') live.set(k, entry.object);
    else live.delete(k);
  }
  return [...live.values()];
}
