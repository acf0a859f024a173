// What a benchmark creates (processes, namespaces, labs, folders) is undone in its finally
// blocks. This module undoes it too when the benchmark is interrupted (SIGINT, SIGTERM,
// SIGHUP): every creator registers its undo here before it creates, and releases it once its
// own finally block has run.
import type { ChildProcess } from 'node:child_process';

/** An undo step: idempotent, because a finally block may run it as well. */
type Undo = () => unknown;

interface Registered {
  what: string;
  undo: Undo;
}

/** A registration: release() once the thing is gone by the normal path. */
export interface Owned {
  release(): void;
}

const registered = new Map<number, Registered>();
let nextId = 0;
let interrupted = false;

/** The exit status of a process killed by each signal, as a shell reports it. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

/** Registers `undo` to run if the benchmark is interrupted before release(). */
export function onInterrupt(what: string, undo: Undo): Owned {
  const id = nextId++;
  registered.set(id, { what, undo });
  return {
    release: () => {
      registered.delete(id);
    },
  };
}

/**
 * Kills `child` (SIGKILL) if the benchmark is interrupted while it runs; the registration ends
 * by itself when the child exits.
 */
export function ownChild(child: ChildProcess, what: string): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const owned = onInterrupt(what, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.once('exit', () => owned.release());
}

/** True once an interrupt signal arrived: creators stop creating. */
export function isInterrupted(): boolean {
  return interrupted;
}

async function undoAll(signal: NodeJS.Signals): Promise<void> {
  process.stderr.write(`bench: ${signal}: removing what the benchmark created...\n`);
  // Newest first: a process inside a namespace goes before the namespace's holder.
  const steps = [...registered.entries()].sort((a, b) => b[0] - a[0]).map(([, r]) => r);
  registered.clear();
  for (const step of steps) {
    try {
      await step.undo();
    } catch (err) {
      process.stderr.write(
        `bench: could not remove ${step.what}: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  }
}

/**
 * Installs the signal handlers: on SIGINT, SIGTERM or SIGHUP every registered undo runs (once;
 * a second signal during it is ignored), then the process exits with the signal's status.
 */
export function installInterruptHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      void undoAll(signal).finally(() => process.exit(SIGNAL_EXIT[signal] ?? 1));
    });
  }
}
