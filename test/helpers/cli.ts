// Runs the real `netweave` command (built in dist/) in a private runtime directory, and checks
// that a lab left nothing behind on the machine.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { labId } from '../../src/engine/paths.js';
import type { CounterSnapshot, PortCounters } from '../../src/shared/contract.js';
import { taggedProcesses } from '../../src/engine/host/procfs.js';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The CLI entry point. */
export const BIN = join(ROOT, 'bin', 'netweave.js');

/** Result of a CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A private runtime and log directory for one test file. */
export class CliEnv {
  readonly runtime: string;
  readonly logs: string;
  readonly env: NodeJS.ProcessEnv;

  /**
   * `wrap`: an argv prefix every run goes through (e.g. standInPrefix(): a stand-in mount
   * namespace).
   */
  constructor(
    extraEnv: NodeJS.ProcessEnv = {},
    private readonly wrap: string[] = [],
  ) {
    const base = mkdtempSync(join(tmpdir(), 'nwtest-'));
    this.runtime = join(base, 'run');
    this.logs = join(base, 'logs');
    this.env = {
      ...process.env,
      NETWEAVE_RUNTIME_DIR: this.runtime,
      NETWEAVE_LOG_DIR: this.logs,
      ...extraEnv,
    };
  }

  /** Runs `netweave ARGS` to completion. */
  run(
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; wrap?: string[] } = {},
  ): Promise<CliResult> {
    const [cmd, ...argv] = this.argv(args, opts.wrap);
    return new Promise((res) => {
      execFile(
        cmd,
        argv,
        {
          env: { ...this.env, ...opts.env },
          timeout: opts.timeoutMs ?? 120_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          res({ code, stdout, stderr });
        },
      );
    });
  }

  /** Starts `netweave ARGS` without waiting for it. */
  spawn(args: string[]): ChildProcess {
    const [cmd, ...argv] = this.argv(args);
    return spawn(cmd, argv, { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** The argv of `netweave ARGS`, through `wrap` (the env's own unless given). */
  private argv(args: string[], wrap = this.wrap): [string, ...string[]] {
    return [...wrap, process.execPath, BIN, ...args] as [string, ...string[]];
  }

  /** The lab's runtime directory. */
  labDir(name: string): string {
    return join(this.runtime, name);
  }

  /** Removes the private directories. */
  dispose(): void {
    rmSync(resolve(this.runtime, '..'), { recursive: true, force: true });
  }
}

/** Everything of a lab still on the machine; empty when the lab left nothing behind. */
export async function leftovers(
  env: CliEnv,
  lab: string,
  uid = process.getuid?.() ?? 0,
): Promise<string[]> {
  const found: string[] = [];
  if (existsSync(env.labDir(lab))) found.push(`runtime dir ${env.labDir(lab)}`);
  return [...found, ...(await labLeftovers(labId(lab, uid, env.runtime), uid))];
}

/** What lab id `id` left on the machine: its processes, namespaces and tagged interfaces. */
export async function labLeftovers(id: string, uid = process.getuid?.() ?? 0): Promise<string[]> {
  const found: string[] = [];
  for (const p of taggedProcesses(id, uid)) found.push(`process ${p.pid}`);
  if (existsSync('/run/netns')) {
    for (const n of readdirSync('/run/netns'))
      if (n.startsWith(`nw-${id}-`)) found.push(`netns ${n}`);
  }
  const links = await new Promise<string>((res) => {
    execFile('ip', ['-j', '-d', 'link', 'show'], (_e, out) => res(out));
  });
  for (const l of JSON.parse(links || '[]') as { ifname: string; ifalias?: string }[]) {
    if (l.ifalias?.startsWith(`netweave:${id}`)) found.push(`interface ${l.ifname}`);
  }
  return found;
}

/** Polls until `probe` is true or the time is up. */
export async function until(
  probe: () => boolean | Promise<boolean>,
  ms = 30_000,
  step = 100,
): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, step));
  }
  return probe();
}

/** True when running as root (the integration tests need it for host mode and setpriv). */
export const IS_ROOT = (process.getuid?.() ?? 1) === 0;

/** Arguments of `netweave exec NODE -- ping` with a short interval and a 5 s reply timeout. */
export function pingArgs(node: string, target: string, count = 3, lab?: string): string[] {
  return [
    'exec',
    node,
    ...(lab ? ['--lab', lab] : []),
    '--',
    'ping',
    '-c',
    String(count),
    '-i',
    '0.2',
    '-W',
    '5',
    target,
  ];
}

/** Runs tshark with ARGS; resolves its stdout, rejects with its stderr. */
export function tshark(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile('tshark', args, (e, out, err) =>
      e ? rej(new Error(`${e.message}\n${err}`)) : res(out),
    );
  });
}

/** One port's counters in a snapshot; throws naming the ports there are. */
export function portCounters(snap: CounterSnapshot, id: string): PortCounters {
  const p = snap.ports.find((x) => x.port === id);
  if (!p) throw new Error(`no port ${id} in ${snap.ports.map((x) => x.port).join(', ')}`);
  return p;
}

/** Waits for `netweave serve` (started by the caller) to print its URL with the token. */
export function serveUrl(serve: ChildProcess, timeoutMs = 30_000): Promise<string> {
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const m = /(http:\/\/\S+token=\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    serve.stdout?.on('data', onData);
    serve.stderr?.on('data', onData);
    serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

/**
 * A lab file of two hosts (h1 192.0.2.1/24, h2 192.0.2.2/24) on switch sw, links h1:eth0--sw
 * and h2:eth0--sw, written in `dir`; `extra` is appended as it is (e.g. a faults: list) and
 * `firstLink` goes under the first link (e.g. its impair: key).
 */
export function twoHostLab(dir: string, name: string, extra = '', firstLink = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
nodes:
  h1: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.1/24]}}}
  h2: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.2/24]}}}
  sw: {kind: switch}
links:
  - endpoints: [h1:eth0, sw]
${firstLink}  - endpoints: [h2:eth0, sw]
${extra}`,
  );
  return file;
}
