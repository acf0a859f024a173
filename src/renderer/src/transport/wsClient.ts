// The app contract over a WebSocket (web mode). Reconnects after the server restarts and tells
// the UI through serviceState events.
import {
  APP_EVENT_NAMES,
  EngineError,
  type AppClient,
  type AppCommands,
  type AppEvents,
} from '../../../shared/contract.js';
import { WireClient, type WireServerMessage } from '../../../shared/wire.js';
import type { Disposable } from '../../../shared/lifecycle.js';

/** Delay before reconnecting: long enough not to spin, short enough to feel immediate. */
const RECONNECT_MS = 1000;

/** Connects to the netweave serve WebSocket of this page's origin, with the page's token. */
export function connectWebSocket(loc: Location): AppClient & Disposable {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  const url = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws?token=${encodeURIComponent(token)}`;
  let ws: WebSocket | undefined;
  let queue: string[] = [];
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const client = new WireClient<AppCommands, AppEvents>({
    send: (msg) => {
      const text = JSON.stringify(msg);
      if (ws?.readyState === WebSocket.OPEN) ws.send(text);
      else queue.push(text);
    },
    events: APP_EVENT_NAMES,
  });
  const open = (): void => {
    const socket = new WebSocket(url);
    ws = socket;
    socket.onopen = () => {
      client.reopen();
      for (const m of queue) socket.send(m);
      queue = [];
    };
    socket.onmessage = (e: MessageEvent<unknown>) => {
      if (typeof e.data !== 'string') return;
      client.receive(JSON.parse(e.data) as WireServerMessage);
    };
    socket.onclose = () => {
      if (disposed) return;
      queue = [];
      client.close(
        new EngineError(
          'not-running',
          'the connection to `netweave serve` was lost; it reconnects when the server is back',
        ),
      );
      client.emit('serviceState', {
        state: 'disconnected',
        reason: 'the connection to `netweave serve` was lost; is it still running?',
      });
      timer = setTimeout(open, RECONNECT_MS);
    };
  };
  open();
  return {
    call: (cmd, params) => client.call(cmd, params),
    on: (event, listener) => client.on(event, listener),
    dispose: () => {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      ws?.close();
      client.dispose();
    },
  };
}
