// The `native-sim` node kind: zephyr.exe in a namespace of its own.
//
// TAP mode: zephyr.exe opens its TAP by name (TUNSETIFF on an existing persistent TAP), so the
// engine cannot hold that fd. Each port is therefore, inside the node's namespace:
//   zeth (persistent TAP, zephyr.exe's)  <->  kernel bridge  <->  engine TAP  <->  fabric
// and every frame still crosses the fabric, with counters and captures.
//
// Offloaded sockets (NSOS): Zephyr's sockets are host sockets of the namespace it runs in, so
// the node is a host node (composed, not copied) whose console is zephyr.exe's UART.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { openTap } from '@netweave/tap';
import { EngineError, type ExecResult, type NodeStatus } from '../../../../shared/contract.js';
import type { NativeSimNodeSpec } from '../../../../shared/topology/kinds/index.js';
import { DEFAULT_NATIVE_TAP_NAME, offloadedHostSpec } from '../facts.js';
import { enabled, parseKconfig, stringOf } from '../../../../engine/zephyr/buildFiles.js';
import type { Port } from '../../../../engine/fabric/index.js';
import type { NetnsHandle } from '../../../../engine/host/netns.js';
import { addQuietBridge, ifIndex, rtnetlink, setLink } from '../../../../engine/host/netlink.js';
import { findExecutable } from '../../../../engine/process/executable.js';
import { runExec } from '../../../../engine/process/run.js';
import {
  DEFAULT_ZEPHYR_READY_TIMEOUT_S,
  NATIVE_SIM_READY_PATTERN,
} from '../../../../engine/zephyr/banner.js';
import { HostNode } from '../../host/engine/index.js';
import type {
  ExecOptions,
  LabContext,
  NodeConsole,
  NodeInstance,
  NodeKind,
  MainProcess,
} from '../../../../engine/nodes/types.js';
import { NodeBase } from '../../../../engine/nodes/types.js';
import {
  planNativeSimLaunch,
  type NativeSimKconfig,
  type NativeSimLaunch,
  type NativeSimTap,
} from './argv.js';
import { MacGuardPort } from './macGuard.js';
import { probeNativeSim } from './probe.js';
import { allocateSeeds } from './seeds.js';
import { UartHandshake } from './uartHandshake.js';
import { labProcessEnv, ZephyrProcess } from './zephyrProcess.js';

/** Inside a node's namespace: the bridge of port i is BRIDGE_PREFIX + i (names are per namespace). */
const BRIDGE_PREFIX = 'nwbr';
/** Inside a node's namespace: the engine's TAP of port i is ENGINE_TAP_PREFIX + i. */
const ENGINE_TAP_PREFIX = 'nwfab';

/** The absolute path of a node's zephyr.exe. */
export function nativeSimExe(
  spec: NativeSimNodeSpec,
  ctx: Pick<LabContext, 'topologyDir'>,
): string {
  return resolve(ctx.topologyDir, spec.exe);
}

/** Checks that zephyr.exe exists and is executable; one sentence otherwise. */
export async function checkNativeSimExe(
  name: string,
  spec: NativeSimNodeSpec,
  ctx: Pick<LabContext, 'topologyDir'>,
): Promise<void> {
  const exe = nativeSimExe(spec, ctx);
  const found = await findExecutable(exe, ctx.topologyDir, process.env);
  if (!found.ok) {
    throw new EngineError(
      'missing-binary',
      `native-sim node "${name}" cannot start: ${found.problem} (exe: ${spec.exe}); build it with \`west build -b native_sim\` or correct "exe"`,
    );
  }
}

/**
 * Plans zephyr.exe's command line from what the build lists in its --help (probed once per
 * file): rejects with one sentence when the file is no runnable zephyr.exe or the node sets
 * something the build cannot honour.
 */
export function planLaunch(
  name: string,
  spec: NativeSimNodeSpec,
  ctx: Pick<LabContext, 'topologyDir' | 'topology' | 'labDir'>,
): Promise<NativeSimLaunch> {
  // Planned once per lab and node: the preflight's plan is the one create() starts with.
  let byNode = plans.get(ctx);
  if (byNode === undefined) {
    byNode = new Map();
    plans.set(ctx, byNode);
  }
  const planned = byNode.get(name);
  if (planned !== undefined) return planned;
  const plan = planLaunchNow(name, spec, ctx);
  byNode.set(name, plan);
  // A failed plan is not kept: the deploy stops, and a retry plans again.
  plan.catch(() => byNode.delete(name));
  return plan;
}

/** Each lab context's launch plans by node (see planLaunch). */
const plans = new WeakMap<object, Map<string, Promise<NativeSimLaunch>>>();

async function planLaunchNow(
  name: string,
  spec: NativeSimNodeSpec,
  ctx: Pick<LabContext, 'topologyDir' | 'topology' | 'labDir'>,
): Promise<NativeSimLaunch> {
  await checkNativeSimExe(name, spec, ctx);
  const exe = nativeSimExe(spec, ctx);
  // The build's options (--help, remembered) and its Kconfig are read side by side.
  const [options, kconfig] = await Promise.all([
    probeNativeSim(name, exe),
    readNativeSimKconfig(exe),
  ]);
  const defaultSeed = allocateSeeds(ctx.topology).get(name);
  return planNativeSimLaunch(name, spec, options, {
    ...(defaultSeed !== undefined ? { defaultSeed } : {}),
    ...(kconfig !== undefined ? { kconfig } : {}),
    attachCommand: UartHandshake.commandFor(UartHandshake.pathFor(ctx.labDir, name)),
  });
}

/**
 * The TAP driver's Kconfig of the build zephyr.exe came from (build/zephyr/.config beside
 * build/zephyr/zephyr.exe), or undefined when the binary was moved away from its build.
 */
export async function readNativeSimKconfig(exe: string): Promise<NativeSimKconfig | undefined> {
  let text: string;
  try {
    text = await readFile(join(dirname(exe), '.config'), 'utf8');
  } catch {
    return undefined;
  }
  const c = parseKconfig(text);
  // ETH_NATIVE_POSIX_* up to about 3.7, ETH_NATIVE_TAP_* after.
  const symbol = enabled(c, 'ETH_NATIVE_TAP')
    ? 'ETH_NATIVE_TAP'
    : enabled(c, 'ETH_NATIVE_POSIX')
      ? 'ETH_NATIVE_POSIX'
      : undefined;
  if (symbol === undefined) return undefined;
  const count = Number(stringOf(c, `${symbol}_INTERFACE_COUNT`) ?? '1');
  return {
    symbol,
    randomMac: enabled(c, `${symbol}_RANDOM_MAC`),
    interfaceCount: Number.isInteger(count) && count > 0 ? count : 1,
    drvName: stringOf(c, `${symbol}_DRV_NAME`) ?? DEFAULT_NATIVE_TAP_NAME,
  };
}

/** New seeds tried after MAC conflicts before the node fails: 255 MACs, so 8 tries all collide about once in 10^19. */
const MAX_RESEEDS = 8;

/** What both modes share: state reporting and the supervised zephyr.exe. */
abstract class NativeSimBase extends NodeBase<NativeSimNodeSpec> implements NodeInstance {
  readonly kind = 'native-sim';
  protected zephyr: ZephyrProcess | undefined;
  /** The command line, planned in create() from the build's own options. */
  protected launch: NativeSimLaunch | undefined;
  private handshake: UartHandshake | undefined;
  private started: Promise<void> | undefined;
  /** Bumped each time zephyr.exe is replaced by one with another seed (see macConflict). */
  private generation = 0;
  /** Seeds tried after a MAC conflict, so a node never cycles back to one that collided. */
  private reseeds = 0;
  /** Set by stop() and dispose(): a reseed in flight must not start zephyr.exe again. */
  protected closing = false;

  abstract create(): Promise<void>;
  abstract port(name: string): Promise<Port>;
  abstract wire(): Promise<void>;
  protected abstract netnsPath(): string;
  protected abstract ports(): Port[];

  /** Probes the build and plans its command line (before any port exists). */
  protected async plan(): Promise<NativeSimLaunch> {
    this.launch ??= await planLaunch(this.name, this.spec, this.ctx);
    return this.launch;
  }

  /** A new run of zephyr.exe began (start, restart policy, reseed). */
  protected onNewRun(): void {
    // Kinds with MAC guards relearn here.
  }

  async start(): Promise<void> {
    this.closing = false;
    for (const p of this.ports()) p.setUp(true);
    const launch = await this.plan();
    if (launch.uart === 'command')
      this.handshake ??= UartHandshake.create(this.ctx.labDir, this.name);
    if (this.zephyr === undefined) {
      const proc: ZephyrProcess = new ZephyrProcess(
        {
          name: this.name,
          argv: [nativeSimExe(this.spec, this.ctx), ...launch.args],
          netns: this.netnsPath(),
          cwd: this.ctx.topologyDir,
          readyPattern: this.spec.ready?.pattern ?? NATIVE_SIM_READY_PATTERN,
          readyTimeoutMs: (this.spec.ready?.timeout ?? DEFAULT_ZEPHYR_READY_TIMEOUT_S) * 1000,
          restart: this.spec.restart ?? 'never',
          onNewRun: () => this.onNewRun(),
          ...(this.handshake ? { handshake: this.handshake } : {}),
        },
        this.ctx,
        // A process replaced after a MAC conflict no longer speaks for the node.
        (s, r) => {
          if (this.zephyr === proc) this.setState(s, r);
        },
      );
      this.zephyr = proc;
    }
    const started = this.zephyr.start();
    // Observed by ready(); a failure before then must not be an unhandled rejection.
    started.catch(() => undefined);
    this.started = started;
  }

  /**
   * The instance drew a MAC another native-sim node of the lab has (its frames are already
   * dropped by the port). With a seed netweave chose, zephyr.exe starts again with the next
   * seed; a seed the user set is theirs to change, so the node fails with the reason.
   */
  protected macConflict(mac: string, owner: string): void {
    const launch = this.launch;
    const proc = this.zephyr;
    if (launch === undefined || proc === undefined) return;
    const note = (text: string): void => proc.note(text);
    if (this.spec.seed !== undefined || launch.seed === undefined || this.reseeds >= MAX_RESEEDS) {
      const reason = `node "${this.name}" drew MAC ${mac}, which node "${owner}" already has${
        launch.seed !== undefined ? ` (seed ${launch.seed})` : ''
      }; give it another "seed" or a "mac"`;
      note(reason);
      void proc.stop().then(() => this.setState('failed', reason));
      return;
    }
    this.reseeds++;
    const seed = launch.seed + this.reseeds;
    note(`MAC ${mac} is already used by ${owner}: starting again with seed ${seed}`);
    this.launch = {
      ...launch,
      seed,
      args: launch.args.map((a) => (a.startsWith('--seed=') ? `--seed=${seed}` : a)),
    };
    this.startAgain(proc);
  }

  /**
   * Node `peer` starts again at the lab's start while this instance's first frames were held
   * (macGuard.ts): this one starts again too, with its own seed, so that it does not wait on a
   * peer that is still booting (its TCP connect would give up).
   */
  protected restartWith(peer: string): void {
    const proc = this.zephyr;
    if (proc === undefined || this.closing) return;
    proc.note(`node ${peer} starts again with another seed: starting again with it`);
    this.startAgain(proc);
  }

  /** Replaces zephyr.exe by a new run of the current launch. */
  private startAgain(proc: ZephyrProcess): void {
    this.generation++;
    this.zephyr = undefined;
    void proc
      .dispose()
      .then(() => (this.closing ? undefined : this.start()))
      .catch((err: unknown) => this.setState('failed', (err as Error).message));
  }

  /** Stops zephyr.exe and releases what start() made (the UART handshake's FIFO). */
  protected async disposeProcess(): Promise<void> {
    this.closing = true;
    await this.zephyr?.dispose();
    this.zephyr = undefined;
    this.handshake?.dispose();
    this.handshake = undefined;
  }

  /** Resolves when zephyr.exe printed its ready line; rejects with the reason it failed. */
  async ready(): Promise<void> {
    for (;;) {
      const generation = this.generation;
      const started = this.started;
      if (started === undefined) throw new Error(`node "${this.name}" was not started`);
      try {
        await started;
        if (generation === this.generation) return;
      } catch (err) {
        // zephyr.exe was replaced (another seed) before it was ready: wait for the new one.
        if (generation === this.generation) throw err;
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  async stop(): Promise<void> {
    this.closing = true;
    await this.zephyr?.stop();
    for (const p of this.ports()) p.setUp(false);
  }

  console(): NodeConsole | undefined {
    return this.zephyr?.console();
  }

  async exec(argv: string[], opts: ExecOptions): Promise<ExecResult> {
    return runExec(argv, this.netnsPath(), labProcessEnv(this.ctx), opts);
  }

  protected override mainProcess(): MainProcess | undefined {
    return this.zephyr;
  }

  status(): NodeStatus {
    return this.statusOf({ ports: this.ports().map((p) => p.status()), detail: this.detail() });
  }

  /** The seed and the MACs the instance drew, for status. */
  protected detail(): string | undefined {
    const seed = this.launch?.seed;
    return seed !== undefined ? `seed ${seed}` : undefined;
  }

  abstract dispose(): Promise<void>;
}

/** One TAP port's plumbing inside the node's namespace. */
interface TapPlumbing {
  tap: NativeSimTap;
  port: MacGuardPort;
}

/** A native-sim node whose interfaces are Ethernet TAPs. */
export class NativeSimTapNode extends NativeSimBase {
  private ns: NetnsHandle | undefined;
  private taps: NativeSimTap[] = [];
  private readonly plumbing = new Map<string, TapPlumbing>();

  protected netnsPath(): string {
    if (!this.ns) throw new EngineError('not-running', `node "${this.name}" is not created`);
    return this.ns.path;
  }

  protected ports(): Port[] {
    return [...this.plumbing.values()].map((p) => p.port);
  }

  async create(): Promise<void> {
    // The TAP names depend on the build's options: planned before anything exists.
    this.taps = (await this.plan()).taps;
    this.ns = this.ctx.netns.create(this.name);
  }

  port(name: string): Promise<Port> {
    // Synchronous work (no process starts); a failure still arrives as a rejection.
    return new Promise((resolve) => resolve(this.plumb(name)));
  }

  /** Creates the port's interfaces (once) and its fabric port. */
  private plumb(name: string): Port {
    const existing = this.plumbing.get(name);
    if (existing) return existing.port;
    const index = this.taps.findIndex((t) => t.port === name);
    const tap = this.taps[index];
    if (!tap) {
      throw new EngineError(
        'bad-request',
        `native-sim node "${this.name}" has no port "${name}"; ports are ${this.taps.map((t) => t.port).join(', ')}`,
      );
    }
    const netns = this.netnsPath();
    const bridge = `${BRIDGE_PREFIX}${index}`;
    const engineTap = `${ENGINE_TAP_PREFIX}${index}`;
    for (const ref of [tap.tap, bridge, engineTap]) {
      this.ctx.journal.willCreate({ type: 'interface', ref, netns });
    }
    // The engine's TAP: non-persistent, it disappears when the engine closes its fd.
    const port = new MacGuardPort(
      `${this.name}:${name}`,
      openTap(engineTap, netns),
      this.name,
      this.ctx.fabric,
      (mac, owner) => this.macConflict(mac, owner),
      (peer) => this.restartWith(peer),
    );
    this.plumbing.set(name, { tap, port });
    this.ctx.fabric.addPort(port);
    // zephyr.exe's TAP: persistent, so it exists before the process opens it by name.
    // forward_delay 0: without STP the port forwards at once instead of after 15 s of learning.
    // mcast_snooping 0: a snooping bridge joins 224.0.0.106 and sends IGMP reports of its own
    // into the lab (and the MAC guard would take the bridge's MAC for the instance's).
    // addrgenmode none: no IPv6 link-local address, these interfaces must not talk (RS, MLD).
    // All of it through netlink from the engine (host/netlink.ts), no ip process.
    openTap(tap.tap, netns, false, true);
    rtnetlink(netns, [
      addQuietBridge(bridge),
      ...[tap.tap, engineTap, bridge].map((dev) => setLink(dev, { noIpv6LinkLocal: true })),
    ]);
    const master = ifIndex(bridge, netns);
    rtnetlink(netns, [
      setLink(tap.tap, { master, up: true }),
      setLink(engineTap, { master, up: true }),
      setLink(bridge, { up: true }),
    ]);
    return port;
  }

  protected override onNewRun(): void {
    for (const p of this.plumbing.values()) p.port.relearn();
  }

  protected override detail(): string | undefined {
    const macs = [...this.plumbing.values()]
      .map((p) => p.port.learnedMac)
      .filter((m): m is string => m !== undefined);
    const seed = super.detail();
    const parts = [
      ...(seed !== undefined ? [seed] : []),
      ...(macs.length > 0 ? [`MAC ${macs.join(', ')}`] : []),
    ];
    return parts.length > 0 ? parts.join(', ') : undefined;
  }

  async wire(): Promise<void> {
    // Ports without a link still exist: zephyr.exe fails to start without its TAP.
    for (const t of this.taps) await this.port(t.port);
  }

  async dispose(): Promise<void> {
    await this.disposeProcess();
    const netns = this.ns?.path;
    for (const [index, p] of [...this.plumbing.values()].entries()) {
      this.ctx.fabric.removePort(p.port);
      if (netns === undefined) continue;
      for (const ref of [`${ENGINE_TAP_PREFIX}${index}`, `${BRIDGE_PREFIX}${index}`, p.tap.tap]) {
        this.ctx.journal.didRemove({ type: 'interface', ref, netns });
      }
    }
    this.plumbing.clear();
    if (this.ns) {
      // Removing the namespace removes the bridge and the persistent TAP inside it.
      await this.ctx.netns.remove(this.ns);
      this.ns = undefined;
    }
  }
}

/** A native-sim node with offloaded sockets (NSOS): a host node running zephyr.exe. */
export class NativeSimOffloadedNode extends NativeSimBase {
  private readonly host: HostNode;

  constructor(name: string, spec: NativeSimNodeSpec, ctx: LabContext) {
    super(name, spec, ctx);
    this.host = new HostNode(name, offloadedHostSpec(spec), ctx);
  }

  protected netnsPath(): string {
    const path = this.host.netnsPath;
    if (path === undefined)
      throw new EngineError('not-running', `node "${this.name}" is not created`);
    return path;
  }

  protected ports(): Port[] {
    return this.host
      .status()
      .ports.map((p) => this.ctx.fabric.port(p.id))
      .filter((p): p is Port => p !== undefined);
  }

  create(): Promise<void> {
    return this.host.create();
  }

  port(name: string): Promise<Port> {
    if (!Object.keys(this.spec.interfaces ?? {}).includes(name)) {
      return Promise.reject(
        new EngineError('bad-request', `native-sim node "${this.name}" has no interface "${name}"`),
      );
    }
    return this.host.port(name);
  }

  wire(): Promise<void> {
    return this.host.wire();
  }

  override exec(argv: string[], opts: ExecOptions): Promise<ExecResult> {
    return this.host.exec(argv, opts);
  }

  async dispose(): Promise<void> {
    await this.disposeProcess();
    await this.host.dispose();
  }
}

/** The `native-sim` kind. */
export const nativeSimKind: NodeKind<NativeSimNodeSpec> = {
  instantiate: (name, spec, ctx) =>
    spec.sockets === 'offloaded'
      ? new NativeSimOffloadedNode(name, spec, ctx)
      : new NativeSimTapNode(name, spec, ctx),
  preflight: async (name, spec, ctx) => {
    await planLaunch(name, spec, ctx);
  },
};
