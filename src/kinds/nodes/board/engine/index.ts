// The `board` node kind: a real Zephyr board on USB.
//
// Its USB network interface (enx..., made by cdc_ether, cdc_ncm, rndis_host or cdc_eem) is a
// kernel interface of the machine that the engine did not create, so it is attached the way
// native-sim's TAPs are, in the machine's namespace:
//   enx... (the board, borrowed)  <->  kernel bridge  <->  engine TAP  <->  fabric
// and every frame still crosses the fabric. The interface's state before the lab took it is
// journaled first and restored on stop, dispose and `netweave down` after a crash; while
// attached the machine's own IP stack is kept off it (no addresses, no IPv6).
//
// Its serial console (/dev/ttyACM*, /dev/ttyUSB*) is the node's console. Only network mode
// "host" can do this: an isolated lab's namespace does not hold the board's interface.
import { EngineError, type NodeStatus } from '../../../../shared/contract.js';
import type { BoardNodeSpec } from '../../../../shared/topology/kinds/index.js';
import { BOARD_NO_SERIAL } from '../facts.js';
import { TapPort, type Port } from '../../../../engine/fabric/index.js';
import {
  quietInterface,
  restoreInterface,
  snapshotInterface,
  writeDisableIpv6,
  type InterfaceSnapshot,
} from '../../../../engine/host/attachedInterface.js';
import { tagInterfaceArgv } from '../../../../engine/paths.js';
import { runChecked, runCommand } from '../../../../engine/process/run.js';
import { DEFAULT_ZEPHYR_READY_TIMEOUT_S } from '../../../../engine/zephyr/banner.js';
import type {
  LabContext,
  NodeConsole,
  NodeInstance,
  NodeKind,
} from '../../../../engine/nodes/types.js';
import { NodeBase } from '../../../../engine/nodes/types.js';
import {
  HOST_ROOTS,
  detectSerial,
  isCharDevice,
  resolveInterface,
  type UsbNetInterface,
} from './detect.js';
import { loadSerialPort, SerialConsole } from './serialConsole.js';
import { openTap } from '@netweave/tap';

/** The port of a board node: its USB network interface. */
const PORT = 'usb0';
/** In the machine's namespace: the lab's bridge for board number i is BRIDGE_PREFIX + lab id + i. */
const BRIDGE_PREFIX = 'nwb';
/** In the machine's namespace: the engine's TAP for board number i. */
const ENGINE_TAP_PREFIX = 'nwt';
/** Longest console tail kept for matching a ready pattern across chunk boundaries. */
const READY_LINE_CHARS = 4096;

/** What the machine has for one board node: its interface and its console (if any). */
export interface BoardResources {
  iface: UsbNetInterface;
  serial?: string;
}

/** The sentence that refuses a board in an isolated lab. */
export function isolatedRefusal(name: string): string {
  return `board node "${name}" needs network mode "host": its USB network interface lives in the machine's own network namespace, which an isolated lab cannot touch; run the lab as root or with CAP_NET_ADMIN with \`netweave up FILE --network host\` (or "network: host" in the file)`;
}

/** Finds the board's interface and console; rejects with one sentence when it cannot. */
export function resolveBoard(name: string, spec: BoardNodeSpec): BoardResources {
  const roots = HOST_ROOTS;
  const found = resolveInterface(name, spec.interface, roots);
  if (!found.ok) throw new EngineError('bad-request', found.message);
  const iface = found.value;
  if (spec.serial === BOARD_NO_SERIAL) return { iface };
  if (spec.serial !== undefined) {
    if (!isCharDevice(spec.serial)) {
      throw new EngineError(
        'bad-request',
        `board node "${name}": serial console ${spec.serial} is not there (or is not a tty); plug the board in, correct "serial:", or write "serial: none"`,
      );
    }
    return { iface, serial: spec.serial };
  }
  const serial = detectSerial(roots, iface.usbDevice);
  return { iface, ...(serial !== undefined ? { serial } : {}) };
}

/** A running board node. */
export class BoardNode extends NodeBase<BoardNodeSpec> implements NodeInstance {
  readonly kind = 'board';
  private res: BoardResources | undefined;
  private fabricPort: TapPort | undefined;
  /** The interface's state before the lab took it; set while it is a port of the lab's bridge. */
  private borrowed: InterfaceSnapshot | undefined;
  private serial: SerialConsole | undefined;
  private readyWait: Promise<void> | undefined;
  private stopping = false;
  private bridgeMade = false;
  private readonly bridge: string;
  private readonly tap: string;

  constructor(name: string, spec: BoardNodeSpec, ctx: LabContext) {
    super(name, spec, ctx);
    const boards = Object.entries(ctx.topology.nodes)
      .filter(([, s]) => s.kind === 'board')
      .map(([n]) => n);
    const index = Math.max(0, boards.indexOf(name));
    this.bridge = `${BRIDGE_PREFIX}${ctx.labId}${index}`;
    this.tap = `${ENGINE_TAP_PREFIX}${ctx.labId}${index}`;
  }

  private get resources(): BoardResources {
    if (!this.res) throw new EngineError('not-running', `node "${this.name}" is not created`);
    return this.res;
  }

  create(): Promise<void> {
    this.res = resolveBoard(this.name, this.spec);
    return Promise.resolve();
  }

  /** Tags an interface the lab created in the machine's namespace and keeps it off its IP stack. */
  private async tagInterface(ifname: string): Promise<void> {
    await runChecked(tagInterfaceArgv(ifname, this.ctx.labId, this.name));
    // The lab's plumbing lives in the machine's namespace and must stay out of its IP stack:
    // no IPv6 (no link-local, RS, MLD) and no ARP, or the bridge would answer the board's ARP
    // for any address the machine has (Linux answers for all of them on every interface) and
    // take frames meant for a node of the lab.
    await runChecked(['ip', 'link', 'set', 'dev', ifname, 'addrgenmode', 'none', 'arp', 'off']);
    writeDisableIpv6(ifname, '1');
  }

  async port(name: string): Promise<Port> {
    if (name !== PORT) {
      throw new EngineError(
        'bad-request',
        `board node "${this.name}" has no port "${name}"; its one port is ${PORT}`,
      );
    }
    if (this.fabricPort) return this.fabricPort;
    this.ctx.journal.willCreate({ type: 'interface', ref: this.bridge });
    this.bridgeMade = true;
    // forward_delay 0: without STP the ports forward at once instead of after 15 s of learning.
    await runChecked([
      'ip',
      'link',
      'add',
      'name',
      this.bridge,
      'type',
      'bridge',
      'forward_delay',
      '0',
    ]);
    await this.tagInterface(this.bridge);
    // The engine's TAP: non-persistent, it disappears when the engine closes its fd.
    this.ctx.journal.willCreate({ type: 'interface', ref: this.tap });
    const port = new TapPort(`${this.name}:${PORT}`, openTap(this.tap));
    this.fabricPort = port;
    this.ctx.fabric.addPort(port);
    await this.tagInterface(this.tap);
    await runChecked(['ip', 'link', 'set', 'dev', this.tap, 'master', this.bridge]);
    for (const dev of [this.tap, this.bridge]) {
      await runChecked(['ip', 'link', 'set', 'dev', dev, 'up']);
    }
    await this.attach();
    return port;
  }

  /** Takes the board's interface into the lab's bridge, its former state journaled first. */
  private async attach(): Promise<void> {
    if (this.borrowed || !this.fabricPort) return;
    const ifname = this.resources.iface.name;
    const snap = await snapshotInterface(ifname);
    this.ctx.journal.willCreate({ type: 'attached-interface', ref: ifname, restore: snap });
    this.borrowed = snap;
    await quietInterface(ifname);
    await runChecked(['ip', 'link', 'set', 'dev', ifname, 'master', this.bridge]);
    await runChecked(['ip', 'link', 'set', 'dev', ifname, 'up']);
  }

  /** Gives the board's interface back as it was before the lab took it. */
  private async release(): Promise<void> {
    const snap = this.borrowed;
    if (!snap || !this.res) return;
    const ifname = this.res.iface.name;
    // An interface that is gone (unplugged) has nothing to give back. When restoring throws,
    // the journal entry stays, so that `netweave down` tries again.
    await restoreInterface(ifname, snap);
    this.borrowed = undefined;
    this.ctx.journal.didRemove({ type: 'attached-interface', ref: ifname });
  }

  wire(): Promise<void> {
    // A board with no link keeps its interface: only a link borrows it (through port()).
    return Promise.resolve();
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.setState('starting');
    await this.attach();
    this.fabricPort?.setUp(true);
    const path = this.resources.serial;
    if (path === undefined) return;
    let serial: SerialConsole;
    try {
      serial = await SerialConsole.open(path, this.spec.baud);
    } catch (err) {
      if (err instanceof EngineError) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      throw new EngineError(
        'bad-request',
        `board node "${this.name}": cannot open serial console ${path} (${detail}); close any program that holds it (screen, minicom, west espressif monitor) or write "serial: none"`,
      );
    }
    this.serial = serial;
    serial.onData((d) => this.ctx.consoleData(this.name, d));
    serial.onDidDisappear(() => {
      if (this.serial !== serial) return;
      this.serial = undefined;
      if (this.stopping) return;
      this.setState(
        'failed',
        `the serial console ${path} of board "${this.name}" disappeared (the board was unplugged or reset its USB); plug it back in and start the lab again`,
      );
    });
    this.readyWait = this.waitReady(serial);
    // Observed by ready(); a failure before then must not be an unhandled rejection.
    this.readyWait.catch(() => undefined);
  }

  /** Resolves when the console shows the ready pattern (at once without one). */
  private waitReady(serial: SerialConsole): Promise<void> {
    const pattern = this.spec.ready?.pattern;
    if (pattern === undefined) return Promise.resolve();
    const re = new RegExp(pattern);
    const timeoutS = this.spec.ready?.timeout ?? DEFAULT_ZEPHYR_READY_TIMEOUT_S;
    return new Promise<void>((resolve, reject) => {
      let line = '';
      const done = (err?: Error): void => {
        clearTimeout(timer);
        void data.dispose();
        void gone.dispose();
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        done(
          new EngineError(
            'internal',
            `board "${this.name}" printed no line matching /${pattern}/ on ${serial.path} within ${timeoutS} s; reset the board, or correct or remove "ready.pattern"`,
          ),
        );
      }, timeoutS * 1000);
      const data = serial.onData((text) => {
        const lines = (line + text).split(/\r?\n|\r/);
        line = (lines.pop() ?? '').slice(-READY_LINE_CHARS);
        if ([...lines, line].some((l) => re.test(l))) done();
      });
      const gone = serial.onDidDisappear(() => {
        done(
          new EngineError(
            'internal',
            `the serial console ${serial.path} of board "${this.name}" disappeared before the board was ready`,
          ),
        );
      });
    });
  }

  async ready(): Promise<void> {
    await (this.readyWait ?? Promise.resolve());
    this.setState('ready');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.setState('stopping');
    this.serial?.dispose();
    this.serial = undefined;
    this.fabricPort?.setUp(false);
    await this.release();
    this.setState('stopped');
  }

  console(): NodeConsole | undefined {
    const serial = this.serial;
    if (!serial) return undefined;
    return {
      write: (d) => serial.write(d),
      // A tty has no window size to tell: the board's shell formats for whatever it assumes.
      resize: () => undefined,
      scrollback: () => serial.scrollback(),
    };
  }

  status(): NodeStatus {
    const res = this.res;
    return this.statusOf({
      hasConsole: this.serial !== undefined,
      ports: this.fabricPort ? [this.fabricPort.status()] : [],
      detail: res && `${res.iface.name} (${res.iface.driver}), console ${res.serial ?? 'none'}`,
    });
  }

  async dispose(): Promise<void> {
    this.stopping = true;
    this.serial?.dispose();
    this.serial = undefined;
    try {
      await this.release();
    } finally {
      if (this.fabricPort) {
        this.ctx.fabric.removePort(this.fabricPort);
        this.fabricPort = undefined;
        this.ctx.journal.didRemove({ type: 'interface', ref: this.tap });
      }
      if (this.bridgeMade) {
        this.bridgeMade = false;
        const r = await runCommand(['ip', 'link', 'del', 'dev', this.bridge]);
        if (r.exitCode === 0 || /Cannot find device/.test(r.stderr)) {
          this.ctx.journal.didRemove({ type: 'interface', ref: this.bridge });
        }
      }
    }
  }
}

/** The `board` kind. */
export const boardKind: NodeKind<BoardNodeSpec> = {
  instantiate: (name, spec, ctx) => new BoardNode(name, spec, ctx),
  preflight: async (name, spec, ctx) => {
    if (ctx.mode !== 'host') throw new EngineError('permission', isolatedRefusal(name));
    const res = resolveBoard(name, spec);
    if (res.serial !== undefined) await loadSerialPort();
  },
};
