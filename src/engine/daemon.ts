// The engine process of one lab. The launcher starts it (inside a fresh user + network + mount
// + pid namespace in isolated mode); it deploys the lab, serves the contract on the lab's
// socket, and destroys the lab on `down`, SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readlinkSync, rmSync } from 'node:fs';
import {
  EngineError,
  type CommandName,
  type CommandParams,
  type CommandResult,
  type EngineClient,
  type EngineEvents,
  type EventName,
} from '../shared/contract.js';
import type { Disposable } from '../shared/lifecycle.js';
import type { Topology } from '../shared/topology/index.js';
import { formatProblem } from '../shared/topology/problem.js';
import { Lab } from './lab.js';
import { LAB_FILES } from './paths.js';
import { netnsCalls } from './process/inNetns.js';
import { EngineServer } from './rpc/server.js';
import { readWarmGo, restoreEngineEnv, WARM_FLAG } from './warmEngine.js';

/** Why a deploy failed when `down` came while it ran. */
const DOWN_DURING_DEPLOY = 'it was taken down (netweave down) while it was starting';

/** After a failed deploy, how long the engine waits for its client to read the reason. */
const FAILED_LINGER_MS = 10_000;

function hostPid(): number {
  try {
    // /proc is the machine's in host mode and our own in isolated mode (--mount-proc).
    return Number(readlinkSync('/proc/self'));
  } catch {
    return process.pid;
  }
}

/**
 * The engine's arguments: its own, or for a warm engine (warmEngine.ts) the ones its launcher
 * sends once it has a lab, with the topology it validated. Undefined: a warm engine nobody gave
 * a lab.
 */
async function engineArgs(): Promise<{ args: string[]; topology?: Topology } | undefined> {
  const own = process.argv.slice(2);
  if (own[0] !== WARM_FLAG) return { args: own };
  const { values } = parseArgs({
    args: own,
    options: {
      warm: { type: 'boolean' },
      file: { type: 'string' },
      'warm-log': { type: 'string' }, // WARM_LOG_FLAG
    },
  });
  const go = await readWarmGo();
  if (go === undefined) {
    const log = values['warm-log'];
    if (log !== undefined) rmSync(log, { force: true });
    return undefined;
  }
  return go;
}

/**
 * The first run scripts/bundle.mjs gives the bundled engine: it loads what the engine otherwise
 * loads on first use (the params checks of its socket) and exits, so that the code cache the
 * run leaves covers them too.
 */
const FIRST_RUN_FLAG = '--first-run';

async function main(): Promise<void> {
  if (process.argv[2] === FIRST_RUN_FLAG) {
    const { parseEngineParams } = await import('../shared/commandParams.js');
    parseEngineParams('status', {});
    return;
  }
  restoreEngineEnv();
  const start = await engineArgs();
  if (start === undefined) process.exit(0);
  const { values } = parseArgs({
    args: start.args,
    options: {
      file: { type: 'string' },
      'lab-dir': { type: 'string' },
      'log-dir': { type: 'string' },
      network: { type: 'string' },
      'lab-id': { type: 'string' },
      'engine-pid': { type: 'string' },
    },
  });
  const file = values.file;
  const dir = values['lab-dir'];
  const logDir = values['log-dir'];
  const labId = values['lab-id'];
  const network = values.network === 'host' ? 'host' : 'isolated';
  if (!file || !dir || !logDir || !labId) throw new Error('daemon: missing arguments');
  let topology = start.topology;
  if (topology === undefined) {
    // Only an engine started without a validated topology (not a warm one) reads the file: the
    // schemas and YAML readers are then loaded, and no part of a warm engine's start.
    const { loadTopologyFile } = await import('./topology/load.js');
    const loaded = await loadTopologyFile(file);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    topology = loaded.topology;
  }

  if (network === 'isolated') {
    // The engine's own namespace is the lab's "host": give it a loopback.
    netnsCalls().linkUp('lo');
  }
  const lab = new Lab({
    topology,
    file,
    network,
    labId,
    labDir: dir,
    logDir,
    enginePid: Number(values['engine-pid'] ?? hostPid()),
  });

  const running: { server?: EngineServer; deploy?: Promise<void>; stop?: Promise<number> } = {};
  let exiting = false;
  /** Takes the lab down once: a deploy under way stops first (its client reads why). */
  const stop = (why: string): Promise<number> => {
    exiting = true;
    running.stop ??= (async () => {
      lab.abort(why);
      await running.deploy?.catch(() => undefined);
      return lab.destroy().catch((err: unknown) => {
        process.stderr.write(`netweave engine: destroy: ${String(err)}\n`);
        return 0;
      });
    })();
    return running.stop;
  };
  let ending = false;
  const shutdown = async (code: number, why = DOWN_DURING_DEPLOY): Promise<void> => {
    if (ending) return;
    ending = true;
    await stop(why);
    // Clients are ended, not cut: an answer on its way (down's) still reaches them.
    await running.server?.dispose();
    process.exit(code);
  };

  const progressHistory: EngineEvents['deployProgress'][] = [];
  lab.on('deployProgress', (p) => progressHistory.push(p));

  // The socket front: `down` destroys the lab, answers what went, and ends the process; a late
  // subscriber to deployProgress or labState gets what it missed.
  const front: EngineClient = {
    call: async <K extends CommandName>(cmd: K, params: CommandParams<K>) => {
      if (cmd === 'down') {
        const interrupted = !exiting && lab.labState === 'deploying';
        const removed = await stop(DOWN_DURING_DEPLOY);
        setImmediate(() => void shutdown(0));
        return { removed, ...(interrupted ? { interrupted: true } : {}) } as CommandResult<K>;
      }
      if (exiting) throw new EngineError('not-running', 'the lab is going down');
      return lab.call(cmd, params);
    },
    on: <E extends EventName>(event: E, listener: (p: EngineEvents[E]) => void): Disposable => {
      const sub = lab.on(event, listener);
      if (event === 'deployProgress') {
        for (const p of progressHistory)
          (listener as (x: EngineEvents['deployProgress']) => void)(p);
      } else if (event === 'labState' && lab.labState !== 'deploying') {
        const s = lab.status();
        (listener as (x: EngineEvents['labState']) => void)({
          state: s.state,
          ...(s.reason !== undefined ? { reason: s.reason } : {}),
        });
      }
      return sub;
    },
  };
  const bySignal = (sig: string): string =>
    `the engine was stopped by ${sig} while the lab was starting`;
  process.on('SIGTERM', () => void shutdown(0, bySignal('SIGTERM')));
  process.on('SIGINT', () => void shutdown(0, bySignal('SIGINT')));
  process.on('SIGHUP', () => void shutdown(0, bySignal('SIGHUP')));

  // The deploy starts at once and the socket opens meanwhile (a client that connects later gets
  // the progress it missed): the lab's start does not wait for the socket.
  running.deploy = lab.deploy();
  // Handled below, once the socket is open; until then a failure must not count as unhandled.
  running.deploy.catch(() => undefined);
  const socketPath = join(dir, LAB_FILES.socket);
  lab.journal.willCreate({ type: 'socket', ref: socketPath });
  try {
    running.server = await EngineServer.listen(front, socketPath);
    const server = running.server;
    lab.setEventBacklog(() => server.backlog('captureData'));
  } catch (err) {
    process.stderr.write(
      `netweave engine: cannot listen on ${socketPath}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    await shutdown(1, 'the engine could not open its socket');
    return;
  }

  try {
    await running.deploy;
  } catch (err) {
    if (exiting) return;
    process.stderr.write(
      `netweave engine: deploy failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    // Keep serving `status` so the launcher can read the reason; it then sends `down`.
    setTimeout(() => void shutdown(1), FAILED_LINGER_MS);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`netweave engine: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
