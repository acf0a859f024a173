// One netweave command at a time changes a lab: `up` while it starts the lab's engine, `down`
// (and every other cleanup) while it removes it. Without this, two `up` of one file could both
// start an engine, and a `down` racing an `up` could remove the runtime folder the `up` was
// writing to.
//
// The lock is a listening abstract Unix socket named after the lab's id: binding it is atomic,
// and the kernel releases it the moment its holder dies (kill -9 included), so there is never a
// stale lock file to judge. A command that finds it taken connects to it and learns who holds it
// (pid and command), which is what the waiting notice and the refusal name.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createConnection, createServer, type Server } from 'node:net';
import { EngineError } from '../../shared/contract.js';
import { labId } from '../paths.js';

/** What holds a lab's lock: a process and the command it runs. */
export interface LockHolder {
  pid: number;
  what: string;
}

/** Options of withLabLock. */
export interface LabLockOptions {
  /** Longest wait for another command to let go before refusing. */
  waitMs?: number;
  /** Called once when the lock is taken by another command and this one waits. */
  notice?: (line: string) => void;
}

/** Long enough for a `down` that must kill a hung engine (30 s graceful, then kill and sweep). */
const DEFAULT_WAIT_MS = 90_000;
const RETRY_MS = 100;

/** Labs whose lock this async context holds: cleanup inside `up` must not wait for itself. */
const holding = new AsyncLocalStorage<ReadonlySet<string>>();

function lockAddress(name: string): string {
  return `\0netweave/lock/${labId(name)}`;
}

function tryBind(address: string, holder: LockHolder): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(`${JSON.stringify(holder)}\n`);
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(undefined);
      else reject(err);
    });
    server.listen(address, () => {
      server.unref();
      resolve(server);
    });
  });
}

/** Who holds a lock, if it answers within a second. */
function askHolder(address: string): Promise<LockHolder | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(address);
    const done = (h: LockHolder | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => done(undefined), 1_000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => done(undefined));
    socket.on('end', () => {
      try {
        const h = JSON.parse(text) as Partial<LockHolder>;
        done(
          typeof h.pid === 'number' && typeof h.what === 'string'
            ? { pid: h.pid, what: h.what }
            : undefined,
        );
      } catch {
        done(undefined);
      }
    });
  });
}

function describe(h: LockHolder | undefined): string {
  return h ? `\`netweave ${h.what}\` (pid ${h.pid})` : 'another netweave command';
}

/**
 * Runs `fn` holding lab `name`'s lock, `what` naming this command (e.g. "up lab.yaml"). Waits
 * for another holder to finish, up to `waitMs`, then refuses in one sentence. Nested calls for
 * the same lab in the same async context run at once.
 */
export async function withLabLock<T>(
  name: string,
  what: string,
  fn: () => Promise<T>,
  opts: LabLockOptions = {},
): Promise<T> {
  const mine = holding.getStore();
  if (mine?.has(name)) return fn();
  const address = lockAddress(name);
  const me: LockHolder = { pid: process.pid, what };
  const until = Date.now() + (opts.waitMs ?? DEFAULT_WAIT_MS);
  let told = false;
  let server = await tryBind(address, me);
  while (server === undefined) {
    if (!told || Date.now() >= until) {
      const holder = await askHolder(address);
      if (Date.now() >= until) {
        throw new EngineError(
          'busy',
          `lab "${name}" is being changed by ${describe(holder)}; try again when it has finished`,
        );
      }
      opts.notice?.(`waiting for ${describe(holder)} to finish with lab "${name}"`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
    server = await tryBind(address, me);
  }
  const held = server;
  try {
    return await holding.run(new Set([...(mine ?? []), name]), fn);
  } finally {
    await new Promise<void>((r) => held.close(() => r()));
  }
}
