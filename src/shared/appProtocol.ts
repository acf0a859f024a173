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

/**
 * A message from the app service to a UI. An error's id is null when it answers a message that
 * carried no usable id (not JSON, not a call): no pending call matches it.
 */
export type AppServerMessage =
  | { t: 'result'; id: number; result: unknown }
  | ({ t: 'error'; id: number | null } & WireError)
  | { t: 'event'; event: AppEventName; payload: unknown };

/** Longest text of a client's value quoted back in an error message. */
const SHOWN_MAX = 40;

function shown(value: string): string {
  return JSON.stringify(value.length > SHOWN_MAX ? `${value.slice(0, SHOWN_MAX)}…` : value);
}

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

/** What a received value is: a call to dispatch, or the error reply it gets instead. */
export type ParsedAppClientMessage =
  { ok: true; call: AppClientMessage } | { ok: false; reply: AppServerMessage & { t: 'error' } };

/**
 * Checks a received value as a call naming one of `commands`, never throwing: a value that is
 * not one gets an error reply of one sentence (with the call's id when it has a usable one).
 */
export function parseAppClientMessage(
  value: unknown,
  commands: readonly string[],
): ParsedAppClientMessage {
  const fail = (id: number | null, message: string): ParsedAppClientMessage => ({
    ok: false,
    reply: { t: 'error', id, code: 'bad-request', message },
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(null, 'a message must be an object {"t":"call","id":N,"cmd":...,"params":{}}');
  }
  const m = value as Record<string, unknown>;
  const rawId = m['id'];
  const id = typeof rawId === 'number' && Number.isFinite(rawId) ? rawId : null;
  if (m['t'] !== 'call') return fail(id, 'only calls are accepted: send "t": "call"');
  if (id === null) return fail(null, 'a call needs an "id", a number its reply will carry');
  const cmd = m['cmd'];
  if (typeof cmd !== 'string') return fail(id, 'a call needs a "cmd", the name of a command');
  if (!commands.includes(cmd)) return fail(id, `unknown command ${shown(cmd)}`);
  const params = m['params'];
  if (
    params !== undefined &&
    params !== null &&
    (typeof params !== 'object' || Array.isArray(params))
  ) {
    return fail(id, `"${cmd}" takes its params as an object`);
  }
  return { ok: true, call: { t: 'call', id, cmd: cmd as AppCommandName, params } };
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
    if (msg.id === null) return;
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
