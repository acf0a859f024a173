// Serves an in-process EngineClient (a lab) on a unix socket, so that other `netweave`
// commands (status, exec, console, stats, capture, down) and later the desktop app reach it.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import type { Disposable } from '../../shared/lifecycle.js';
import {
  ENGINE_COMMAND_NAMES,
  ENGINE_EVENT_NAMES,
  type CommandName,
  type EngineClient,
  type EventName,
} from '../../shared/contract.js';
import type * as ParamsChecks from '../../shared/commandParams.js';
import { replyTo, type WireServerMessage } from '../../shared/wire.js';
import { LineDecoder } from './protocol.js';

/**
 * The params checks (zod schemas), loaded with the first command rather than with the engine:
 * building zod and its schemas is a good part of a Node process's start, and a lab's engine
 * deploys before any client asks it anything. Commands wait for the load in the order they came.
 */
let paramsChecks: Promise<typeof ParamsChecks> | undefined;
const loadParamsChecks = (): Promise<typeof ParamsChecks> =>
  (paramsChecks ??= import('../../shared/commandParams.js'));

/** Longest a client may leave its socket unread before events to it are dropped. */
export const MAX_EVENT_BACKLOG = 8 * 1024 * 1024;

/** A unix-socket server for one engine. */
export class EngineServer implements Disposable {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** The events each client subscribed to. */
  private readonly subscribed = new Map<Socket, Map<EventName, Disposable>>();

  private constructor(
    private readonly engine: EngineClient,
    readonly path: string,
  ) {
    this.server = createServer((s) => this.accept(s));
  }

  /** Starts listening at `path` (mode 0600: only this user may drive the engine). */
  static async listen(engine: EngineClient, path: string): Promise<EngineServer> {
    const srv = new EngineServer(engine, path);
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      srv.server.once('error', reject);
      srv.server.listen(path, () => {
        srv.server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    return srv;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    const subs = new Map<EventName, Disposable>();
    this.subscribed.set(socket, subs);
    const send = (msg: WireServerMessage): void => {
      if (socket.destroyed) return;
      if (msg.t === 'event' && socket.writableLength > MAX_EVENT_BACKLOG) return;
      socket.write(`${JSON.stringify(msg)}\n`);
    };
    const decoder = new LineDecoder((raw) => {
      const m = raw as { t?: unknown; event?: unknown } | null;
      const event = ENGINE_EVENT_NAMES.find((e) => e === m?.event);
      if (m?.t === 'sub' && event !== undefined) {
        if (!subs.has(event)) {
          subs.set(
            event,
            this.engine.on(event, (payload) => send({ t: 'event', event, payload })),
          );
        }
        return;
      }
      if (m?.t === 'unsub' && event !== undefined) {
        void subs.get(event)?.dispose();
        subs.delete(event);
        return;
      }
      // The process boundary: params are checked here, handlers get them typed.
      void replyTo(raw, ENGINE_COMMAND_NAMES, async ({ cmd, params }) => {
        const { parseEngineParams } = await loadParamsChecks();
        return this.engine.call(cmd as CommandName, parseEngineParams(cmd as CommandName, params));
      }).then(send);
    });
    socket.on('data', (chunk: string) => {
      try {
        decoder.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    const close = (): void => {
      for (const d of subs.values()) void d.dispose();
      subs.clear();
      this.sockets.delete(socket);
      this.subscribed.delete(socket);
    };
    socket.on('close', close);
    socket.on('error', close);
  }

  /** The most bytes a client subscribed to `event` has left unread on its socket. */
  backlog(event: EventName): number {
    let most = 0;
    for (const [s, subs] of this.subscribed) {
      if (subs.has(event)) most = Math.max(most, s.writableLength);
    }
    return most;
  }

  /** Stops accepting, closes every client and removes the socket file. */
  async dispose(): Promise<void> {
    for (const s of this.sockets) s.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    rmSync(this.path, { force: true });
  }
}
