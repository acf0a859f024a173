// Tests against the real Zephyr builds of ../shared/zephyr (see its README): where they are, a
// suite guard that fails in CI and skips elsewhere when something is missing, a lab imported from
// build directories with the real CLI, the node consoles as lines, and an echo prober that runs
// inside a lab node (echoProbe.mjs) and checks ping, UDP echo and TCP echo on port 4242.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { parseDocument, type Document } from 'yaml';
import { BIN, type CliEnv, IS_ROOT, leftovers, ROOT } from './cli.js';

/** Environment variable that moves the folder of real builds (default `<repo>/../shared/zephyr`). */
export const ZEPHYR_BUILDS_ENV = 'NETWEAVE_ZEPHYR_BUILDS';

/** The folder holding the real builds, one subfolder per release (v3.5.0/, v4.3.0/). */
export function zephyrBuildsDir(): string {
  return resolve(process.env[ZEPHYR_BUILDS_ENV] ?? join(ROOT, '..', 'shared', 'zephyr'));
}

/** One real build directory, named as in the builds README: 'v3.5.0/echo_server-qemu_x86-e1000'. */
export function zephyrBuild(name: string): string {
  return join(zephyrBuildsDir(), name);
}

/** What a suite of real-build tests needs on the machine. */
export interface RealZephyrNeeds {
  /** Build names as zephyrBuild() takes them. */
  builds: readonly string[];
  /** Programs that must be on PATH (e.g. qemu-system-i386). */
  binaries?: readonly string[];
  /** True (the default) when the suite needs root, as every lab test here does. */
  root?: boolean;
}

/** The one-sentence reason a suite of real builds cannot run here, or undefined when it can. */
export function missingForRealZephyr(needs: RealZephyrNeeds): string | undefined {
  if ((needs.root ?? true) && !IS_ROOT) return 'needs root';
  const absent = needs.builds.filter((b) => !existsSync(join(zephyrBuild(b), 'zephyr', '.config')));
  if (absent.length > 0) {
    return `the real Zephyr builds ${absent.join(', ')} are not in ${zephyrBuildsDir()} (set ${ZEPHYR_BUILDS_ENV})`;
  }
  for (const bin of needs.binaries ?? []) {
    if (spawnSync(bin, ['--version']).error) return `${bin} is not installed`;
  }
  return undefined;
}

/** True on CI, where a missing build or tool fails the suite instead of skipping it. */
export const ON_CI = process.env['CI'] === 'true';

/**
 * describe() for tests of real builds. With everything present it is a plain describe. When
 * something is missing, the suite fails on CI (CI=true) with the reason, and elsewhere is
 * skipped with the reason in its name.
 */
export function describeRealZephyr(name: string, needs: RealZephyrNeeds, body: () => void): void {
  const missing = missingForRealZephyr(needs);
  if (missing === undefined) {
    describe(name, body);
  } else if (ON_CI) {
    describe(name, () => {
      it('has the real builds and tools it needs (CI=true: missing is a failure)', () => {
        throw new Error(`cannot run on CI: ${missing}`);
      });
    });
  } else {
    // The body is not collected: it would set up (temporary folders) for nothing.
    describe.skip(`${name} (skipped: ${missing})`, () => {
      it(`needs ${missing}`, () => undefined);
    });
  }
}

/** A lab file written by `netweave import-zephyr`. */
export interface ImportedLab {
  /** The lab's name (as imported, or as `name` set it). */
  name: string;
  file: string;
  /** The file's text after the edits. */
  yaml: string;
}

/** Options of importZephyrLab(). */
export interface ImportOptions {
  /** Renames the lab (`name:`), so that labs of one test file never share a name. */
  name?: string;
  /** Changes the imported document before it is written back (see radioMatrix()). */
  edit?: (doc: Document) => void;
}

/**
 * Imports real build directories with the real CLI (`netweave import-zephyr DIR... -o FILE`)
 * into a fresh folder next to the env's runtime folder (removed by env.dispose()), applies the
 * edits and returns the lab file. Throws with the CLI's stderr when the import fails.
 */
export async function importZephyrLab(
  env: CliEnv,
  builds: readonly string[],
  opts: ImportOptions = {},
): Promise<ImportedLab> {
  const base = join(env.runtime, '..', 'zephyr-labs');
  mkdirSync(base, { recursive: true });
  const file = join(mkdtempSync(join(base, `${opts.name ?? 'lab'}-`)), 'lab.yaml');
  const r = await env.run(['import-zephyr', ...builds.map(zephyrBuild), '-o', file]);
  if (r.code !== 0) {
    throw new Error(`netweave import-zephyr ${builds.join(' ')} failed (${r.code}): ${r.stderr}`);
  }
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (opts.name !== undefined) doc.set('name', opts.name);
  opts.edit?.(doc);
  const yaml = doc.toString();
  writeFileSync(file, yaml);
  return { name: String(doc.get('name')), file, yaml };
}

/**
 * An edit for importZephyrLab(): the radio-154 node `medium` delivers by a matrix, sender ->
 * receiver -> probability (pairs not listed are never heard).
 */
export function radioMatrix(
  medium: string,
  matrix: Record<string, Record<string, number>>,
): (doc: Document) => void {
  return radioSettings(medium, { delivery: 'matrix', matrix });
}

/**
 * An edit for importZephyrLab(): settings of the radio-154 node `medium`, e.g. its per-pair
 * losses {impair: {"a->b": "loss=100%"}}.
 */
export function radioSettings(
  medium: string,
  settings: Record<string, unknown>,
): (doc: Document) => void {
  return (doc) => {
    if (doc.getIn(['nodes', medium, 'kind']) !== 'radio-154') {
      throw new Error(`the imported lab has no radio-154 node "${medium}"`);
    }
    for (const [key, value] of Object.entries(settings)) {
      doc.setIn(['nodes', medium, key], doc.createNode(value));
    }
  };
}

/** Boots of QEMU under TCG take seconds; `up` waits for every node's ready pattern. */
const UP_TIMEOUT_MS = 240_000;

/** `netweave up FILE --detach`; throws with the CLI's output when it fails. */
export async function labUp(env: CliEnv, lab: ImportedLab): Promise<void> {
  const r = await env.run(['up', lab.file, '--detach'], { timeoutMs: UP_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`netweave up ${lab.name} failed (${r.code}):\n${r.stderr}`);
}

/** `netweave down LAB`, then what the lab left on the machine (empty when it left nothing). */
export async function labDown(env: CliEnv, lab: string): Promise<string[]> {
  const r = await env.run(['down', lab]);
  const left = await leftovers(env, lab);
  return r.code === 0 ? left : [`down failed (${r.code}): ${r.stderr.trim()}`, ...left];
}

/** Reading a scrollback is one round trip to the engine; 30 s covers a loaded machine. */
const CONSOLE_READ_TIMEOUT_MS = 30_000;

/** A node's console as `netweave console` shows it: the scrollback, read with stdin closed. */
export function consoleText(env: CliEnv, lab: string, node: string): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, 'console', node, '--lab', lab], {
      env: env.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), CONSOLE_READ_TIMEOUT_MS);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) res(out);
      else rej(new Error(`netweave console ${node} --lab ${lab} failed (${code}): ${err}`));
    });
    // End of input detaches the console once it has printed the scrollback.
    child.stdin.end();
  });
}

/** The node's run log (every byte of its console) of the lab's newest run. */
export function runLog(env: CliEnv, lab: string, node: string): string {
  const dir = join(env.logs, lab);
  const runs = readdirSync(dir).sort();
  return readFileSync(join(dir, runs[runs.length - 1] ?? '', `${node}.log`), 'utf8');
}

/** Escape sequences (CSI, and the two-byte ones such as ESC c, the reset SeaBIOS prints). */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_c]/g;
/** Zephyr's shell prompt, which the shell redraws before each log line. */
const PROMPT = /uart:~\$ /g;

/** Console text as plain lines: escapes, carriage returns and Zephyr's prompt redraws removed. */
export function consoleLines(text: string): string[] {
  return text
    .replace(ESCAPES, '')
    .replace(/\r/g, '')
    .replace(PROMPT, '')
    .split('\n')
    .map((l) => l.trimEnd());
}

/** Zephyr's boot banner, with the version it names. */
export const ZEPHYR_BANNER = /\*\*\* Booting Zephyr OS build (\S+)/;

/** A Zephyr log line: `[hh:mm:ss.mmm,uuu] <lvl> module: message`. */
export const ZEPHYR_LOG_LINE = /^\[\d{2}:\d{2}:\d{2}\.\d{3},\d{3}\] <(err|wrn|inf|dbg)> /;

/** Zephyr's uptime stamp of a log line in ms, or undefined for a line without one. */
export function zephyrUptimeMs(line: string): number | undefined {
  const m = /^\[(\d{2}):(\d{2}):(\d{2})\.(\d{3}),\d{3}\]/.exec(line);
  if (!m) return undefined;
  const [h, min, sec, ms] = m.slice(1).map(Number) as [number, number, number, number];
  return ((h * 60 + min) * 60 + sec) * 1000 + ms;
}

/** The error lines of a console: Zephyr log lines at level `<err>`. */
export function errorLines(lines: readonly string[]): string[] {
  return lines.filter((l) => ZEPHYR_LOG_LINE.exec(l)?.[1] === 'err');
}

/** The prober run inside a lab node with the test's own node binary. */
export const ECHO_PROBE = join(import.meta.dirname, 'echoProbe.mjs');

/** One check the prober makes per address. */
export type EchoCheck = 'ping' | 'udp' | 'tcp';

/** The outcome of one check of one address. */
export interface EchoResult {
  address: string;
  check: EchoCheck;
  ok: boolean;
  /** Tries until it passed or the deadline passed. */
  attempts: number;
  ms: number;
  /** The last failure, when it did not pass. */
  error?: string;
}

/** What echoProbe.mjs prints. */
export interface EchoReport {
  ok: boolean;
  elapsedMs: number;
  results: EchoResult[];
}

/** Options of echoProbe() and echoAll(). */
export interface EchoOptions {
  /** Default ping, udp and tcp. */
  checks?: readonly EchoCheck[];
  /** Retries of every check end here (whole run); default 60 s. */
  deadlineMs?: number;
  /** Longest wait for one reply; default 1.5 s. */
  attemptMs?: number;
  /** Default 4242, the echo samples' port. */
  port?: number;
  /** Payload bytes; default 64. */
  size?: number;
}

/** Default deadline of a probe: a boot plus qemu_x86's late IPv6 on a loaded machine. */
const ECHO_DEADLINE_MS = 60_000;
/** What `exec` may take beyond the probe's own deadline (the CLI and nsenter starting). */
const EXEC_MARGIN_MS = 30_000;

/**
 * Runs echoProbe.mjs in `node` of `lab` (`netweave exec NODE -- node echoProbe.mjs ...`) against
 * each address and returns its report, passed or not (use it to show that echo stops).
 */
export async function echoProbe(
  env: CliEnv,
  lab: string,
  node: string,
  addresses: readonly string[],
  opts: EchoOptions = {},
): Promise<EchoReport> {
  const deadlineMs = opts.deadlineMs ?? ECHO_DEADLINE_MS;
  const args = ['--deadline-ms', String(deadlineMs)];
  if (opts.checks) args.push('--checks', opts.checks.join(','));
  if (opts.attemptMs !== undefined) args.push('--attempt-ms', String(opts.attemptMs));
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  if (opts.size !== undefined) args.push('--size', String(opts.size));
  const timeoutS = Math.ceil((deadlineMs + EXEC_MARGIN_MS) / 1000);
  const r = await env.run(
    [
      'exec',
      node,
      '--lab',
      lab,
      '--timeout',
      String(timeoutS),
      '--',
      process.execPath,
      ECHO_PROBE,
      ...args,
      ...addresses,
    ],
    { timeoutMs: (timeoutS + 10) * 1000 },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as EchoReport;
  } catch {
    throw new Error(
      `the echo probe in ${lab}/${node} printed no report (exit ${r.code}): ${r.stdout}${r.stderr}`,
    );
  }
}

/** The report as one line per check, for failure messages and logs. */
export function formatEchoReport(report: EchoReport): string {
  return report.results
    .map(
      (r) =>
        `${r.check} ${r.address}: ${r.ok ? 'ok' : 'FAILED'} after ${r.attempts} attempt(s), ${r.ms} ms${r.error ? ` (${r.error})` : ''}`,
    )
    .join('\n');
}

/**
 * From host node `node`, checks ping, UDP echo and TCP echo (port 4242) of every address, each
 * retried until it passes or the deadline passes; throws naming each check that failed.
 */
export async function echoAll(
  env: CliEnv,
  lab: string,
  node: string,
  addresses: readonly string[],
  opts: EchoOptions = {},
): Promise<EchoReport> {
  const report = await echoProbe(env, lab, node, addresses, opts);
  if (!report.ok) {
    throw new Error(`echo from ${node} in lab ${lab} failed:\n${formatEchoReport(report)}`);
  }
  return report;
}

/**
 * Polls `probe` every `stepMs` until it is true; throws "WHAT: not within N s" (with `detail()`
 * when given) when `ms` pass first.
 */
export async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  ms: number,
  opts: { stepMs?: number; detail?: () => string } = {},
): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() >= end) {
      const detail = opts.detail?.();
      throw new Error(`${what}: not within ${ms / 1000} s${detail ? `\n${detail}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.stepMs ?? 500));
  }
}
