// The `qemu` node kind: a QEMU machine under a SupervisedProcess (its serial console and monitor
// on the pty, as Zephyr runs it), a QMP socket for quit/reset/set_link, and one fabric port per
// NIC on a `-netdev stream` unix socket that the engine listens on before QEMU starts.
import { constants } from 'node:fs';
import { access, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LinkType } from '../../../../shared/kinds.js';
import { EngineError, type NodeStatus, type PortStatus } from '../../../../shared/contract.js';
import type { QemuNodeSpec } from '../../../../shared/topology/kinds/index.js';
import {
  DEFAULT_QEMU_READY_TIMEOUT_S,
  nicAttach,
  nicModel,
  QEMU_BOARD_NAMES,
  QEMU_SERIAL_PORTS,
  qemuBoard,
  ZEPHYR_BOOT_BANNER,
} from '../facts.js';
import type { SlirpForward, SlirpLinkSpec } from '../../../../shared/topology/links/index.js';
import { formatSlirpForward, parseSlirpForward } from '../../../links/slirp/facts.js';
import { listChoices } from '../../../../shared/topology/text.js';
import { StreamSocketPort, type FrameCodec, type Port } from '../../../../engine/fabric/index.js';
import { LAB_FILES } from '../../../../engine/paths.js';
import { readProgramFile } from '../../../../engine/process/elf.js';
import { findExecutable } from '../../../../engine/process/executable.js';
import { SupervisedProcess } from '../../../../engine/process/supervisedProcess.js';
import { QmpClient } from './qmp/client.js';
import {
  ProcessNodeBase,
  type LabContext,
  type NodeInstance,
  type NodeKind,
  type NodeAbilities,
} from '../../../../engine/nodes/types.js';
import { buildQemuArgv, netdevId, qemuBinary, serialIndex, type QemuNic } from './commandLine.js';
import { kernelMachineMismatch } from './kernelMachine.js';
import { allocateMacs } from './macs.js';
import { sha256Hex } from '../../../../engine/hash.js';

/**
 * Wait after QMP `quit` before SIGTERM: QEMU exits within milliseconds of quit; 5 s leaves room
 * for a guest with a disk image to flush on a loaded machine.
 */
export const QEMU_QUIT_TIMEOUT_MS = 5_000;

/** Console text kept while watching for the ready pattern after a reset (one boot's worth of tail). */
const RESET_WATCH_CHARS = 64 * 1024;

/** Longest unix socket path (sun_path is 108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** A user-network (slirp) NIC as a slirp link configured it. */
interface UserNet {
  link: string;
  network: string;
  dhcpStart?: string;
  forwards: SlirpForward[];
}

/** Resolves a path from the topology file against the file's folder. */
function fromFile(ctx: LabContext, path: string): string {
  return resolve(ctx.topologyDir, path);
}

/** A socket path in the lab's socket folder, hashed when node and port names make it too long. */
export function socketPath(labDir: string, base: string, ext: string): string {
  const dir = join(labDir, LAB_FILES.sockets);
  const plain = join(dir, `${base}.${ext}`);
  if (Buffer.byteLength(plain) <= MAX_SOCKET_PATH) return plain;
  const short = sha256Hex(base).slice(0, 12);
  return join(dir, `${short}.${ext}`);
}

async function checkFile(ctx: LabContext, node: string, key: string, path: string): Promise<void> {
  const full = fromFile(ctx, path);
  try {
    const st = await stat(full);
    if (!st.isFile()) throw new Error('not a file');
    await access(full, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable'
          : 'is not a file';
    throw new EngineError(
      'bad-request',
      `the ${key} file ${full} of node "${node}" ${why}; build it or fix "${key}:" in the topology file`,
    );
  }
}

/**
 * Checks that an ELF kernel is for the machine the node's QEMU emulates; a kernel that is not an
 * ELF (a Linux bzImage) is QEMU's to judge.
 */
async function checkKernelMachine(
  name: string,
  spec: QemuNodeSpec,
  kernel: string,
  ctx: LabContext,
): Promise<void> {
  const program = await readProgramFile(fromFile(ctx, kernel));
  if (program.format !== 'elf') return;
  const mismatch = kernelMachineMismatch({
    node: name,
    kernel,
    elf: program.elf,
    binary: qemuBinary(spec),
    ...(spec.board !== undefined && spec.binary === undefined ? { board: spec.board } : {}),
  });
  if (mismatch !== undefined) throw new EngineError('bad-request', mismatch);
}

/** Checks the binary, board and files of a qemu node before anything of the lab exists. */
async function preflightQemu(name: string, spec: QemuNodeSpec, ctx: LabContext): Promise<void> {
  if (spec.board !== undefined && !qemuBoard(spec.board)) {
    throw new EngineError(
      'bad-request',
      `node "${name}" names board "${spec.board}", which netweave does not know; boards are ${listChoices(QEMU_BOARD_NAMES)}`,
    );
  }
  const binary = qemuBinary(spec);
  const found = await findExecutable(binary, ctx.topologyDir, process.env);
  if (!found.ok) {
    throw new EngineError(
      'missing-binary',
      `node "${name}" needs ${binary}, which is not installed (${found.problem}); install it (apt install qemu-system-x86 qemu-system-arm) or set "binary:"`,
    );
  }
  for (const key of ['kernel', 'initrd', 'disk'] as const) {
    const path = spec[key];
    if (path !== undefined) await checkFile(ctx, name, key, path);
  }
  if (spec.kernel !== undefined) await checkKernelMachine(name, spec, spec.kernel, ctx);
  const macs = allocateMacs(ctx.topology);
  if (typeof macs === 'string') throw new EngineError('bad-request', macs);
}

/** A running qemu node. */
export class QemuNode extends ProcessNodeBase<QemuNodeSpec> implements NodeInstance {
  readonly kind = 'qemu';
  override readonly abilities: NodeAbilities = { serial: this, userNetwork: this };
  private readonly ports = new Map<string, StreamSocketPort>();
  /** Serial ports a serial link claimed (slip, ppp, uart-pipe-154), by port name. */
  private readonly serials = new Map<string, StreamSocketPort>();
  private readonly serialLinks = new Map<string, string>();
  private readonly userNets = new Map<string, UserNet>();
  /** Link state asked for per NIC (linkSet), re-applied after QEMU restarts. */
  private readonly linkUp = new Map<string, boolean>();
  private macs = new Map<string, string>();
  private proc: SupervisedProcess | undefined;
  private readyPromise: Promise<void> | undefined;
  private qmp: Promise<QmpClient> | undefined;
  private readonly qmpSocket: string;

  constructor(name: string, spec: QemuNodeSpec, ctx: LabContext) {
    super(name, spec, ctx);
    this.qmpSocket = socketPath(ctx.labDir, name, 'qmp');
  }

  private get nicNames(): string[] {
    return Object.keys(this.spec.nics ?? {});
  }

  create(): Promise<void> {
    const macs = allocateMacs(this.ctx.topology);
    if (typeof macs === 'string') return Promise.reject(new EngineError('bad-request', macs));
    this.macs = macs;
    return Promise.resolve();
  }

  private mustNic(name: string): void {
    if (!this.nicNames.includes(name)) {
      throw new EngineError(
        'bad-request',
        `qemu node "${this.name}" has no NIC "${name}"; NICs are ${listChoices(this.nicNames)}`,
      );
    }
  }

  async port(name: string): Promise<Port> {
    const existing = this.ports.get(name);
    if (existing) return existing;
    this.mustNic(name);
    if (this.userNets.has(name)) {
      throw new EngineError('bad-request', `${this.name}:${name} is on a slirp link already`);
    }
    const path = socketPath(this.ctx.labDir, `${this.name}-${name}`, 'sock');
    this.ctx.journal.willCreate({ type: 'socket', ref: path });
    const port = await StreamSocketPort.listen({ id: `${this.name}:${name}`, path });
    this.ports.set(name, port);
    this.ctx.fabric.addPort(port);
    return port;
  }

  /**
   * The fabric port of a serial port ("serial1".."serial3") used as a link: the engine listens
   * on a unix socket that QEMU's chardev connects to, and `codec` turns the bytes into frames.
   * Called by a serial link kind while wiring; one link per serial port.
   */
  async serialPort(
    name: string,
    options: { link: string; linkType: LinkType; codec: FrameCodec; mtu?: number },
  ): Promise<StreamSocketPort> {
    if (serialIndex(name) === undefined || !QEMU_SERIAL_PORTS.includes(name)) {
      throw new EngineError(
        'bad-request',
        `qemu node "${this.name}" has no serial port "${name}"; serial ports are ${listChoices(QEMU_SERIAL_PORTS)}`,
      );
    }
    if (this.serials.has(name)) {
      throw new EngineError('bad-request', `${this.name}:${name} is on another link already`);
    }
    const path = socketPath(this.ctx.labDir, `${this.name}-${name}`, 'sock');
    this.ctx.journal.willCreate({ type: 'socket', ref: path });
    const port = await StreamSocketPort.listen({
      id: `${this.name}:${name}`,
      path,
      linkType: options.linkType,
      codec: options.codec,
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    });
    this.serials.set(name, port);
    this.serialLinks.set(name, options.link);
    this.ctx.fabric.addPort(port);
    return port;
  }

  /** Puts a NIC on QEMU's user network (called by a slirp link while wiring). */
  useUserNetwork(port: string, link: string, spec: SlirpLinkSpec): void {
    this.mustNic(port);
    if (this.ports.has(port)) {
      throw new EngineError('bad-request', `${this.name}:${port} is on another link already`);
    }
    const forwards: SlirpForward[] = [];
    for (const text of spec.forwards ?? []) {
      const f = parseSlirpForward(text);
      if (typeof f !== 'string') forwards.push(f);
    }
    this.userNets.set(port, {
      link,
      network: spec.network,
      ...(spec.dhcpStart !== undefined ? { dhcpStart: spec.dhcpStart } : {}),
      forwards,
    });
    if (!spec.up) this.linkUp.set(port, false);
  }

  async wire(): Promise<void> {
    // A NIC without a link still gets its socket: QEMU's stream client needs a listener.
    for (const name of this.nicNames) if (!this.userNets.has(name)) await this.port(name);
  }

  private nics(): QemuNic[] {
    return this.nicNames.map((port) => {
      const nic = this.spec.nics?.[port] ?? {};
      const model = nicModel(this.spec, nic);
      const user = this.userNets.get(port);
      const stream = this.ports.get(port);
      return {
        port,
        model,
        mac: this.macs.get(`${this.name}:${port}`) ?? '',
        attach: nicAttach(this.spec, model),
        backend: user
          ? {
              type: 'user',
              network: user.network,
              ...(user.dhcpStart !== undefined ? { dhcpStart: user.dhcpStart } : {}),
              forwards: user.forwards,
            }
          : { type: 'stream', socket: stream?.path ?? '' },
      };
    });
  }

  /** The argv QEMU is started with. */
  argv(): string[] {
    const file = (p: string | undefined): string | undefined =>
      p === undefined ? undefined : fromFile(this.ctx, p);
    const kernel = file(this.spec.kernel);
    const initrd = file(this.spec.initrd);
    const disk = file(this.spec.disk);
    return buildQemuArgv({
      spec: this.spec,
      ...(kernel !== undefined ? { kernel } : {}),
      ...(initrd !== undefined ? { initrd } : {}),
      ...(disk !== undefined ? { disk } : {}),
      qmpSocket: this.qmpSocket,
      nics: this.nics(),
      serials: [...this.serials].map(([port, p]) => ({ port, socket: p.path })),
    });
  }

  private env(): Record<string, string> {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
    return { ...base, TERM: 'xterm-256color', ...this.ctx.env };
  }

  /** A negotiated QMP connection to the running QEMU, opened on first use. */
  private qmpClient(): Promise<QmpClient> {
    const current = this.qmp;
    if (current) {
      return current.then((c) => {
        if (!c.closed) return c;
        this.qmp = undefined;
        return this.qmpClient();
      });
    }
    const next = QmpClient.connect(this.qmpSocket);
    this.qmp = next;
    next.catch(() => {
      if (this.qmp === next) this.qmp = undefined;
    });
    return next;
  }

  private dropQmp(): void {
    const q = this.qmp;
    this.qmp = undefined;
    void q?.then((c) => c.dispose()).catch(() => undefined);
  }

  async start(): Promise<void> {
    if (this.proc && this.proc.state !== 'stopped' && this.proc.state !== 'failed') return;
    await this.proc?.dispose();
    for (const [name, p] of this.ports) p.setUp(this.linkUp.get(name) ?? true);
    for (const [name, p] of this.serials) p.setUp(this.linkUp.get(name) ?? true);
    this.ctx.journal.willCreate({ type: 'socket', ref: this.qmpSocket });
    const ready = this.spec.ready;
    const proc = new SupervisedProcess({
      name: this.name,
      argv: this.argv(),
      cwd: this.ctx.topologyDir,
      env: this.env(),
      logFile: join(this.ctx.logDir, `${this.name}.log`),
      restart: { policy: this.spec.restart ?? 'never' },
      ready: {
        pattern: new RegExp(ready?.pattern ?? ZEPHYR_BOOT_BANNER),
        timeoutMs: (ready?.timeout ?? DEFAULT_QEMU_READY_TIMEOUT_S) * 1000,
      },
      stop: {
        gracefulStop: async () => {
          const q = await this.qmpClient();
          await q.quit();
        },
        gracefulTimeoutMs: QEMU_QUIT_TIMEOUT_MS,
      },
    });
    this.proc = proc;
    proc.onData((d) => this.ctx.consoleData(this.name, d));
    proc.onState((e) => {
      if (this.proc === proc) this.setState(e.state, e.reason);
    });
    proc.onExit(() => this.dropQmp());
    proc.onDidRestart(() => {
      // The new QEMU connects to the same stream sockets (its ports rejoin) and starts with
      // every link up: take down again the links the user took down.
      for (const [port, up] of this.linkUp) {
        if (!up)
          void this.qmpClient()
            .then((q) => q.setLink(netdevId(port), false))
            .catch(() => undefined);
      }
    });
    this.readyPromise = proc.start();
    // ready() reports a failure; an unobserved rejection here would only be noise.
    this.readyPromise.catch(() => undefined);
    for (const [port, up] of this.linkUp) {
      if (!up)
        void this.qmpClient()
          .then((q) => q.setLink(netdevId(port), false))
          .catch(() => undefined);
    }
    return Promise.resolve();
  }

  async ready(): Promise<void> {
    if (!this.readyPromise)
      throw new EngineError('not-running', `node "${this.name}" is not started`);
    try {
      await this.readyPromise;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw err instanceof EngineError ? err : new EngineError('internal', message);
    }
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.dropQmp();
    for (const p of this.ports.values()) p.setUp(false);
    for (const p of this.serials.values()) p.setUp(false);
  }

  async setLink(port: string, up: boolean): Promise<PortStatus> {
    const serial = this.serials.get(port);
    if (serial) {
      // A serial line has no carrier to drop in QEMU: the fabric port alone goes down.
      this.linkUp.set(port, up);
      serial.setUp(up);
      return this.portStatus(port);
    }
    this.mustNic(port);
    this.linkUp.set(port, up);
    this.ports.get(port)?.setUp(up);
    const running = this.proc?.pid !== undefined;
    if (running) {
      try {
        const q = await this.qmpClient();
        await q.setLink(netdevId(port), up);
      } catch (err) {
        throw new EngineError(
          'internal',
          `could not set the link of ${this.name}:${port} ${up ? 'up' : 'down'} through QMP: ${(err as Error).message}`,
        );
      }
    }
    return this.portStatus(port);
  }

  /** Resets the machine through QMP, as the reset button would. */
  async reset(): Promise<void> {
    const q = await this.qmpClient();
    const proc = this.proc;
    // Zephyr runs QEMU with -no-reboot, which turns every reset request into an exit, QMP's
    // too; and firmware resets the machine again early in a warm boot. So reboots reset the
    // machine until the guest prints its ready pattern again, then -no-reboot holds again.
    await q.setRebootAction('reset');
    await q.systemReset();
    if (!proc) return;
    const pattern = new RegExp(this.spec.ready?.pattern ?? ZEPHYR_BOOT_BANNER);
    let seen = '';
    const restore = (): void => {
      void sub.dispose();
      clearTimeout(timer);
      void this.qmpClient()
        .then((c) => c.setRebootAction('shutdown'))
        .catch(() => undefined); // QEMU gone: nothing to restore
    };
    const sub = proc.onData((d) => {
      seen = (seen + d).slice(-RESET_WATCH_CHARS);
      if (pattern.test(seen)) restore();
    });
    const timer = setTimeout(
      restore,
      (this.spec.ready?.timeout ?? DEFAULT_QEMU_READY_TIMEOUT_S) * 1000,
    );
    timer.unref();
  }

  private portStatus(port: string): PortStatus {
    const serial = this.serials.get(port);
    if (serial) {
      const link = this.serialLinks.get(port);
      return { ...serial.status(), ...(link !== undefined ? { link } : {}) };
    }
    const mac = this.macs.get(`${this.name}:${port}`);
    const user = this.userNets.get(port);
    const stream = this.ports.get(port);
    const running = this.proc?.pid !== undefined;
    return {
      id: `${this.name}:${port}`,
      linkType: 'ethernet',
      up: stream ? stream.up : running && (this.linkUp.get(port) ?? true),
      ...(stream?.failureReason !== undefined ? { failure: stream.failureReason } : {}),
      ...(mac !== undefined ? { mac } : {}),
      ...(user ? { link: user.link, forwards: user.forwards.map(formatSlirpForward) } : {}),
    };
  }

  protected supervised(): SupervisedProcess | undefined {
    return this.proc;
  }

  status(): NodeStatus {
    const ports = [...this.nicNames, ...this.serials.keys()].map((p) => this.portStatus(p));
    return this.statusOf({ ports });
  }

  async dispose(): Promise<void> {
    try {
      await this.proc?.dispose();
    } finally {
      this.proc = undefined;
      this.dropQmp();
      for (const p of [...this.ports.values(), ...this.serials.values()]) {
        this.ctx.fabric.removePort(p);
        this.ctx.journal.didRemove({ type: 'socket', ref: p.path });
      }
      this.ports.clear();
      this.serials.clear();
      await rm(this.qmpSocket, { force: true });
      this.ctx.journal.didRemove({ type: 'socket', ref: this.qmpSocket });
    }
  }
}

/** The `qemu` kind. */
export const qemuKind: NodeKind<QemuNodeSpec> = {
  instantiate: (name, spec, ctx) => new QemuNode(name, spec, ctx),
  preflight: preflightQemu,
};
