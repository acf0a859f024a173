// The way out of an isolated lab: slirp4netns or pasta, started by the launcher OUTSIDE the
// lab's namespaces (it must reach the real network) and attached to the engine's network
// namespace as a TAP with a default route. It dies with the lab through a FIFO whose only writer
// is the engine process (inherited as fd 3): when the engine exits or is killed the kernel
// reports a hang-up to the FIFO's reader. slirp4netns reads it itself (--exit-fd); pasta has no
// such option (and holds the namespace open, so it never notices the lab is gone), so a small
// tether process (outsideTether.ts) reads the FIFO for it and stops pasta on the hang-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../../shared/contract.js';
import type { NetworkMode } from '../../shared/kinds.js';
import type { Topology } from '../../shared/topology/index.js';
import { netnsCalls } from '../process/inNetns.js';
import { findTool } from './tools.js';

/** Name of the outside TAP in the engine's namespace. */
export const OUTSIDE_IFNAME = 'nwout0';
/**
 * MTU of the outside TAP: slirp4netns' recommended maximum (65520) makes its user-space TCP
 * several times faster than 1500 (pasta uses the same by default).
 */
const OUTSIDE_MTU = 65520;
/**
 * The addresses of the outside link, slirp4netns' defaults, given to pasta explicitly: by
 * default pasta copies the machine's own address and routes into the namespace, and those may
 * be the very subnet of a lab segment (TEST-NET-1 192.0.2.0/24 on a test machine).
 */
export const OUTSIDE_ADDRESS = '10.0.2.100';
export const OUTSIDE_PREFIX = 24;
export const OUTSIDE_GATEWAY = '10.0.2.2';
/** The DNS forwarder the outside link offers (slirp4netns' built-in; pasta --dns-forward). */
export const OUTSIDE_DNS = '10.0.2.3';
/** How long the outside link may take to configure the TAP (milliseconds on an idle machine). */
const OUTSIDE_READY_TIMEOUT_MS = 15_000;
/** The fd numbers slirp4netns and the tether get: 3 the exit FIFO, 4 the readiness pipe. */
const EXIT_FD = 3;
const READY_FD = 4;

/** The tools that can give an isolated lab its way out. */
export const OUTSIDE_TOOLS = ['slirp4netns', 'pasta'] as const;
export type OutsideTool = (typeof OUTSIDE_TOOLS)[number];

/** The variable that picks the tool (default: slirp4netns when installed, else pasta). */
export const OUTSIDE_TOOL_ENV = 'NETWEAVE_OUTSIDE';

/** The outside tool chosen for a lab and its full path. */
export interface OutsideChoice {
  tool: OutsideTool;
  binary: string;
}

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

/**
 * The pasta argv that gives the engine's namespace (by the engine's host pid) a way out: IPv4
 * only (NAT is IPv4; pasta would otherwise copy the machine's IPv6 addresses and routes too),
 * fixed addresses that cannot be a lab segment's, no port forwarding in either direction, the
 * gateway not mapped to the machine's loopback, DNS to OUTSIDE_DNS forwarded to the machine's
 * resolver. pasta daemonizes once the TAP is configured and writes its pid to `pidFile`. As
 * root it would drop to "nobody", who cannot enter the lab's user namespace: `--runas 0` keeps
 * it root (only passed when `root`).
 */
export function pastaArgv(o: {
  binary: string;
  enginePid: number;
  pidFile: string;
  logFile: string;
  root: boolean;
}): string[] {
  return [
    o.binary,
    '--config-net',
    '--quiet',
    ...(o.root ? ['--runas', '0'] : []),
    '--ns-ifname',
    OUTSIDE_IFNAME,
    '--ipv4-only',
    '--address',
    OUTSIDE_ADDRESS,
    '--netmask',
    String(OUTSIDE_PREFIX),
    '--gateway',
    OUTSIDE_GATEWAY,
    '--mtu',
    String(OUTSIDE_MTU),
    '--no-map-gw',
    '--dns-forward',
    OUTSIDE_DNS,
    '--tcp-ports',
    'none',
    '--udp-ports',
    'none',
    '--tcp-ns',
    'none',
    '--udp-ns',
    'none',
    '--pid',
    o.pidFile,
    '--log-file',
    o.logFile,
    String(o.enginePid),
  ];
}

/** The argv of the tether that runs `command` (a daemonizing pasta) and stops it with the lab. */
export function tetherArgv(
  nodePath: string,
  pidFile: string,
  command: readonly string[],
): string[] {
  const script = fileURLToPath(new URL('./outsideTether.js', import.meta.url));
  return [nodePath, script, '--pid-file', pidFile, '--', ...command];
}

/**
 * Picks the tool for an isolated lab's way out: the one `NETWEAVE_OUTSIDE` names, else
 * slirp4netns when installed, else pasta; throws one sentence with the fix when none is.
 */
export async function chooseOutsideTool(
  env: NodeJS.ProcessEnv = process.env,
  find: (name: string) => Promise<string | undefined> = findTool,
): Promise<OutsideChoice> {
  const wanted = env[OUTSIDE_TOOL_ENV]?.trim() ?? '';
  if (wanted !== '') {
    if (!(OUTSIDE_TOOLS as readonly string[]).includes(wanted)) {
      throw new EngineError(
        'bad-request',
        `${OUTSIDE_TOOL_ENV}=${wanted} names no known way out of an isolated lab; set it to slirp4netns or pasta, or unset it`,
      );
    }
    const tool = wanted as OutsideTool;
    const binary = await find(tool);
    if (binary === undefined) {
      const pkg = tool === 'pasta' ? 'passt' : 'slirp4netns';
      throw new EngineError(
        'missing-binary',
        `${OUTSIDE_TOOL_ENV}=${tool} asks for ${tool}, which is not installed; install it (apt install ${pkg}) or unset ${OUTSIDE_TOOL_ENV}`,
      );
    }
    return { tool, binary };
  }
  for (const tool of OUTSIDE_TOOLS) {
    const binary = await find(tool);
    if (binary !== undefined) return { tool, binary };
  }
  throw new EngineError(
    'missing-binary',
    'NAT in isolated mode needs slirp4netns or pasta, and neither is installed; install one (apt install slirp4netns, or apt install passt) or run the lab with --network host',
  );
}

/** The lifetime FIFO's two ends: `engineFd` goes to the engine, `exitFd` to the outside tool. */
export interface OutsideFds {
  engineFd: number;
  exitFd: number;
  /** Closes the launcher's copy of the engine's end (once the engine has inherited it). */
  closeEngineEnd(): void;
  /** Closes whatever the launcher still holds. */
  close(): void;
}

/**
 * Creates the lifetime FIFO in the lab directory. The read end is opened first: Linux reports a
 * hang-up to a FIFO reader only for writers that opened after it did.
 */
export function openLifetimeFifo(labDir: string): OutsideFds {
  const path = join(labDir, 'outside.fifo');
  rmSync(path, { force: true });
  netnsCalls().mkfifo(path, 0o600);
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

/** The processes of a started outside link, to be journaled (the tether first, then pasta). */
export type OutsidePids = number[];

function lastLine(path: string): string {
  try {
    const line = readFileSync(path, 'utf8').trim().split('\n').pop() ?? '';
    // pasta's lines read "0.3097: ERROR:   External interface not usable".
    return line.replace(/^\s*[\d.]+:\s+[A-Z]+:\s+/, '').trim();
  } catch {
    return '';
  }
}

/**
 * Starts the outside link for the engine (slirp4netns directly, pasta under its tether) and
 * resolves with the pids to journal once the TAP is configured; rejects with one sentence
 * pointing at its log when it fails. Its log goes to `<tool>.log` in `logDir`.
 */
export function startOutsideLink(o: {
  choice: OutsideChoice;
  enginePid: number;
  exitFd: number;
  labDir: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
}): Promise<OutsidePids> {
  const { tool, binary } = o.choice;
  const logName = `${tool}.log`;
  const logPath = join(o.logDir, logName);
  const argv =
    tool === 'slirp4netns'
      ? slirp4netnsArgv(binary, o.enginePid)
      : tetherArgv(
          process.execPath,
          join(o.labDir, 'pasta.pid'),
          pastaArgv({
            binary,
            enginePid: o.enginePid,
            pidFile: join(o.labDir, 'pasta.pid'),
            logFile: logPath,
            root: process.geteuid?.() === 0,
          }),
        );
  // pasta truncates its own log file: the tether's lines go to the engine's log instead.
  const logFd = openSync(tool === 'slirp4netns' ? logPath : join(o.logDir, 'engine.log'), 'a');
  const [cmd, ...args] = argv as [string, ...string[]];
  const child = ((): ChildProcess => {
    try {
      return spawn(cmd, args, {
        detached: true,
        stdio: ['ignore', logFd, logFd, o.exitFd, 'pipe'],
        env: o.env,
      });
    } finally {
      closeSync(logFd);
    }
  })();
  const why = (): string => {
    const line = tool === 'pasta' ? lastLine(logPath) : '';
    return line !== '' ? ` (${line.replace(/\.$/, '')})` : '';
  };
  return new Promise<OutsidePids>((resolve, reject) => {
    const ready = child.stdio[READY_FD];
    let done = false;
    let readyText = '';
    const finish = (err?: Error, pids?: OutsidePids): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ready?.removeAllListeners();
      ready?.destroy();
      child.removeAllListeners();
      child.unref();
      if (err || !pids) {
        child.kill('SIGKILL');
        reject(err ?? new Error('no pid'));
      } else resolve(pids);
    };
    const timer = setTimeout(
      () =>
        finish(
          new EngineError(
            'internal',
            `${tool} did not connect the lab to the outside within ${OUTSIDE_READY_TIMEOUT_MS / 1000} s; see ${logName} in the lab's log folder`,
          ),
        ),
      OUTSIDE_READY_TIMEOUT_MS,
    );
    ready?.on('data', (d: Buffer) => {
      readyText += d.toString();
      const pid = child.pid ?? -1;
      if (tool === 'slirp4netns') {
        if (readyText.includes('1')) finish(undefined, [pid]);
        return;
      }
      // The tether reports pasta's pid once pasta has configured the TAP and daemonized.
      const m = /^(\d+)\n/.exec(readyText);
      if (m?.[1]) finish(undefined, [pid, Number(m[1])]);
    });
    child.on('error', (err) =>
      finish(new EngineError('missing-binary', `cannot run ${tool}: ${err.message}`)),
    );
    child.on('exit', (code, sig) =>
      finish(
        new EngineError(
          'internal',
          `${tool} exited (${sig ?? `code ${code}`}) before the lab was connected to the outside${why()}; see ${logName} in the lab's log folder`,
        ),
      ),
    );
  });
}
