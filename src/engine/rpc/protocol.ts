// The wire form of the contract over a stream socket: one JSON object per line.
import type {
  CommandName,
  EngineErrorCode,
  EventName,
  TopologyProblem,
} from '../../shared/contract.js';

/** A message from a client to the engine. */
export type ClientMessage =
  | { t: 'call'; id: number; cmd: CommandName; params: unknown }
  | { t: 'sub'; event: EventName }
  | { t: 'unsub'; event: EventName };

/** A message from the engine to a client. */
export type ServerMessage =
  | { t: 'result'; id: number; result: unknown }
  | {
      t: 'error';
      id: number;
      code: EngineErrorCode;
      message: string;
      problems?: TopologyProblem[];
    }
  | { t: 'event'; event: EventName; payload: unknown };

/**
 * Splits a byte stream into lines and parses each as JSON. Lines larger than the limit are
 * refused (a runaway peer must not exhaust memory).
 */
export class LineDecoder {
  private buf = '';
  /** Largest accepted line: console scrollback (1 MiB) base64-free JSON plus headroom. */
  static readonly MAX_LINE = 16 * 1024 * 1024;

  constructor(private readonly onMessage: (msg: unknown) => void) {}

  /** Feeds a chunk; calls onMessage for every complete line. */
  push(chunk: string): void {
    this.buf += chunk;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.trim()) {
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          msg = undefined;
        }
        if (msg !== undefined) this.onMessage(msg);
      }
      nl = this.buf.indexOf('\n');
    }
    if (this.buf.length > LineDecoder.MAX_LINE) {
      throw new Error('a message on the engine socket exceeded 16 MiB');
    }
  }
}
