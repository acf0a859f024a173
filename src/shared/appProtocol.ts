// The wire form of the app contract for message transports (WebSocket, the Electron service
// host's IPC channel): calls with ids, results or errors, and pushed events. Pure, so both the
// Node side and the renderer use it.
import {
  APP_EVENT_NAMES,
  EngineError,
  type AppClient,
  type AppCommandName,
  type AppEventName,
  type AppEvents,
  type AppParams,
  type AppResult,
  type WireError,
  toWireError,
} from './contract.js';
import { toDisposable, type Disposable } from './lifecycle.js';

/** A message from a UI to the app service. */
export type AppClientMessage = { t: 'call'; id: number; cmd: AppCommandName; params: unknown };

/** A message from the app service to a UI. */
export type AppServerMessage =
  | { t: 'result'; id: number; result: unknown }
  | ({ t: 'error'; id: number } & WireError)
  | { t: 'event'; event: AppEventName; payload: unknown };

/** True when `value` is a well-formed client message naming a known command. */
export function isAppClientMessage(
  value: unknown,
  commands: readonly string[],
): value is AppClientMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m['t'] === 'call' &&
    typeof m['id'] === 'number' &&
    typeof m['cmd'] === 'string' &&
    commands.includes(m['cmd'])
  );
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * An AppClient over any message channel: `send` delivers a client message, and the owner feeds
 * every server message to receive(). Every event is delivered to every subscriber (the service
 * pushes them all), so subscribing costs no round trip.
 */
export class MessageAppClient implements AppClient, Disposable {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<AppEventName, Set<(p: unknown) => void>>();
  private closedReason: string | undefined;

  constructor(private readonly send: (msg: AppClientMessage) => void) {}

  /** Handles one message from the service. */
  receive(msg: AppServerMessage): void {
    if (msg.t === 'event') {
      this.emit(msg.event, msg.payload);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.t === 'result') p.resolve(msg.result);
    else p.reject(new EngineError(msg.code, msg.message, msg.problems));
  }

  /** Delivers an event to local subscribers (also used for transport-made events). */
  emit(event: AppEventName, payload: unknown): void {
    if (!APP_EVENT_NAMES.includes(event)) return;
    for (const l of [...(this.listeners.get(event) ?? [])]) l(payload);
  }

  /** Fails every pending call and every later one with `reason` until reopen(). */
  close(reason: string): void {
    this.closedReason = reason;
    for (const p of this.pending.values()) p.reject(new EngineError('not-running', reason));
    this.pending.clear();
  }

  /** Accepts calls again after close() (the channel was re-established). */
  reopen(): void {
    this.closedReason = undefined;
  }

  /** Sends a command and waits for its result. */
  call<K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new EngineError('not-running', this.closedReason));
    }
    const id = this.nextId++;
    return new Promise<AppResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as AppResult<K>), reject });
      this.send({ t: 'call', id, cmd, params });
    });
  }

  /** Subscribes to an event. */
  on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): Disposable {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const l = listener as (p: unknown) => void;
    set.add(l);
    return toDisposable(() => {
      set.delete(l);
    });
  }

  dispose(): void {
    this.close('the connection to netweave is closed');
    this.listeners.clear();
  }
}

/**
 * Runs one client message against a service and produces the reply; errors become their wire
 * form (one sentence, never a stack trace).
 */
export async function dispatchAppCall(
  service: AppClient,
  msg: AppClientMessage,
): Promise<AppServerMessage> {
  try {
    const params = (msg.params ?? {}) as AppParams<AppCommandName>;
    const result = await service.call<AppCommandName>(msg.cmd, params);
    return { t: 'result', id: msg.id, result: result ?? {} };
  } catch (err) {
    return { t: 'error', id: msg.id, ...toWireError(err) };
  }
}
