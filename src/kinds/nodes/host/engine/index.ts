// The `host` node kind: a network namespace inside the lab with interfaces (each a TAP port
// into the fabric), addresses, routes, a shell as its console, and `exec` of commands in it.
import { join } from 'node:path';
import { EngineError, type ExecResult, type NodeStatus } from '../../../../shared/contract.js';
import type { HostInterfaceSpec, HostNodeSpec } from '../../../../shared/topology/index.js';
import { TapPort, type Port } from '../../../../engine/fabric/index.js';
import type { NetnsHandle } from '../../../../engine/host/netns.js';
import {
  addAddress,
  addRoute,
  ifIndex,
  rtnetlink,
  setLink,
  type NetlinkRequest,
} from '../../../../engine/host/netlink.js';
import { interfaceTag } from '../../../../engine/paths.js';
import { findExecutable } from '../../../../engine/process/executable.js';
import { execOutput, runChecked, runExec } from '../../../../engine/process/run.js';
import { SupervisedProcess } from '../../../../engine/process/supervisedProcess.js';
import {
  ProcessNodeBase,
  type ExecOptions,
  type NodeInstance,
  type NodeKind,
  type NodeAbilities,
} from '../../../../engine/nodes/types.js';

/** The shell a host node's console runs when the file names none. */
export const DEFAULT_SHELL = ['/bin/sh', '-i'];
/** How long a setup command may run before the node is called failed. */
const SETUP_TIMEOUT_MS = 60_000;
/** Pause before a host shell that exited (e.g. the user typed `exit`) is started again. */
const SHELL_RESPAWN_MS = 300;

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** How a link asks a host node for an interface's port. */
export interface HostPortOptions {
  /** A TUN (raw IP packets, link type 'raw-ip') instead of a TAP. */
  tun?: boolean;
  /** MTU of a TUN when the interface sets none (the link's IP MTU). */
  mtu?: number;
}

/** A running host node. */
export class HostNode extends ProcessNodeBase<HostNodeSpec> implements NodeInstance {
  readonly kind = 'host';
  override readonly abilities: NodeAbilities = {
    ipPort: { ipPort: (name, mtu) => this.port(name, { tun: true, mtu }) },
  };
  private ns: NetnsHandle | undefined;
  private readonly ports = new Map<string, TapPort>();
  private shell: SupervisedProcess | undefined;
  private stopping = false;

  /** The file of the node's network namespace, once created (for kinds that compose a host). */
  get netnsPath(): string | undefined {
    return this.ns?.path;
  }

  private get netns(): NetnsHandle {
    if (!this.ns) throw new Error(`node ${this.name} has no namespace yet`);
    return this.ns;
  }

  /** Runs `ip` (or any argv) inside the node's namespace, failing with one sentence. */
  private async inside(argv: string[]): Promise<void> {
    await runChecked(argv, { netns: this.netns.path });
  }

  create(): Promise<void> {
    // Nothing to wait for (no process starts); a failure still arrives as a rejection.
    return new Promise((resolve) => {
      this.ns = this.ctx.netns.create(this.name);
      resolve();
    });
  }

  /**
   * The fabric port of an interface, created on first request: a TAP (Ethernet), or with `tun`
   * a TUN (raw IP, for a link that carries IP packets such as legacy SLIP), whose MTU is the
   * interface's `mtu` or else `options.mtu`. A host with a TUN forwards between its interfaces
   * (in its own namespace only), so the TUN's peer reaches the host's other segments.
   */
  async port(name: string, options: HostPortOptions = {}): Promise<Port> {
    const existing = this.ports.get(name);
    if (existing) {
      if ((existing.linkType === 'raw-ip') !== (options.tun === true)) {
        throw new EngineError(
          'bad-request',
          `${this.name}:${name} is already a ${existing.linkType === 'raw-ip' ? 'TUN (raw IP)' : 'TAP (Ethernet)'} interface; connect it to one link only`,
        );
      }
      return existing;
    }
    const ifspec: HostInterfaceSpec = this.spec.interfaces?.[name] ?? {};
    const tun = options.tun === true;
    // A TUN's frames are IP packets, so its fabric MTU is the interface MTU itself.
    const mtu = ifspec.mtu ?? (tun ? options.mtu : undefined);
    // A non-persistent TAP: it disappears when the engine closes its fd, even after kill -9.
    this.ctx.journal.willCreate({ type: 'interface', ref: name, netns: this.netns.path });
    const port = TapPort.open({
      id: `${this.name}:${name}`,
      ifname: name,
      netnsPath: this.netns.path,
      ...(tun ? { tun: true } : { offloads: true }),
      ...(mtu !== undefined ? { mtu: tun ? mtu : mtu + 14 } : {}),
    });
    this.ports.set(name, port);
    this.ctx.fabric.addPort(port);
    // The ownership tag: `netweave down --all` finds tagged interfaces without a journal (the
    // journal has them meanwhile). The interface comes up now, before any node has addresses,
    // so that the lab's first frames find every interface up.
    rtnetlink(this.netns.path, [
      setLink(name, {
        alias: interfaceTag(this.ctx.labId, this.name),
        ...(ifspec.mac && !tun ? { mac: ifspec.mac } : {}),
        ...(mtu !== undefined ? { mtu } : {}),
        up: true,
      }),
    ]);
    if (tun) {
      // The namespace is the node's own, so this changes nothing outside the lab. -e: a
      // namespace without IPv6 has no IPv6 key, which is fine.
      await this.inside([
        'sysctl',
        '-q',
        '-e',
        '-w',
        'net.ipv4.ip_forward=1',
        'net.ipv6.conf.all.forwarding=1',
      ]);
    }
    return port;
  }

  async wire(): Promise<void> {
    // Interfaces declared without a link still exist (unplugged ports).
    for (const name of Object.keys(this.spec.interfaces ?? {})) {
      if (!this.ports.has(name)) await this.port(name);
    }
    const netns = this.netns.path;
    const requests: NetlinkRequest[] = [];
    const indexes = new Map<string, number>();
    const indexOf = (name: string): number => {
      let index = indexes.get(name);
      if (index === undefined) {
        index = ifIndex(name, netns);
        indexes.set(name, index);
      }
      return index;
    };
    for (const [name, ifspec] of Object.entries(this.spec.interfaces ?? {})) {
      for (const cidr of list(ifspec.ipv4)) requests.push(addAddress(name, indexOf(name), cidr));
      for (const cidr of list(ifspec.ipv6)) {
        // nodad: a lab's addresses are planned, so skip duplicate address detection and
        // make the address usable at once instead of after about two seconds.
        requests.push(addAddress(name, indexOf(name), cidr, { nodad: true }));
      }
    }
    for (const route of this.spec.routes ?? []) {
      const dev =
        route.dev !== undefined ? { name: route.dev, index: indexOf(route.dev) } : undefined;
      requests.push(addRoute(route.to, route.via, dev));
    }
    rtnetlink(netns, requests);
  }

  private env(): Record<string, string> {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
    return {
      ...base,
      TERM: 'xterm-256color',
      PS1: `${this.name}# `,
      ...(this.spec.env ?? {}),
      ...this.ctx.env,
    };
  }

  async start(): Promise<void> {
    this.stopping = false;
    for (const p of this.ports.values()) p.setUp(true);
    this.setState('starting');
    const shellArgv = this.spec.shell ?? DEFAULT_SHELL;
    const shell = new SupervisedProcess({
      name: this.name,
      argv: shellArgv,
      netns: this.netns.path,
      cwd: '/',
      env: this.env(),
      logFile: join(this.ctx.logDir, `${this.name}.log`),
      restart: { policy: this.spec.restart ?? 'on-failure' },
      // An interactive shell ignores SIGTERM; SIGHUP is how a terminal closing ends it.
      stop: { termSignal: 'SIGHUP' },
      ...(this.spec.ready?.pattern
        ? {
            ready: {
              pattern: new RegExp(this.spec.ready.pattern),
              timeoutMs: (this.spec.ready.timeout ?? 30) * 1000,
            },
          }
        : {}),
    });
    this.shell = shell;
    shell.onData((d) => this.ctx.consoleData(this.name, d));
    shell.onState((e) => {
      if (this.stopping) return;
      if (e.state === 'stopped' && this.shell === shell) {
        // The user ended the shell: give the node a fresh one, as a terminal would.
        setTimeout(() => {
          if (!this.stopping && this.shell === shell) void shell.start().catch(() => undefined);
        }, SHELL_RESPAWN_MS).unref();
        return;
      }
      this.setState(e.state, e.reason);
    });
    await shell.start();
    for (const argv of this.spec.setup ?? []) {
      const r = await this.exec(argv, { timeoutMs: SETUP_TIMEOUT_MS });
      if (r.exitCode !== 0) {
        const text =
          execOutput(r, 'stderr').toString('utf8') || execOutput(r, 'stdout').toString('utf8');
        const why = text.trim().split('\n').slice(-1)[0] ?? '';
        throw new EngineError(
          'internal',
          `setup command "${argv.join(' ')}" of node "${this.name}" failed (${r.signal ?? `exit ${r.exitCode}`})${why ? `: ${why}` : ''}`,
        );
      }
    }
  }

  ready(): Promise<void> {
    if (this.state === 'failed') {
      return Promise.reject(
        new EngineError(
          'internal',
          `node "${this.name}" failed before it was ready: ${this.reason ?? 'its shell ended'}`,
        ),
      );
    }
    this.setState('ready');
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.setState('stopping');
    await this.shell?.stop();
    for (const p of this.ports.values()) p.setUp(false);
    this.setState('stopped');
  }

  async exec(argv: string[], opts: ExecOptions): Promise<ExecResult> {
    if (!this.ns) throw new EngineError('not-running', `node "${this.name}" is not created`);
    return runExec(argv, this.ns.path, this.env(), opts);
  }

  protected supervised(): SupervisedProcess | undefined {
    return this.shell;
  }

  status(): NodeStatus {
    return this.statusOf({ ports: [...this.ports.values()].map((p) => p.status()) });
  }

  async dispose(): Promise<void> {
    this.stopping = true;
    await this.shell?.dispose();
    this.shell = undefined;
    for (const p of this.ports.values()) {
      this.ctx.fabric.removePort(p);
      this.ctx.journal.didRemove({
        type: 'interface',
        ref: p.id.split(':')[1] ?? '',
        netns: this.netns.path,
      });
    }
    this.ports.clear();
    if (this.ns) {
      await this.ctx.netns.remove(this.ns);
      this.ns = undefined;
    }
  }
}

/** The `host` kind. */
export const hostKind: NodeKind<HostNodeSpec> = {
  instantiate: (name, spec, ctx) => new HostNode(name, spec, ctx),
  // The console's shell must exist before the lab starts: found missing later, the node would
  // restart it three times and fail while the lab already said "running".
  preflight: async (name, spec) => {
    const shell = spec.shell ?? DEFAULT_SHELL;
    const path = spec.env?.['PATH'] ?? process.env['PATH'];
    const found = await findExecutable(
      shell[0] ?? '',
      '/',
      path !== undefined ? { PATH: path } : {},
    );
    if (!found.ok) {
      throw new EngineError(
        'missing-binary',
        `the shell of node "${name}" cannot run: ${found.problem}; fix \`shell:\` or install it`,
      );
    }
  },
};
