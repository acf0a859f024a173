// Serves an in-process EngineClient (a lab) on a unix socket, so that other `netweave`
// commands (status, exec, console, stats, capture, down) and later the desktop app reach it.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import type { Disposable } from '../../shared/lifecycle.js';
import {
  EngineError,
  type CommandName,
  type EngineClient,
  type EventName,
} from '../../shared/contract.js';
import { parseEngineParams } from '../../shared/commandParams.js';
import { LineDecoder, type ClientMessage, type ServerMessage } from './protocol.js';

/** Longest a client may leave its socket unread before events to it are dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** A unix-socket server for one engine. */
export class EngineServer implements Disposable {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

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
    const send = (msg: ServerMessage): void => {
      if (socket.destroyed) return;
      if (msg.t === 'event' && socket.writableLength > MAX_BUFFERED_BYTES) return;
      socket.write(`${JSON.stringify(msg)}\n`);
    };
    const decoder = new LineDecoder((raw) => {
      const msg = raw as ClientMessage;
      if (msg.t === 'sub') {
        if (!subs.has(msg.event)) {
          const event = msg.event;
          subs.set(
            event,
            this.engine.on(event, (payload) => send({ t: 'event', event, payload })),
          );
        }
      } else if (msg.t === 'unsub') {
        void subs.get(msg.event)?.dispose();
        subs.delete(msg.event);
      } else if (msg.t === 'call') {
        void this.dispatch(msg.id, msg.cmd, msg.params, send);
      }
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
    };
    socket.on('close', close);
    socket.on('error', close);
  }

  private async dispatch(
    id: number,
    cmd: CommandName,
    params: unknown,
    send: (m: ServerMessage) => void,
  ): Promise<void> {
    try {
      // The process boundary: params are checked here, handlers get them typed.
      const result: unknown = await this.engine.call(cmd, parseEngineParams(cmd, params));
      send({ t: 'result', id, result: result ?? {} });
    } catch (err) {
      if (err instanceof EngineError) {
        send({
          t: 'error',
          id,
          code: err.code,
          message: err.message,
          ...(err.problems ? { problems: err.problems } : {}),
        });
      } else {
        const message = err instanceof Error ? err.message : String(err);
        send({ t: 'error', id, code: 'internal', message });
      }
    }
  }

  /** Stops accepting, closes every client and removes the socket file. */
  async dispose(): Promise<void> {
    for (const s of this.sockets) s.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    rmSync(this.path, { force: true });
  }
}
