// The way out of an isolated lab: slirp4netns, started by the launcher OUTSIDE the lab's
// namespaces (it must reach the real network) and attached to the engine's network namespace as
// a TAP with a default route. It dies with the lab: its --exit-fd is the read end of a FIFO
// whose only writer is the engine process (inherited as fd 3), so when the engine exits or is
// killed the kernel reports a hang-up and slirp4netns exits; no process has to remember it.
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../../shared/contract.js';
import type { NetworkMode } from '../../shared/kinds.js';
import type { Topology } from '../../shared/topology/index.js';
import { runChecked } from '../process/run.js';
import { findTool } from './tools.js';

/** Name of slirp4netns' TAP in the engine's namespace. */
export const OUTSIDE_IFNAME = 'nwout0';
/**
 * MTU of the outside TAP: slirp4netns' recommended maximum (65520) makes its user-space TCP
 * several times faster than 1500.
 */
const OUTSIDE_MTU = 65520;
/** How long slirp4netns may take to configure the TAP (milliseconds on an idle machine). */
const OUTSIDE_READY_TIMEOUT_MS = 15_000;
/** The fd numbers slirp4netns gets: 3 the exit FIFO, 4 the readiness pipe. */
const EXIT_FD = 3;
const READY_FD = 4;

/** True when the lab needs a way out of its isolated namespace (a switch with NAT). */
export function needsOutsideLink(topology: Topology, network: NetworkMode): boolean {
  if (network !== 'isolated') return false;
  return Object.values(topology.nodes).some(
    (n) => n.kind === 'switch' && n.services?.nat === true && n.host !== undefined,
  );
}

/** The slirp4netns argv that gives the engine's namespace (by the engine's host pid) a way out. */
export function slirp4netnsArgv(binary: string, enginePid: number): string[] {
  return [
    binary,
    '--configure',
    `--mtu=${OUTSIDE_MTU}`,
    // The lab must not reach services listening on the machine's loopback through 10.0.2.2.
    '--disable-host-loopback',
    `--exit-fd=${EXIT_FD}`,
    `--ready-fd=${READY_FD}`,
    `--userns-path=/proc/${enginePid}/ns/user`,
    String(enginePid),
    OUTSIDE_IFNAME,
  ];
}

/** The two ends of the lifetime FIFO: `engineFd` goes to the engine, `exitFd` to slirp4netns. */
export interface OutsideFds {
  engineFd: number;
  exitFd: number;
  /** Closes the launcher's copy of the engine's end (once the engine has inherited it). */
  closeEngineEnd(): void;
  /** Closes whatever the launcher still holds. */
  close(): void;
}

/** Checks that slirp4netns is installed; throws one sentence with the fix when it is not. */
export async function requireSlirp4netns(): Promise<string> {
  const bin = await findTool('slirp4netns');
  if (bin === undefined) {
    throw new EngineError(
      'missing-binary',
      'NAT in isolated mode needs slirp4netns, which is not installed; install it (apt install slirp4netns) or run the lab with --network host',
    );
  }
  return bin;
}

/**
 * Creates the lifetime FIFO in the lab directory. The read end is opened first: Linux reports a
 * hang-up to a FIFO reader only for writers that opened after it did.
 */
export async function openLifetimeFifo(labDir: string): Promise<OutsideFds> {
  const path = join(labDir, 'outside.fifo');
  rmSync(path, { force: true });
  await runChecked(['mkfifo', '-m', '600', path]);
  const exitFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  // O_RDWR never blocks on a FIFO; the engine holds it (as a writer) for its whole life.
  const engineFd = openSync(path, constants.O_RDWR);
  rmSync(path, { force: true });
  const open = new Set([exitFd, engineFd]);
  const closeFd = (fd: number): void => {
    if (open.delete(fd)) closeSync(fd);
  };
  return {
    engineFd,
    exitFd,
    closeEngineEnd: () => closeFd(engineFd),
    close: () => {
      for (const fd of [...open]) closeFd(fd);
    },
  };
}

/**
 * Starts slirp4netns for the engine and resolves with its pid once the TAP is configured;
 * rejects with one sentence quoting its log when it fails.
 */
export function startOutsideLink(o: {
  binary: string;
  enginePid: number;
  exitFd: number;
  logFd: number;
  env: NodeJS.ProcessEnv;
}): Promise<number> {
  const [cmd, ...args] = slirp4netnsArgv(o.binary, o.enginePid) as [string, ...string[]];
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', o.logFd, o.logFd, o.exitFd, 'pipe'],
    env: o.env,
  });
  return new Promise<number>((resolve, reject) => {
    const ready = child.stdio[READY_FD];
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ready?.removeAllListeners();
      ready?.destroy();
      child.removeAllListeners();
      child.unref();
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(child.pid ?? -1);
    };
    const timer = setTimeout(
      () =>
        finish(
          new EngineError(
            'internal',
            `slirp4netns did not connect the lab to the outside within ${OUTSIDE_READY_TIMEOUT_MS / 1000} s; see slirp4netns.log in the lab's log folder`,
          ),
        ),
      OUTSIDE_READY_TIMEOUT_MS,
    );
    ready?.on('data', (d: Buffer) => {
      if (d.toString().includes('1')) finish();
    });
    child.on('error', (err) =>
      finish(new EngineError('missing-binary', `cannot run slirp4netns: ${err.message}`)),
    );
    child.on('exit', (code, sig) =>
      finish(
        new EngineError(
          'internal',
          `slirp4netns exited (${sig ?? `code ${code}`}) before the lab was connected to the outside; see slirp4netns.log in the lab's log folder`,
        ),
      ),
    );
  });
}
