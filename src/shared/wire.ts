// The one wire protocol between netweave's processes: a client's calls (with ids) and, where
// the server pushes events only on request (a lab engine's socket), its subscriptions; the
// server's results, errors and events. The lab engine's socket (one JSON object per line), the
// WebSocket of web mode and the Electron service host's IPC channel all carry these messages,
// and WireClient is the one client of all three. Pure, so the renderer uses it too.
import { EngineError, toWireError, type WireError } from './contract.js';
import { toDisposable, type Disposable } from './lifecycle.js';

/** A message from a client: a call, or a change of its subscriptions (engine socket only). */
export type WireClientMessage =
  | { t: 'call'; id: number; cmd: string; params: unknown }
  | { t: 'sub'; event: string }
  | { t: 'unsub'; event: string };

/** A call as it arrives, checked (parseWireCall). */
export type WireCall = Extract<WireClientMessage, { t: 'call' }>;

/**
 * A message from a server. An error's id is null when it answers a message that carried no
 * usable id (not JSON, not a call): no pending call matches it.
 */
export type WireServerMessage =
  | { t: 'result'; id: number; result: unknown }
  | ({ t: 'error'; id: number | null } & WireError)
  | { t: 'event'; event: string; payload: unknown };

/** A contract as a client sees it: command name -> params and result. */
type Commands<C> = { [K in keyof C]: { params: unknown; result: unknown } };

/** Longest text of a client's value quoted back in an error message. */
const SHOWN_MAX = 40;

/** A client's value quoted in an error message, cut short when long. */
export function shown(value: string): string {
  return JSON.stringify(value.length > SHOWN_MAX ? `${value.slice(0, SHOWN_MAX)}…` : value);
}

/** What a received value is: a call to dispatch, or the error reply it gets instead. */
export type ParsedWireCall = { ok: true; call: WireCall } | { ok: false; reply: WireServerMessage };

/**
 * Checks a received value as a call naming one of `commands`, never throwing: a value that is
 * not one gets an error reply of one sentence (with the call's id when it has a usable one).
 * The params are checked by the receiver against its command's schema (commandParams.ts).
 */
export function parseWireCall(value: unknown, commands: readonly string[]): ParsedWireCall {
  const fail = (id: number | null, message: string): ParsedWireCall => ({
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
  return { ok: true, call: { t: 'call', id, cmd, params: m['params'] } };
}

/**
 * Runs one call and produces its reply; any error becomes its wire form (one sentence, code and
 * problems, never a stack trace).
 */
export async function answerCall(
  id: number,
  run: () => Promise<unknown>,
): Promise<WireServerMessage> {
  try {
    const result = await run();
    return { t: 'result', id, result: result ?? {} };
  } catch (err) {
    return { t: 'error', id, ...toWireError(err) };
  }
}

/** The reply to one received value: its answer if it is a call, else why it is not one. */
export function replyTo(
  value: unknown,
  commands: readonly string[],
  run: (call: WireCall) => Promise<unknown>,
): Promise<WireServerMessage> {
  const parsed = parseWireCall(value, commands);
  if (!parsed.ok) return Promise.resolve(parsed.reply);
  const call = parsed.call;
  return answerCall(call.id, () => run(call));
}

/** How a WireClient reaches its server. */
export interface WireClientOptions {
  /** Delivers a message to the server. */
  send(msg: WireClientMessage): void;
  /**
   * True when the server pushes an event only to clients that subscribed to it (a lab engine's
   * socket): the first listener of an event subscribes, the last one to go unsubscribes.
   */
  subscribes?: boolean;
  /** The events there are; a pushed event of another name is ignored. */
  events?: readonly string[];
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * A client of a contract (`C`: commands, `E`: events) over any message channel: the owner
 * feeds every message from the server to receive(), and calls close() when the channel ends.
 */
export class WireClient<
  C extends Commands<C>,
  E extends { [K in keyof E]: unknown },
> implements Disposable {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();
  private closed: EngineError | undefined;

  constructor(private readonly channel: WireClientOptions) {}

  /** Handles one message from the server. */
  receive(msg: WireServerMessage): void {
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

  /** Delivers an event to the local listeners (also used for events the transport makes). */
  emit(event: string, payload: unknown): void {
    if (this.channel.events !== undefined && !this.channel.events.includes(event)) return;
    for (const l of [...(this.listeners.get(event) ?? [])]) l(payload);
  }

  /** Fails every pending call and every later one with `error` until reopen(). */
  close(error: EngineError): void {
    this.closed = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** Accepts calls again after close() (the channel was re-established). */
  reopen(): void {
    this.closed = undefined;
  }

  /** True once the channel has ended (until reopen). */
  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  /** Sends a command and waits for its result. */
  call<K extends keyof C & string>(cmd: K, params: C[K]['params']): Promise<C[K]['result']> {
    if (this.closed !== undefined) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<C[K]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v), reject });
      this.channel.send({ t: 'call', id, cmd, params });
    });
  }

  /** Subscribes to an event. */
  on<K extends keyof E & string>(event: K, listener: (payload: E[K]) => void): Disposable {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
      if (this.channel.subscribes === true && this.closed === undefined)
        this.channel.send({ t: 'sub', event });
    }
    const l = listener as (p: unknown) => void;
    set.add(l);
    return toDisposable(() => {
      set.delete(l);
      if (set.size > 0 || this.listeners.get(event) !== set) return;
      this.listeners.delete(event);
      if (this.channel.subscribes === true && this.closed === undefined)
        this.channel.send({ t: 'unsub', event });
    });
  }

  dispose(): void {
    this.close(new EngineError('not-running', 'the connection to netweave is closed'));
    this.listeners.clear();
  }
}
