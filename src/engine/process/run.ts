// Short-lived commands (`ip`, `tc` and friends): argv arrays, no shell, no pty, inside a
// network namespace when asked (no nsenter: inNetns.ts), a timeout that ends in SIGKILL, and
// errors that say in one sentence what failed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ExecResult } from '../../shared/contract.js';
import { EngineError } from '../../shared/contract.js';
import { seconds } from './consoleText.js';
import { spawnInNetns } from './inNetns.js';

/**
 * Default limit for one command: `ip` and friends answer in milliseconds, so 30 s only trips on
 * a hung command and still fails well inside a test's or a deploy's own timeout.
 */
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

/**
 * Output kept per stream: `ip -j -s link` on a busy host is a few hundred KiB; 16 MiB bounds the
 * memory a runaway command can take before its timeout.
 */
export const MAX_CAPTURE_BYTES = 16 * 1024 * 1024;

/** Stderr quoted in a runChecked error: one line of a sentence, not a dump. */
const ERROR_STDERR_CHARS = 500;

/** Options of runCommand. */
export interface RunOptions {
  cwd?: string;
  /** The command's whole environment (replaces, does not extend, process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | Buffer;
  /** SIGKILL after this long (default DEFAULT_RUN_TIMEOUT_MS). */
  timeoutMs?: number;
  /** The network namespace (a file such as /run/netns/NAME) the command runs in. */
  netns?: string;
}

/** How a command ended and what it printed. */
export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  /** Output as UTF-8 text (what `ip` and friends print). */
  stdout: string;
  stderr: string;
  /** The same output as the bytes written. */
  bytes: { stdout: Buffer; stderr: Buffer };
  /** True when the command was killed because it exceeded its timeout. */
  timedOut: boolean;
  /** True when a stream passed MAX_CAPTURE_BYTES and was cut there. */
  truncated: boolean;
}

/** The wire form of a command's result (`exec`): its bytes, base64. */
export function toExecResult(r: RunResult): ExecResult {
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.bytes.stdout.toString('base64'),
    stderr: r.bytes.stderr.toString('base64'),
    encoding: 'base64',
    ...(r.truncated ? { truncated: true } : {}),
  };
}

/**
 * `netweave exec` in a node: runs argv in `netns` (or the engine's own namespace) with `env`,
 * `stdin` as input, and answers with the command's result.
 */
export async function runExec(
  argv: readonly string[],
  netns: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  opts: { stdin?: string; timeoutMs?: number },
): Promise<ExecResult> {
  const r = await runCommand(argv, {
    env,
    ...(netns !== undefined ? { netns } : {}),
    ...(opts.stdin !== undefined ? { input: opts.stdin } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return toExecResult(r);
}

/** One stream of an `exec` result as the bytes the command wrote. */
export function execOutput(r: ExecResult, stream: 'stdout' | 'stderr'): Buffer {
  return Buffer.from(r[stream], 'base64');
}

/** The command as it would be typed, for messages (not for a shell). */
function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Why spawn failed, as the end of a sentence. */
function startProblem(err: NodeJS.ErrnoException, file: string, cwd: string | undefined): string {
  if (err.code === 'ENOENT') {
    // spawn reports a missing working directory as ENOENT too.
    if (cwd !== undefined && !existsSync(cwd)) return `working directory ${cwd} does not exist`;
    return file.includes('/') ? `${file} does not exist` : 'it is not installed or not on PATH';
  }
  if (err.code === 'EACCES') return `${file} is not executable`;
  return err.message;
}

function startErrorCode(err: NodeJS.ErrnoException): 'missing-binary' | 'internal' {
  return err.code === 'ENOENT' || err.code === 'EACCES' ? 'missing-binary' : 'internal';
}

/** Collects a stream up to MAX_CAPTURE_BYTES. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  /** True once output was dropped because the limit was reached. */
  cut = false;

  add(chunk: Buffer): void {
    if (this.bytes + chunk.length > MAX_CAPTURE_BYTES) this.cut = true;
    if (this.bytes >= MAX_CAPTURE_BYTES) return;
    const keep = chunk.subarray(0, MAX_CAPTURE_BYTES - this.bytes);
    this.chunks.push(keep);
    this.bytes += keep.length;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }
}

/**
 * Runs argv (argv[0] looked up on PATH, no shell) and resolves with its exit status and output,
 * whatever the exit code. Rejects only when the command cannot be started (one sentence, e.g.
 * `cannot run ip: it is not installed or not on PATH`).
 */
export function runCommand(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined || file.length === 0) {
    return Promise.reject(new EngineError('bad-request', 'cannot run an empty command'));
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  return new Promise<RunResult>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawnInNetns(opts.netns, () =>
        spawn(file, args, {
          cwd: opts.cwd,
          env: opts.env,
          stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
          shell: false,
        }),
      );
    } catch (err) {
      reject(new EngineError('internal', `cannot run ${file}: ${(err as Error).message}`));
      return;
    }
    const stdout = new Capture();
    const stderr = new Capture();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new EngineError(
          startErrorCode(err),
          `cannot run ${file}: ${startProblem(err, file, opts.cwd)}`,
        ),
      );
    });
    // 'close' (not 'exit') fires once stdout and stderr are fully read.
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const out = stdout.buffer();
      const err = stderr.buffer();
      resolve({
        exitCode,
        signal,
        stdout: out.toString('utf8'),
        stderr: err.toString('utf8'),
        bytes: { stdout: out, stderr: err },
        timedOut,
        truncated: stdout.cut || stderr.cut,
      });
    });
    if (opts.input !== undefined && child.stdin) {
      // A command that exits without reading its input makes the write fail with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/**
 * Like runCommand, but rejects with a one-sentence Error naming the command and quoting its
 * stderr when it exits non-zero, is killed, or times out.
 */
export async function runChecked(
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const result = await runCommand(argv, opts);
  if (result.exitCode === 0) return result;
  const cmd = `${commandLine(argv)}${opts.netns !== undefined ? ` (in ${opts.netns})` : ''}`;
  if (result.timedOut) {
    throw new Error(
      `${cmd} did not finish within ${seconds(opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS)} and was killed`,
    );
  }
  const detail = (result.stderr.trim() || result.stdout.trim()).replace(/\s+/g, ' ');
  const quoted =
    detail.length === 0
      ? 'it printed no error'
      : detail.length > ERROR_STDERR_CHARS
        ? `${detail.slice(0, ERROR_STDERR_CHARS)}...`
        : detail;
  const how =
    result.signal !== null
      ? `was killed by ${result.signal}`
      : `failed with exit code ${result.exitCode}`;
  throw new Error(`${cmd} ${how}: ${quoted}`);
}
