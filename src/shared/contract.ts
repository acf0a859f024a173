// The engine's contract: every command (request/response) and event (pushed stream) that the
// CLI, the desktop app and web mode use. Transports (in-process, unix socket, Electron IPC,
// WebSocket) are typed against this file and nothing else.
import type { ImpairmentStatus } from './impairment.js';
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
  /** Host forwards of a QEMU user-network (slirp) port, e.g. "tcp:8080-80". */
  forwards?: string[];
  /** Why the port's device failed (the port is down for good), in one sentence. */
  failure?: string;
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
  /**
   * One line about what the node runs with, worth seeing at a glance: a radio medium's delivery
   * model and seed, a board's detected interface and console.
   */
  detail?: string;
}

/** One link as the engine sees it. */
export interface LinkStatus {
  id: string;
  kind: string;
  linkType: LinkType;
  /**
   * The endpoints as written in the topology ("node:port" or a switch name): two, or one for
   * a link whose far end is not a node (slirp).
   */
  endpoints: [string, string] | [string];
  /** The fabric ports that carry this link's frames ("node:port"). */
  ports: string[];
  /** The impairment in force on each direction ("a->b": first endpoint to second), if any. */
  impair?: Partial<Record<'a->b' | 'b->a', ImpairmentStatus>>;
}

/** One firing of a scheduled fault. */
export interface FaultEvent {
  /** When it ran, in ms after the lab became ready. */
  atMs: number;
  /** What ran: the fault's action, or its undo after `for`. */
  action: string;
  ok: boolean;
  /** Why it failed, in one sentence. */
  error?: string;
}

/** One fault of the lab's timeline (`faults:` in the file). */
export interface FaultStatus {
  /** 1-based, in file order. */
  index: number;
  /** The fault as a line, e.g. "at 5s for 2s: link h1:eth0--sw down". */
  fault: string;
  /** What it did so far (the latest firings). */
  fired: FaultEvent[];
  /** When it fires next, in ms after the lab became ready; absent when it will not. */
  nextMs?: number;
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
  /** The fault timeline, when the file has one. */
  faults?: FaultStatus[];
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
  /**
   * Kind-specific event counts: a serial codec's errors ('bad-escape', 'oversize',
   * 'between-frames', 'malformed'), a radio medium's 'lost' frames.
   */
  extra?: Record<string, number>;
  /** Why the port's device failed (the port is down for good), in one sentence. */
  failure?: string;
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
  /**
   * What the command wrote, base64 (`encoding`): a command may write any bytes, and JSON would
   * mangle invalid UTF-8 and take six bytes for every NUL.
   */
  stdout: string;
  stderr: string;
  encoding: 'base64';
  /** A stream passed the engine's limit (MAX_CAPTURE_BYTES, 16 MiB) and was cut there. */
  truncated?: boolean;
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
  /** `interrupted`: the lab was still starting; its deploy was stopped. */
  down: { params: Record<string, never>; result: { removed: number; interrupted?: boolean } };
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
  /** Resets a node as its reset button would (QEMU: QMP system_reset); the node boots again. */
  nodeReset: { params: { node: string }; result: NodeStatus };
  stats: { params: Record<string, never>; result: CounterSnapshot };
  /**
   * Starts a capture of a link or port. `wireFrames`: a super-frame (a TSO frame of up to 64 KB
   * from a host with offloads) is recorded as the wire frames it stands for instead of as the
   * node sent it.
   */
  captureStart: {
    params: { target: string; wireFrames?: boolean };
    result: { captureId: string; linkType: LinkType; ports: string[] };
  };
  /**
   * Stops a capture: the packets it recorded, and those it left out because its reader was
   * not keeping up (the stream stays valid; those packets are missing from it).
   */
  captureStop: { params: { captureId: string }; result: { frames: number; dropped: number } };
  /**
   * Sets a port's link state ("node:port"): down stops its frames in the fabric and, for a
   * QEMU NIC, drops the guest's carrier (QMP set_link) so the guest sees the cable pulled.
   */
  linkSet: { params: { port: string; up: boolean }; result: PortStatus };
  /**
   * Sets or clears a link's impairment at once, on one direction ("a->b" is from its first
   * endpoint to its second) or both: `spec` in netem's words ("delay=20ms loss=1%"), or
   * `clear`. Answers the link with what is now in force.
   */
  linkImpair: {
    params: { link: string; dir?: 'a->b' | 'b->a'; spec?: string; clear?: boolean };
    result: LinkStatus;
  };
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
  /** A fault of the timeline ran (or its undo), with when and how it went. */
  faultFired: FaultFiring;
}

/** One firing of a fault of the lab's timeline. */
export interface FaultFiring {
  /** 1-based, in file order (FaultStatus.index). */
  index: number;
  /** The fault as a line (FaultStatus.fault). */
  fault: string;
  event: FaultEvent;
}

export type CommandName = keyof EngineCommands;
export type EventName = keyof EngineEvents;
export type CommandParams<K extends CommandName> = EngineCommands[K]['params'];
export type CommandResult<K extends CommandName> = EngineCommands[K]['result'];

/** The engine's command table: one typed handler per command (checked params in, result out). */
export type EngineHandlers = {
  [K in CommandName]: (params: CommandParams<K>) => Promise<CommandResult<K>>;
};

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

// ---------------------------------------------------------------------------------------------
// The app contract: one level above a lab. The app service manages files and labs for a UI
// (the desktop app, web mode) and forwards every lab's commands and events with the lab's name.
// EngineCommands above stay the per-lab contract; this map is what the renderer talks to.

/** Every engine command name, at run time (the preload and transports are built from it). */
export const ENGINE_COMMAND_NAMES = Object.keys({
  status: true,
  down: true,
  exec: true,
  consoleWrite: true,
  consoleResize: true,
  consoleScrollback: true,
  nodeStart: true,
  nodeStop: true,
  nodeReset: true,
  stats: true,
  captureStart: true,
  captureStop: true,
  linkSet: true,
  linkImpair: true,
} satisfies Record<CommandName, true>) as CommandName[];

/** Every engine event name, at run time (the engine socket subscribes to no other). */
export const ENGINE_EVENT_NAMES = Object.keys({
  labState: true,
  deployProgress: true,
  nodeState: true,
  consoleData: true,
  counters: true,
  captureData: true,
  faultFired: true,
} satisfies Record<EventName, true>) as EventName[];

/** The app-level name of a forwarded lab command, e.g. "status" -> "labStatus". */
export type LabCommandName<K extends CommandName = CommandName> = `lab${Capitalize<K>}`;

/** The app-level name of a forwarded lab command, at run time. */
export function labCommandName<K extends CommandName>(cmd: K): LabCommandName<K> {
  return `lab${cmd.charAt(0).toUpperCase()}${cmd.slice(1)}` as LabCommandName<K>;
}

/** Params of an engine command with the lab's name added. */
export type WithLab<P> = P extends Record<string, never> ? { lab: string } : P & { lab: string };

/** Every engine command, forwarded with the name of the lab it is for. */
export type LabCommands = {
  [K in CommandName as LabCommandName<K>]: {
    params: WithLab<EngineCommands[K]['params']>;
    result: EngineCommands[K]['result'];
  };
};

/** The lab events forwarded to a UI: raw console data is not (see consoleOutput). */
export type ForwardedEventName = Exclude<EventName, 'consoleData'>;

/** The app-level name of a forwarded lab event, e.g. "counters" -> "labCounters". */
export type LabEventName<E extends ForwardedEventName = ForwardedEventName> = `lab${Capitalize<E>}`;

/** Every forwarded lab event, with the name of the lab it came from. */
export type LabEvents = {
  [E in ForwardedEventName as LabEventName<E>]: EngineEvents[E] & { lab: string };
};

/** A lab as the app service knows it. */
export interface LabSummary {
  name: string;
  state: LabState | 'launching';
  reason?: string;
  /** The topology file it was launched from. */
  file?: string;
  /** Its engine is gone and its leftovers remain (state 'failed'); `labStop` removes them. */
  stale?: true;
}

/** A bundled example lab. */
export interface ExampleFile {
  /** The lab name in the file. */
  name: string;
  file: string;
  /** The file's first comment line, if any. */
  description: string;
}

/** A topology file as read from disk, byte-exact, with its validation and its layout. */
export interface OpenedFile {
  file: string;
  /** The exact text of the file. */
  text: string;
  /** Problems of the topology, empty when it is valid; formatted like the CLI's. */
  problems: TopologyProblem[];
  /** The layout sidecar's node positions, or null when there is no (valid) sidecar. */
  layout: { version: 1; nodes: Record<string, { x: number; y: number }> } | null;
  /** Problems of the sidecar when it exists but is malformed. */
  layoutProblems: TopologyProblem[];
}

/** What the app service and its transport offer. */
export interface AppInfo {
  version: string;
  /** Which transport carries the contract. */
  transport: 'in-process' | 'electron' | 'websocket';
  /** True when the transport can show native open/save dialogs (chooseFile). */
  nativeDialogs: boolean;
  /** True when a console can be popped out into its own window by the transport. */
  popOut: boolean;
  /** Folder that new files are suggested in. */
  homeDir: string;
  /** True when Zephyr build directories can be imported. */
  zephyrImport: boolean;
}

/** How a capture is delivered. */
export type CaptureSink = 'wireshark' | 'file' | 'stream';

/** App-level commands (besides the forwarded lab commands). */
export interface AppOwnCommands {
  appInfo: { params: Record<string, never>; result: AppInfo };
  /** Validates topology text; the same problems the CLI prints for the same text. */
  validateText: {
    params: { text: string; file: string };
    result: { ok: boolean; problems: TopologyProblem[] };
  };
  listExamples: { params: Record<string, never>; result: { examples: ExampleFile[] } };
  openFile: { params: { file: string }; result: OpenedFile };
  /**
   * Writes the topology text exactly as given and the layout sidecar (left untouched when the
   * positions did not change). The text is written even when it has problems.
   */
  saveFile: {
    params: {
      file: string;
      text: string;
      layout: { version: 1; nodes: Record<string, { x: number; y: number }> } | null;
    };
    result: { file: string; problems: TopologyProblem[] };
  };
  recentFiles: { params: Record<string, never>; result: { files: string[] } };
  /** Asks for a file with a native dialog; null when cancelled. Only with nativeDialogs. */
  chooseFile: {
    params: { mode: 'open' | 'save' | 'directory'; defaultPath?: string };
    result: { file: string | null };
  };
  labList: { params: Record<string, never>; result: { labs: LabSummary[] } };
  /**
   * Launches the lab of a saved topology file (`network` overrides the file's); progress and
   * states arrive as lab events, notices (leftovers of an earlier run removed) as labNotice.
   */
  labLaunch: {
    params: { file: string; network?: NetworkMode };
    result: { lab: string; network: NetworkMode; logDir: string };
  };
  /** Connects to a lab that is already running (e.g. started with `netweave up`). */
  labAttach: { params: { lab: string }; result: LabSummary };
  /**
   * Takes a lab down and removes everything it left: how many host objects went (0: there was
   * no such lab), and whether it was still starting.
   */
  labStop: { params: { lab: string }; result: { removed: number; interrupted?: boolean } };
  /**
   * Starts delivering a node's console to this viewer: returns the scrollback and the offset
   * (characters of console output seen so far) it ends at; consoleOutput batches follow.
   */
  consoleAttach: {
    params: { lab: string; node: string };
    result: { viewer: string; data: string; offset: number };
  };
  /** Acknowledges that a viewer has shown `chars` characters (flow control). */
  consoleAck: { params: { viewer: string; chars: number }; result: Record<string, never> };
  consoleDetach: { params: { viewer: string }; result: Record<string, never> };
  /** Opens a console in its own window (Electron only; see AppInfo.popOut). */
  consolePopOut: { params: { lab: string; node: string }; result: Record<string, never> };
  /** Starts a capture delivered to Wireshark (when installed), a pcapng file, or as events. */
  captureOpen: {
    params: {
      lab: string;
      target: string;
      sink: CaptureSink;
      file?: string;
      /** See the lab command captureStart. */
      wireFrames?: boolean;
    };
    result: {
      captureId: string;
      sink: CaptureSink;
      file?: string;
      linkType: LinkType;
      /** The fabric ports captured ("node:port"). */
      ports: string[];
    };
  };
  /** Stops a capture; see the lab command captureStop (-1 frames: the lab was gone). */
  captureClose: {
    params: { lab: string; captureId: string };
    result: { frames: number; dropped: number };
  };
  /**
   * Imports Zephyr build directories into the document: returns `text` with the imported
   * nodes and links merged in (renamed when taken), the names added, and notes for the user.
   */
  importZephyr: {
    params: { buildDirs: string[]; text: string };
    result: { text: string; nodes: string[]; notes: string[] };
  };
  /** Restarts the service host after it crashed (Electron). */
  serviceRestart: { params: Record<string, never>; result: Record<string, never> };
}

/** Every app command: the service's own and the forwarded lab commands. */
export type AppCommands = AppOwnCommands & LabCommands;

/** App-level events (besides the forwarded lab events). */
export interface AppOwnEvents {
  /** The list of labs or the state of one changed. */
  labs: { labs: LabSummary[] };
  /** A batch of a node's console output for one viewer; `offset` is where it starts. */
  consoleOutput: { viewer: string; lab: string; node: string; data: string; offset: number };
  /** One line worth telling the user about a lab (e.g. leftovers of an earlier run removed). */
  labNotice: { lab: string; message: string };
  /** The service host (the process running the engine side) went away or came back. */
  serviceState: { state: 'running' | 'crashed' | 'disconnected'; reason?: string };
}

/** Every app event. */
export type AppEvents = AppOwnEvents & LabEvents;

/** An app command name. */
export type AppCommandName = keyof AppCommands;
/** An app event name. */
export type AppEventName = keyof AppEvents;
/** Params of an app command. */
export type AppParams<K extends AppCommandName> = AppCommands[K]['params'];
/** Result of an app command. */
export type AppResult<K extends AppCommandName> = AppCommands[K]['result'];

/** Every app command name at run time: the preload exposes exactly these (plus on/off). */
export const APP_COMMAND_NAMES: readonly AppCommandName[] = [
  ...(Object.keys({
    appInfo: true,
    validateText: true,
    listExamples: true,
    openFile: true,
    saveFile: true,
    recentFiles: true,
    chooseFile: true,
    labList: true,
    labLaunch: true,
    labAttach: true,
    labStop: true,
    consoleAttach: true,
    consoleAck: true,
    consoleDetach: true,
    consolePopOut: true,
    captureOpen: true,
    captureClose: true,
    importZephyr: true,
    serviceRestart: true,
  } satisfies Record<keyof AppOwnCommands, true>) as (keyof AppOwnCommands)[]),
  ...ENGINE_COMMAND_NAMES.map(labCommandName),
];

/** Every forwarded engine event name at run time: all but raw console data. */
export const FORWARDED_EVENT_NAMES = ENGINE_EVENT_NAMES.filter(
  (e): e is ForwardedEventName => e !== 'consoleData',
);

/** The app-level name of a forwarded lab event, at run time. */
export function labEventName<E extends ForwardedEventName>(event: E): LabEventName<E> {
  return `lab${event.charAt(0).toUpperCase()}${event.slice(1)}` as LabEventName<E>;
}

/** Every app event name at run time. */
export const APP_EVENT_NAMES: readonly AppEventName[] = [
  'labs',
  'labNotice',
  'consoleOutput',
  'serviceState',
  ...FORWARDED_EVENT_NAMES.map(labEventName),
];

/** The object the renderer talks to; every transport (in-process, IPC, WebSocket) implements it. */
export interface AppClient {
  call<K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>>;
  on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): Disposable;
}

/**
 * The object the Electron preload exposes as `window.netweave`: one method per app command,
 * plus on/off for events. Nothing else crosses the bridge.
 */
export type PreloadApi = {
  [K in AppCommandName]: (params: AppParams<K>) => Promise<CallEnvelope<AppResult<K>>>;
} & {
  /** Subscribes to an event; returns an id for off(). */
  on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): number;
  off(subscription: number): void;
};

/** The serialisable form of a failed command (transports rebuild an EngineError from it). */
export interface WireError {
  code: EngineErrorCode;
  message: string;
  problems?: TopologyProblem[];
}

/**
 * What crosses the Electron bridge for one call: its result, or the error's wire form. The
 * bridge passes it through as data (Electron keeps only the message of a thrown error), and the
 * renderer's client rebuilds the EngineError with its code and problems.
 */
export type CallEnvelope<T = unknown> = { ok: true; result: T } | ({ ok: false } & WireError);

/** Converts any thrown value to its wire form (an EngineError keeps its code and problems). */
export function toWireError(err: unknown): WireError {
  if (err instanceof EngineError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.problems ? { problems: err.problems } : {}),
    };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
