// A client of a lab's engine over its unix socket: the one wire client (shared/wire.ts), one
// JSON message per line.
import { connect, type Socket } from 'node:net';
import { toDisposable, type Disposable } from '../../shared/lifecycle.js';
import {
  ENGINE_EVENT_NAMES,
  EngineError,
  type EngineCommands,
  type EngineEvents,
} from '../../shared/contract.js';
import { WireClient, type WireServerMessage } from '../../shared/wire.js';
import { LineDecoder } from './protocol.js';

/** Client side of the engine socket. */
export class SocketEngineClient extends WireClient<EngineCommands, EngineEvents> {
  private readonly closeListeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    super({
      send: (msg) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
      },
      subscribes: true,
      events: ENGINE_EVENT_NAMES,
    });
    socket.setEncoding('utf8');
    const decoder = new LineDecoder((raw) => this.receive(raw as WireServerMessage));
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
      if (this.isClosed) return;
      this.close(
        refused !== undefined
          ? new EngineError('internal', `${refused}; the connection to the engine was closed`)
          : new EngineError('not-running', 'the lab engine closed the connection'),
      );
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

  /** Called once when the connection ends. */
  onClose(listener: () => void): Disposable {
    this.closeListeners.add(listener);
    return toDisposable(() => {
      this.closeListeners.delete(listener);
    });
  }

  /** Ends the connection; waiting calls fail as the socket closes. */
  override dispose(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
