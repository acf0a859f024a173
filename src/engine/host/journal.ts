// The ownership journal: every host object a lab creates is written here *before* it is
// created, so that cleanup after a crash or kill -9 can find it without the topology file.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_FILES } from '../paths.js';
import type { InterfaceSnapshot } from './attachedInterface.js';
import { isSameProcessAlive, taggedProcesses } from './procfs.js';

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
  /**
   * For sysctls: the value before the lab changed it, written back on cleanup (or handed over
   * to another live lab that still needs `value`, see services/nat.ts).
   */
  previous?: string;
  /** For sysctls: the value the lab needs (and set when it differed). */
  value?: string;
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
  private removals = 0;

  constructor(readonly path: string) {}

  /** How many objects this journal recorded as removed (didRemove) since it was made. */
  get removedCount(): number {
    return this.removals;
  }

  /** Records that an object is about to be created. Call before creating it. */
  willCreate(object: JournalObject): void {
    this.append({ op: 'create', object, time: new Date().toISOString() });
  }

  /** Records that an object is gone. */
  didRemove(object: JournalObject): void {
    this.removals++;
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

/** A lab whose engine is alive: its id, runtime directory and engine pid. */
export interface LiveLab {
  labId: string;
  labDir: string;
  enginePid: number;
  network?: 'isolated' | 'host';
}

/**
 * Labs whose engine is alive, found from the tagged processes of this user whatever runtime
 * directory they run from (an engine carries its lab's id and directory in its environment;
 * its record in that directory names the engine's pid and start time).
 */
export function liveLabs(): LiveLab[] {
  const live = new Map<string, LiveLab>();
  for (const p of taggedProcesses()) {
    if (p.labDir === undefined || live.has(p.labId)) continue;
    try {
      const rec = JSON.parse(readFileSync(join(p.labDir, LAB_FILES.state), 'utf8')) as {
        labId?: string;
        enginePid?: number;
        engineStart?: string;
        network?: 'isolated' | 'host';
      };
      if (
        rec.labId === p.labId &&
        typeof rec.enginePid === 'number' &&
        isSameProcessAlive(rec.enginePid, rec.engineStart)
      ) {
        live.set(p.labId, {
          labId: p.labId,
          labDir: p.labDir,
          enginePid: rec.enginePid,
          ...(rec.network ? { network: rec.network } : {}),
        });
      }
    } catch {
      // no record: not a live engine's lab
    }
  }
  return [...live.values()];
}

/** The journal of a lab, by its runtime directory. */
export function labJournal(labDir: string): Journal {
  return new Journal(join(labDir, LAB_FILES.journal));
}
