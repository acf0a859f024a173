// What every node kind implements, and what the lab gives it.
import type { Disposable } from '../../shared/lifecycle.js';
import type {
  ExecResult,
  ExitInfo,
  NodeState,
  NodeStatus,
  PortStatus,
} from '../../shared/contract.js';
import type { LinkType, NetworkMode } from '../../shared/kinds.js';
import type { Impairment } from '../../shared/impairment.js';
import type { Topology } from '../../shared/topology/index.js';
import type { SlirpLinkSpec } from '../../shared/topology/links/index.js';
import type { Fabric, FrameCodec, Port } from '../fabric/index.js';
import type { Journal } from '../host/journal.js';
import type { SupervisedProcess } from '../process/supervisedProcess.js';
import type { NetnsManager } from '../host/netns.js';

/** Everything a node needs from its lab. */
export interface LabContext {
  labName: string;
  labId: string;
  mode: NetworkMode;
  labDir: string;
  logDir: string;
  journal: Journal;
  netns: NetnsManager;
  fabric: Fabric;
  /** Environment every process of the lab gets (carries the lab's ownership tag). */
  env: Record<string, string>;
  /** Reports a node's state change. */
  nodeState(node: string, state: NodeState, reason?: string, exit?: ExitInfo): void;
  /** Reports console output of a node. */
  consoleData(node: string, data: string): void;
  /** Folder of the topology file: relative paths in node settings are resolved against it. */
  topologyDir: string;
  /** The topology file, when the lab came from one (its layout sidecar holds node positions). */
  topologyFile?: string;
  /** The whole validated topology (for lab-wide facts such as MAC allocation). */
  topology: Topology;
}

/** Options of a command run inside a node. */
export interface ExecOptions {
  stdin?: string;
  timeoutMs?: number;
}

/** A node's interactive console. */
export interface NodeConsole {
  write(data: string): void;
  resize(cols: number, rows: number): void;
  scrollback(): string;
}

/** What a node's status is made of (nodeStatus() says it the same way for every kind). */
export interface NodeStatusParts {
  state: NodeState;
  reason?: string | undefined;
  /** The node's process: its pid, and its exit while failed or restarting. */
  proc?: MainProcess | undefined;
  /** Whether the node has a console now (default: while it has a process). */
  hasConsole?: boolean;
  ports: PortStatus[];
  detail?: string | undefined;
}

/** A node's status, as every kind reports it. */
export function nodeStatus(
  node: { readonly name: string; readonly kind: string },
  parts: NodeStatusParts,
): NodeStatus {
  const { state, reason, proc, ports, detail } = parts;
  const pid = proc?.pid;
  const exit = state === 'failed' || state === 'restarting' ? proc?.lastExit : undefined;
  return {
    name: node.name,
    kind: node.kind,
    state,
    ...(reason !== undefined ? { reason } : {}),
    ...(pid !== undefined ? { pid } : {}),
    hasConsole: parts.hasConsole ?? proc !== undefined,
    ports,
    ...(exit ? { exit } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** A node's main process, as its status shows it (pid, and exit while failed). */
export type MainProcess = {
  readonly pid: number | undefined;
  readonly lastExit?: ExitInfo | undefined;
};

/** What a node kind with a lifecycle of its own has: name, spec and lab, its state and why. */
export abstract class NodeBase<Spec> {
  abstract readonly kind: string;
  /** What the node offers links besides its ports: none unless the kind says so. */
  readonly abilities: NodeAbilities = {};
  protected state: NodeState = 'stopped';
  protected reason: string | undefined;

  constructor(
    readonly name: string,
    protected readonly spec: Spec,
    protected readonly ctx: LabContext,
  ) {}

  /** The node's main process, if it has one (its exit goes with a failed state). */
  protected mainProcess(): MainProcess | undefined {
    return undefined;
  }

  protected setState(state: NodeState, reason?: string): void {
    this.state = state;
    this.reason = reason;
    const exit = state === 'failed' ? this.mainProcess()?.lastExit : undefined;
    this.ctx.nodeState(this.name, state, reason, exit);
  }

  /** Its status: state, reason and main process from here; ports and the rest from the kind. */
  protected statusOf(parts: Omit<NodeStatusParts, 'state' | 'reason' | 'proc'>): NodeStatus {
    return nodeStatus(this, {
      ...parts,
      state: this.state,
      reason: this.reason,
      proc: this.mainProcess(),
    });
  }
}

/** A node whose main process is supervised, its console that process's pty (host, qemu). */
export abstract class ProcessNodeBase<Spec> extends NodeBase<Spec> {
  /** The supervised process while the node has one. */
  protected abstract supervised(): SupervisedProcess | undefined;

  console(): NodeConsole | undefined {
    const proc = this.supervised();
    if (!proc) return undefined;
    return {
      write: (d) => proc.write(d),
      resize: (c, r) => proc.resize(c, r),
      scrollback: () => proc.scrollback(),
    };
  }

  protected override mainProcess(): MainProcess | undefined {
    return this.supervised();
  }
}

/** A node that links join with a port of theirs, written as its bare name (switch, medium). */
export interface SegmentAbility {
  /** What it carries: only ports of this link type can join it. */
  readonly linkType: LinkType;
  attach(port: Port): Disposable;
}

/** How a link asks a node for one of its serial ports. */
export interface SerialPortOptions {
  /** Id of the link that claims the port. */
  link: string;
  linkType: LinkType;
  codec: FrameCodec;
  /** Largest frame in the fabric. */
  mtu?: number;
}

/** Serial ports that links claim with their own framing (SLIP, PPP, UART pipe). */
export interface SerialAbility {
  serialPort(name: string, options: SerialPortOptions): Promise<Port>;
}

/** NICs an emulator can put on its own user network (the slirp link). */
export interface UserNetworkAbility {
  useUserNetwork(nic: string, link: string, spec: SlirpLinkSpec): void;
}

/** Interfaces that can carry raw IP packets (a TUN) instead of Ethernet frames. */
export interface IpPortAbility {
  /** The fabric port of interface `name` as a TUN with this MTU. */
  ipPort(name: string, mtu: number): Promise<Port>;
}

/** A medium whose sender -> receiver pairs can be impaired (faults on a radio-154 node). */
export interface ImpairableMediumAbility {
  /** Impairs one pair, or every pair without one; undefined lifts it (every one without a pair). */
  setImpairment(
    pair: { from: string; to: string } | undefined,
    impairment: Impairment | undefined,
  ): void;
}

/**
 * What a node offers links besides port(): a link asks for an ability, never for a class or a
 * method by name, so a new kind gets a link by declaring the ability.
 */
export interface NodeAbilities {
  segment?: SegmentAbility;
  serial?: SerialAbility;
  userNetwork?: UserNetworkAbility;
  ipPort?: IpPortAbility;
  impairableMedium?: ImpairableMediumAbility;
}

/** One node of a running lab. Stages are called in order; dispose undoes everything. */
export interface NodeInstance extends Disposable {
  readonly name: string;
  readonly kind: string;
  /** What the node offers links besides its ports (empty for most kinds). */
  readonly abilities: NodeAbilities;
  /** Stage create: namespaces, directories, anything that exists before wiring. */
  create(): Promise<void>;
  /** Stage wire: the fabric port for one of the node's ports, created on first request. */
  port(name: string): Promise<Port>;
  /** Stage wire, after every link is joined: addresses, routes, remaining interfaces. */
  wire(): Promise<void>;
  /** Stage start: processes. */
  start(): Promise<void>;
  /** Stage ready: resolves when the node is usable. */
  ready(): Promise<void>;
  /** Stops the node's processes and takes its ports down (the node stays wired). */
  stop(): Promise<void>;
  /** Current status. */
  status(): NodeStatus;
  /** Runs a command inside the node, if the kind supports it. */
  exec?(argv: string[], opts: ExecOptions): Promise<ExecResult>;
  /** The node's console, if it has one and it is running. */
  console?(): NodeConsole | undefined;
  /**
   * Sets one of the node's ports up or down as a cable would (e.g. QMP set_link for a QEMU
   * NIC); kinds without it get only their fabric port taken down.
   */
  setLink?(port: string, up: boolean): Promise<PortStatus>;
  /** Resets the node as its reset button would, if the kind has one. */
  reset?(): Promise<void>;
}

/** A node kind's engine side: src/kinds/nodes/<kind>/engine, registered in registry.ts. */
export interface NodeKind<Spec = unknown> {
  instantiate(name: string, spec: Spec, ctx: LabContext): NodeInstance;
  /**
   * Checks what the node needs from the machine (binaries, files, free ports) before anything
   * of the lab is created; rejects with an EngineError of one sentence.
   */
  preflight?(name: string, spec: Spec, ctx: LabContext): Promise<void>;
}
