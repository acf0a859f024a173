// The engine's contract: every command (request/response) and event (pushed stream) that the
// CLI, the desktop app and web mode use. Transports (in-process, unix socket, Electron IPC,
// WebSocket) are typed against this file and nothing else.
import type { Disposable } from './lifecycle.js';
import type { DropCause, LinkType, NetworkMode } from './kinds.js';

/** Lifecycle of a whole lab. */
export type LabState = 'deploying' | 'running' | 'destroying' | 'stopped' | 'failed';

/** Lifecycle of one node. */
export type NodeState = 'stopped' | 'starting' | 'ready' | 'failed' | 'restarting' | 'stopping';

/** The stages of a deploy, in order. */
export type DeployStage = 'create' | 'wire' | 'start' | 'ready';

/** Every deploy stage, in the order the engine runs them. */
export const DEPLOY_STAGES: readonly DeployStage[] = ['create', 'wire', 'start', 'ready'];

/** How a supervised process ended. */
export interface ExitInfo {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  /** Signal name (e.g. "SIGKILL"), or null for a normal exit. */
  signal: string | null;
  /** The last lines the process printed on its console. */
  lastLines: string[];
}

/** One port of a node as the engine sees it. */
export interface PortStatus {
  /** "node:port". */
  id: string;
  linkType: LinkType;
  up: boolean;
  mac?: string;
  /** Id of the link the port belongs to, if any. */
  link?: string;
}

/** One node as the engine sees it. */
export interface NodeStatus {
  name: string;
  kind: string;
  state: NodeState;
  /** Why the node is failed or restarting, in one sentence. */
  reason?: string;
  pid?: number;
  /** True when the node has a console that can be attached to. */
  hasConsole: boolean;
  ports: PortStatus[];
  exit?: ExitInfo;
}

/** One link as the engine sees it. */
export interface LinkStatus {
  id: string;
  kind: string;
  linkType: LinkType;
  /** The two endpoints as written in the topology ("node:port" or a switch name). */
  endpoints: [string, string];
  /** The fabric ports that carry this link's frames ("node:port"). */
  ports: string[];
}

/** A running (or failed) lab. */
export interface LabStatus {
  name: string;
  /** Short id used to tag every host object of the lab. */
  id: string;
  network: NetworkMode;
  state: LabState;
  reason?: string;
  file?: string;
  runtimeDir: string;
  logDir: string;
  enginePid: number;
  startedAt: string;
  nodes: NodeStatus[];
  links: LinkStatus[];
}

/** Frames, bytes and drops in one direction of one port. */
export interface DirectionCounters {
  frames: number;
  bytes: number;
  drops: Record<DropCause, number>;
}

/**
 * Counters of one fabric port. `rx` counts frames the fabric received from the device behind
 * the port; `tx` counts frames the fabric delivered to that device.
 */
export interface PortCounters {
  port: string;
  linkType: LinkType;
  rx: DirectionCounters;
  tx: DirectionCounters;
}

/** A snapshot of every port's counters, taken at `time` (ms since the epoch). */
export interface CounterSnapshot {
  time: number;
  ports: PortCounters[];
}

/** Result of running a command inside a node. */
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** A problem found in a topology file, located in the file. */
export interface TopologyProblem {
  file: string;
  line: number;
  column: number;
  /** Path of the key in the document, e.g. ["nodes", "h1", "kind"]. */
  path: (string | number)[];
  message: string;
  /** The valid choices, when the value must be one of a known set. */
  choices?: string[];
}

/** Progress of a deploy, pushed while `up` runs. */
export interface DeployProgress {
  stage: DeployStage;
  /** 1-based index of the stage and the number of stages. */
  step: number;
  steps: number;
  node?: string;
  message: string;
}

/** Commands: name -> params and result. */
export interface EngineCommands {
  status: { params: Record<string, never>; result: LabStatus };
  down: { params: Record<string, never>; result: { removed: number } };
  exec: {
    params: { node: string; argv: string[]; stdin?: string; timeoutMs?: number };
    result: ExecResult;
  };
  consoleWrite: { params: { node: string; data: string }; result: Record<string, never> };
  consoleResize: {
    params: { node: string; cols: number; rows: number };
    result: Record<string, never>;
  };
  consoleScrollback: { params: { node: string }; result: { data: string } };
  nodeStart: { params: { node: string }; result: NodeStatus };
  nodeStop: { params: { node: string }; result: NodeStatus };
  stats: { params: Record<string, never>; result: CounterSnapshot };
  captureStart: {
    params: { target: string };
    result: { captureId: string; linkType: LinkType; ports: string[] };
  };
  captureStop: { params: { captureId: string }; result: { frames: number } };
}

/** Events: name -> payload. */
export interface EngineEvents {
  labState: { state: LabState; reason?: string };
  deployProgress: DeployProgress;
  nodeState: { node: string; state: NodeState; reason?: string; exit?: ExitInfo };
  consoleData: { node: string; data: string };
  counters: CounterSnapshot;
  /** A chunk of a live pcapng stream, base64-encoded. */
  captureData: { captureId: string; data: string };
}

export type CommandName = keyof EngineCommands;
export type EventName = keyof EngineEvents;
export type CommandParams<K extends CommandName> = EngineCommands[K]['params'];
export type CommandResult<K extends CommandName> = EngineCommands[K]['result'];

/** The object every transport implements: the renderer and the CLI talk only to this. */
export interface EngineClient {
  call<K extends CommandName>(cmd: K, params: CommandParams<K>): Promise<CommandResult<K>>;
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): Disposable;
}

/** Error codes a command can fail with; the message is one sentence naming problem and fix. */
export type EngineErrorCode =
  | 'bad-request'
  | 'no-such-node'
  | 'no-such-target'
  | 'not-running'
  | 'topology'
  | 'permission'
  | 'missing-binary'
  | 'busy'
  | 'internal';

/** A user-facing engine error: one clear sentence, never a stack trace. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly problems?: TopologyProblem[],
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
