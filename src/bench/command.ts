// Commands the benchmark runs itself: argv arrays (never a shell), owned (killed if the
// benchmark is interrupted), with a timeout, and failures told in one sentence.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Background } from './measuredPath.js';
import { ownChild } from './owned.js';

/** Longest part of a command's stderr quoted in an error. */
const QUOTED_CHARS = 300;
/** Timeout of one setup command (creating namespaces, interfaces, bridges). */
export const STEP_MS = 30_000;

/**
 * What a failed command said, for an error message: iperf3 -J's "error" field when the output
 * is its JSON, else the start of the text.
 */
export function quote(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  const t = text.trim().replace(/\s+/g, ' ');
  if (t.length === 0) return 'it printed nothing';
  return t.length > QUOTED_CHARS ? `${t.slice(0, QUOTED_CHARS)}...` : t;
}

/** Why a finished command failed, or undefined when it exited 0. */
function failure(
  label: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  timedOut: boolean,
  timeoutMs: number,
  output: string,
): string | undefined {
  if (timedOut) return `${label} did not finish within ${Math.round(timeoutMs / 1000)} s`;
  if (signal !== null) return `${label} was killed by ${signal}`;
  if (code !== 0) return `${label} failed with exit code ${code}: ${quote(output)}`;
  return undefined;
}

/** Options of run() and start(). */
export interface CommandOptions {
  timeoutMs: number;
  /** How errors name the command (default: argv joined). */
  label?: string;
}

/** Runs argv to completion and resolves with its stdout; rejects unless it exits 0. */
export function run(argv: readonly string[], opts: CommandOptions): Promise<string> {
  const [cmd, ...args] = argv;
  const label = opts.label ?? argv.join(' ');
  if (cmd === undefined) return Promise.reject(new Error('cannot run an empty command'));
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      clearTimeout(timer);
      if (err === null) {
        resolve(stdout);
        return;
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`cannot run ${cmd}: it is not installed or not on PATH`));
        return;
      }
      const code = typeof err.code === 'number' ? err.code : null;
      reject(
        new Error(
          failure(label, code, err.signal ?? null, timedOut, opts.timeoutMs, stderr || stdout) ??
            `${label} failed: ${err.message}`,
        ),
      );
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    ownChild(child, label);
  });
}

/** A background command and its process. */
export interface OwnedBackground extends Background {
  readonly child: ChildProcess;
}

/** Starts argv in the background (stdout ignored, stderr kept for the failure message). */
export function start(argv: readonly string[], opts: CommandOptions): OwnedBackground {
  const [cmd, ...args] = argv;
  const label = opts.label ?? argv.join(' ');
  if (cmd === undefined) throw new Error('cannot run an empty command');
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ownChild(child, label);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  const done = new Promise<string | undefined>((resolve) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve(`cannot run ${cmd}: ${err.message}`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve(failure(label, code, signal, timedOut, opts.timeoutMs, stderr));
    });
  });
  return {
    child,
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
