// An EngineClient that talks to a lab's engine over its unix socket.
import { connect, type Socket } from 'node:net';
import { toDisposable, type Disposable } from '../../shared/lifecycle.js';
import {
  EngineError,
  type CommandName,
  type CommandParams,
  type CommandResult,
  type EngineClient,
  type EngineEvents,
  type EventName,
} from '../../shared/contract.js';
import { LineDecoder, type ClientMessage, type ServerMessage } from './protocol.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Client side of the engine socket. */
export class SocketEngineClient implements EngineClient, Disposable {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventName, Set<(p: unknown) => void>>();
  private closed = false;
  private readonly closeListeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    const decoder = new LineDecoder((raw) => this.receive(raw as ServerMessage));
    let refused: string | undefined;
    socket.on('data', (chunk: string) => {
      try {
        decoder.push(chunk);
      } catch (err) {
        // Never thrown out of a socket callback (that would end the process): the connection
        // goes, and every call waiting on it fails with the reason.
        refused = err instanceof Error ? err.message : String(err);
        socket.destroy();
      }
    });
    const onClose = (): void => {
      if (this.closed) return;
      this.closed = true;
      for (const p of this.pending.values()) {
        p.reject(
          refused !== undefined
            ? new EngineError('internal', `${refused}; the connection to the engine was closed`)
            : new EngineError('not-running', 'the lab engine closed the connection'),
        );
      }
      this.pending.clear();
      for (const l of this.closeListeners) l();
    };
    socket.on('close', onClose);
    socket.on('error', onClose);
  }

  /** Connects to the engine socket at `path`; rejects if nothing listens there. */
  static connect(path: string): Promise<SocketEngineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new SocketEngineClient(socket));
      });
      socket.once('error', reject);
    });
  }

  private receive(msg: ServerMessage): void {
    if (msg.t === 'event') {
      for (const l of this.listeners.get(msg.event) ?? []) l(msg.payload);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.t === 'result') p.resolve(msg.result);
    else p.reject(new EngineError(msg.code, msg.message, msg.problems));
  }

  private send(msg: ClientMessage): void {
    if (!this.closed) this.socket.write(`${JSON.stringify(msg)}\n`);
  }

  /** Sends a command and waits for its result. */
  call<K extends CommandName>(cmd: K, params: CommandParams<K>): Promise<CommandResult<K>> {
    if (this.closed) {
      return Promise.reject(new EngineError('not-running', 'the lab engine is not running'));
    }
    const id = this.nextId++;
    return new Promise<CommandResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as CommandResult<K>), reject });
      this.send({ t: 'call', id, cmd, params });
    });
  }

  /** Subscribes to an event; the first listener of an event subscribes on the socket. */
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): Disposable {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
      this.send({ t: 'sub', event });
    }
    const l = listener as (p: unknown) => void;
    set.add(l);
    return toDisposable(() => {
      set.delete(l);
      if (set.size === 0) {
        this.listeners.delete(event);
        this.send({ t: 'unsub', event });
      }
    });
  }

  /** Called once when the connection ends. */
  onClose(listener: () => void): Disposable {
    this.closeListeners.add(listener);
    return toDisposable(() => {
      this.closeListeners.delete(listener);
    });
  }

  /** True once the connection has ended. */
  get isClosed(): boolean {
    return this.closed;
  }

  dispose(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
