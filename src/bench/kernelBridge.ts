// The kernel-bridge reference of the fabric benchmark: two host namespaces joined by veth pairs
// and a Linux bridge, all inside a private user, network, mount and pid namespace. Nothing of
// it is visible to the machine (no /run/netns entry, no interface in the machine's namespace),
// and nothing outlives it: its holder is PID 1 of the pid namespace and ends when the
// benchmark closes its stdin (or dies), and the kernel then kills every process the benchmark
// ran inside (iperf3 servers included).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids } from '../engine/host/procfs.js';
import { run, start, STEP_MS } from './command.js';
import { OFFLOADS_OFF_ARGS, recordOffloads } from './measuredPath.js';
import type { Background, Host, MeasuredPath } from './measuredPath.js';
import { onInterrupt, type Owned } from './owned.js';
import { ISOLATED_UNSHARE } from '../engine/warmEngine.js';

/** How long the holder may take to create its namespaces. */
const HOLDER_START_MS = 30_000;
/** How long the holder may take to end once its stdin is closed, before it is killed. */
const HOLDER_STOP_MS = 5_000;
/** How long the two hosts may take to reach each other once wired. */
const REACH_MS = 10_000;

/**
 * The holder: creates the two host namespaces (bind-mounted on files in its folder, inside its
 * private mount namespace), says "ready", and waits for its stdin to close. A fixed script: no
 * input reaches it but the folder, passed as $1.
 */
const HOLDER_SCRIPT = [
  'set -e',
  'cd "$1"',
  'touch a b',
  'unshare --net=a true',
  'unshare --net=b true',
  'echo ready',
  'read -r _ || true',
].join('\n');

/** Where a command runs: the namespace holding the bridge, or host a or b. */
type Place = 'bridge' | 'a' | 'b';

const HOST_NS: Record<Host, 'a' | 'b'> = { h1: 'a', h2: 'b' };

/** A kernel bridge between h1 (192.0.2.1) and h2 (192.0.2.2), offloads on or off. */
export class KernelBridge implements MeasuredPath {
  readonly offloads: Record<string, string> = {};
  private disposed = false;

  private constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly holder: ChildProcess,
    private readonly target: number,
    private readonly owned: Owned,
  ) {}

  /** Builds the reference; rejects with one sentence naming the step that failed. */
  static async start(name: string, offloads: boolean): Promise<KernelBridge> {
    const dir = mkdtempSync(join(tmpdir(), 'nwbench-br-'));
    let holder: ChildProcess | undefined;
    const owned = onInterrupt(`the kernel bridge ${name}`, () => {
      holder?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    let bridge: KernelBridge | undefined;
    try {
      const [unshare, ...isolation] = ISOLATED_UNSHARE as [string, ...string[]];
      holder = spawn(
        unshare,
        [
          // The same namespaces as an isolated lab's engine (its pid namespace's own /proc).
          ...isolation,
          '--',
          'bash',
          '-c',
          HOLDER_SCRIPT,
          'netweave-bench-bridge',
          dir,
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      // Closing stdin is how the holder is told to end; a holder already gone is no error.
      holder.stdin?.on('error', () => undefined);
      await holderReady(holder);
      const target = childPids(holder.pid ?? 0)[0];
      if (target === undefined) {
        throw new Error('the kernel-bridge reference lost its namespace holder');
      }
      bridge = new KernelBridge(name, dir, holder, target, owned);
      await bridge.wire(offloads);
      return bridge;
    } catch (err) {
      if (bridge !== undefined) await bridge.dispose();
      else {
        holder?.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        owned.release();
      }
      throw err;
    }
  }

  /** argv run in `place`: nsenter into the holder's namespaces, then into the host's. */
  private argv(place: Place, argv: readonly string[]): string[] {
    return [
      'nsenter',
      '--preserve-credentials',
      '--user',
      '--mount',
      '--net',
      '--pid',
      `--target=${this.target}`,
      '--',
      ...(place === 'bridge' ? [] : ['nsenter', `--net=${join(this.dir, place)}`, '--']),
      ...argv,
    ];
  }

  private in(place: Place, argv: readonly string[], timeoutMs = STEP_MS): Promise<string> {
    const where = place === 'bridge' ? 'the bridge namespace' : `host ${place}`;
    return run(this.argv(place, argv), { timeoutMs, label: `${argv.join(' ')} (in ${where})` });
  }

  private async step(what: string, place: Place, argv: readonly string[]): Promise<string> {
    try {
      return await this.in(place, argv);
    } catch (err) {
      throw new Error(
        `the kernel-bridge reference could not ${what}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  private async wire(offloads: boolean): Promise<void> {
    await this.step('create its bridge', 'bridge', ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await this.step('bring its bridge up', 'bridge', ['ip', 'link', 'set', 'br0', 'up']);
    const devices: { place: Place; dev: string }[] = [];
    for (const n of ['a', 'b'] as const) {
      const [v, p] = [`v${n}`, `p${n}`];
      await this.step('create a veth pair', 'bridge', [
        'ip',
        'link',
        'add',
        v,
        'type',
        'veth',
        'peer',
        'name',
        p,
      ]);
      await this.step(`move a veth into host ${n}`, 'bridge', [
        'ip',
        'link',
        'set',
        p,
        'netns',
        join(this.dir, n),
      ]);
      await this.step('attach a veth to the bridge', 'bridge', [
        'ip',
        'link',
        'set',
        v,
        'master',
        'br0',
        'up',
      ]);
      await this.step(`bring lo up in host ${n}`, n, ['ip', 'link', 'set', 'lo', 'up']);
      await this.step(`rename its veth in host ${n}`, n, ['ip', 'link', 'set', p, 'name', 'eth0']);
      await this.step(`bring eth0 up in host ${n}`, n, ['ip', 'link', 'set', 'eth0', 'up']);
      devices.push({ place: 'bridge', dev: v }, { place: n, dev: 'eth0' });
    }
    await this.step('address host a', 'a', ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
    await this.step('address host b', 'b', ['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
    for (const { place, dev } of devices) {
      const label = place === 'bridge' ? dev : `${dev}@${place}`;
      if (!offloads) {
        await this.step(`turn the offloads of ${label} off`, place, [
          'ethtool',
          '-K',
          dev,
          ...OFFLOADS_OFF_ARGS,
        ]);
      }
      // Read back what the kernel did: ethtool -K can leave a feature on (fixed, or kept on
      // by a dependency) without failing.
      const stillOn = recordOffloads(
        this.offloads,
        label,
        await this.step(`read the offloads of ${label}`, place, ['ethtool', '-k', dev]),
      );
      if (!offloads && stillOn.length > 0) {
        throw new Error(
          `the kernel-bridge reference's offloads are not off: ${label} still has ${stillOn.join(', ')} on after ethtool -K (ethtool -k says: ${this.offloads[label]})`,
        );
      }
    }
    await this.reach();
  }

  /** Waits until h1 reaches h2 over the bridge (port states, neighbour discovery). */
  private async reach(): Promise<void> {
    const until = Date.now() + REACH_MS;
    for (;;) {
      try {
        await this.in('a', ['ping', '-c', '1', '-W', '1', '-n', '-q', '192.0.2.2']);
        return;
      } catch (err) {
        if (Date.now() > until) {
          throw new Error(
            `the kernel-bridge reference's hosts cannot reach each other: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        }
      }
    }
  }

  run(host: Host, argv: string[], timeoutMs: number): Promise<string> {
    return this.in(HOST_NS[host], argv, timeoutMs);
  }

  start(host: Host, argv: string[], timeoutMs: number): Background {
    const bg = start(this.argv(HOST_NS[host], argv), {
      timeoutMs,
      label: `${argv.join(' ')} (in ${this.name} ${host})`,
    });
    return {
      done: bg.done,
      stop: () => {
        // nsenter --pid forks: the command is its child, in the holder's pid namespace.
        for (const pid of childPids(bg.child.pid ?? 0)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        bg.stop();
      },
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      // The holder reads its stdin until it closes, then ends; its pid namespace goes with it.
      this.holder.stdin?.end();
      if (!(await exited(this.holder, HOLDER_STOP_MS))) {
        this.holder.kill('SIGKILL');
        await exited(this.holder, HOLDER_STOP_MS);
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
      this.owned.release();
    }
  }
}

/** Resolves true once `child` has exited, false after `ms`. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Waits for the holder's "ready" line; rejects with its stderr if it ends or hangs first. */
function holderReady(holder: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      reject(
        new Error(
          `the kernel-bridge reference did not create its namespaces within ${HOLDER_START_MS / 1000} s`,
        ),
      );
    }, HOLDER_START_MS);
    holder.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    holder.stderr?.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString('utf8');
    });
    holder.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`the kernel-bridge reference could not start unshare: ${e.message}`));
    });
    holder.once('exit', (code, signal) => {
      clearTimeout(timer);
      const why = err.trim().replace(/\s+/g, ' ') || `unshare ended (${signal ?? `exit ${code}`})`;
      reject(new Error(`the kernel-bridge reference could not create its namespaces: ${why}`));
    });
  });
}
