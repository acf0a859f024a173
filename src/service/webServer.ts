// Web mode: serves the built renderer over HTTP and carries the app contract over a WebSocket.
// Binds 127.0.0.1 by default; a random token, printed in the URL, is required for the page and
// for the WebSocket upgrade, and Host/Origin are checked so another site cannot drive it.
import { APP_CSP } from '../shared/csp.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
// ws is loaded when a server starts: it costs ~50 ms, and the CLI holding this module runs
// `netweave up` far more often than `netweave serve`.
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import {
  APP_COMMAND_NAMES,
  APP_EVENT_NAMES,
  EngineError,
  toWireError,
  type AppClient,
  type AppCommandName,
  type AppParams,
} from '../shared/contract.js';
import { replyTo, type WireServerMessage } from '../shared/wire.js';
import { DisposableStore, type Disposable } from '../shared/lifecycle.js';

/** Events are dropped for a browser that has this much unsent data: it is not reading. */
const MAX_WS_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Largest message a browser may send: console input and topology text are far smaller. */
const MAX_WS_MESSAGE_BYTES = 8 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/**
 * Where the built renderer is looked for: $NETWEAVE_RENDERER_DIR when set (tests, packagers),
 * electron-vite's out/renderer, then dist-renderer.
 */
export function rendererDirs(): string[] {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const own = process.env['NETWEAVE_RENDERER_DIR'];
  return [...(own ? [own] : []), join(root, 'out', 'renderer'), join(root, 'dist-renderer')];
}

/** The first folder holding a built renderer (index.html), if any. */
export function findRendererDir(): string | undefined {
  return rendererDirs().find((d) => existsSync(join(d, 'index.html')));
}

/** Options of the web server. */
export interface WebServerOptions {
  service: AppClient & { detachViewers?(ids: Iterable<string>): void };
  staticDir: string;
  host?: string;
  port?: number;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

/** What a request target (the path and query of the request line) asks for. */
export interface RequestTarget {
  /** The decoded path, e.g. "/assets/index.js". */
  path: string;
  /** The token in the query, "" when there is none. */
  token: string;
}

/**
 * Reads a request target (req.url) without ever throwing: undefined when it is not a path
 * ("http://x/", "*", "//[", "//x:99999" as a host), has a malformed percent escape ("%FF",
 * "%E0%A4%A") or decodes to a NUL byte. The caller answers 400 then.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | undefined {
  const target = raw ?? '/';
  if (!target.startsWith('/')) return undefined;
  try {
    // Prefixed rather than resolved against a base: "//host/x" is a path here, not a host.
    const url = new URL(`http://localhost${target}`);
    const path = decodeURIComponent(url.pathname);
    if (path.includes('\0')) return undefined;
    return { path, token: url.searchParams.get('token') ?? '' };
  } catch {
    return undefined;
  }
}

/** True when an Origin header names the page's own host; "null" and garbage never do. */
export function sameOrigin(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  } catch {
    return false;
  }
}

function sendText(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Answers 500 to a request whose handler failed; drops the connection if the answer began. */
function failRequest(res: ServerResponse): void {
  try {
    if (res.headersSent) res.destroy();
    else sendText(res, 500, 'netweave: internal error\n');
  } catch {
    res.destroy();
  }
}

/** Refuses a WebSocket upgrade with an HTTP status line, e.g. "403 Forbidden". */
function refuseUpgrade(socket: Duplex, status: string): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  } else {
    socket.destroy();
  }
}

/** The reply to a WebSocket message that is not a call at all. */
function badMessage(message: string): WireServerMessage {
  return { t: 'error', id: null, ...toWireError(new EngineError('bad-request', message)) };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A running web-mode server. */
export class WebServer implements Disposable {
  private readonly store = new DisposableStore();
  private readonly sockets = new Set<WebSocket>();
  readonly token: string;
  private port = 0;

  private constructor(
    private readonly options: WebServerOptions,
    private readonly server: Server,
    private readonly wss: WebSocketServer,
  ) {
    this.token = options.token ?? randomBytes(24).toString('hex');
  }

  /** Starts listening; resolves once the port is bound. */
  static async listen(options: WebServerOptions): Promise<WebServer> {
    const { WebSocketServer } = await import('ws');
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
    const web = new WebServer(options, server, wss);
    // Nothing a client sends may end the process (and orphan the labs it launched): every
    // handler answers an error instead of throwing.
    server.on('request', (req, res) => {
      web.request(req, res).catch(() => failRequest(res));
    });
    server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      // Node's own error handler is gone from an upgraded socket: a reset must not throw.
      socket.on('error', () => socket.destroy());
      try {
        const target = parseRequestTarget(req.url);
        if (!target) {
          refuseUpgrade(socket, '400 Bad Request');
          return;
        }
        if (!web.allowed(req, target, true)) {
          refuseUpgrade(socket, '403 Forbidden');
          return;
        }
        web.wss.handleUpgrade(req, socket, head, (ws) => web.connection(ws));
      } catch {
        refuseUpgrade(socket, '500 Internal Server Error');
      }
    });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolveListen();
      });
    });
    web.port = (server.address() as AddressInfo).port;
    return web;
  }

  /** The URL to open, with the token. */
  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const h = shown.includes(':') ? `[${shown}]` : shown;
    return `http://${h}:${this.port}/?token=${this.token}`;
  }

  /** Host header check against DNS rebinding, plus the token (query) for page and socket. */
  private allowed(req: IncomingMessage, target: RequestTarget, websocket: boolean): boolean {
    if (!sameToken(target.token, this.token)) return false;
    const bound = this.options.host ?? '127.0.0.1';
    const local = ['127.0.0.1', 'localhost', '[::1]'];
    const host = req.headers.host ?? '';
    const hostName = host.replace(/:\d+$/, '');
    const anyHost = bound === '0.0.0.0' || bound === '::';
    if (!anyHost && !local.includes(hostName) && hostName !== bound) return false;
    if (websocket) {
      const origin = req.headers.origin;
      if (origin !== undefined && !sameOrigin(origin, host)) return false;
      if (target.path !== '/ws') return false;
    }
    return true;
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (code: number, body: string): void => sendText(res, code, body);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'netweave serves its page with GET only.\n');
      return;
    }
    const target = parseRequestTarget(req.url);
    if (!target) {
      send(400, 'netweave: malformed request path\n');
      return;
    }
    let path = target.path;
    if (path === '/' || path === '/index.html') {
      if (!this.allowed(req, target, false)) {
        send(
          403,
          'netweave: this page needs the token printed by `netweave serve`; open the full URL it printed.\n',
        );
        return;
      }
      path = '/index.html';
    }
    const root = resolve(this.options.staticDir);
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) {
      send(404, 'not found\n');
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy': APP_CSP,
        'cache-control': path === '/index.html' ? 'no-store' : 'max-age=60',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      send(404, 'not found\n');
    }
  }

  private connection(ws: WebSocket): void {
    this.sockets.add(ws);
    const subs = new DisposableStore();
    const viewers = new Set<string>();
    const send = (msg: WireServerMessage): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (msg.t === 'event' && ws.bufferedAmount > MAX_WS_BUFFERED_BYTES) return;
      let text: string;
      try {
        text = JSON.stringify(msg);
      } catch (err) {
        // A result that cannot be sent still gets an answer.
        if (msg.t !== 'result') return;
        text = JSON.stringify({ t: 'error', id: msg.id, ...toWireError(err) });
      }
      ws.send(text);
    };
    for (const event of APP_EVENT_NAMES) {
      subs.add(this.options.service.on(event, (payload) => send({ t: 'event', event, payload })));
    }
    send({ t: 'event', event: 'serviceState', payload: { state: 'running' } });
    ws.on('message', (raw, isBinary) => {
      void this.answer(raw, isBinary, viewers)
        .then(send)
        .catch(() => undefined);
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      void subs.dispose();
      this.options.service.detachViewers?.(viewers);
    });
    ws.on('error', () => ws.terminate());
  }

  /**
   * The reply to one WebSocket message: a call's result or error, or an error for a message
   * that is not a well-formed call (id null when it carries no usable id). Never rejects.
   */
  private async answer(
    raw: RawData,
    isBinary: boolean,
    viewers: Set<string>,
  ): Promise<WireServerMessage> {
    try {
      if (isBinary) return badMessage('netweave takes JSON text messages, not binary ones');
      const buf = Array.isArray(raw)
        ? Buffer.concat(raw)
        : Buffer.from(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw);
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch {
        return badMessage(
          'the message is not JSON; send {"t":"call","id":N,"cmd":...,"params":{}}',
        );
      }
      // The service checks the params (commandParams.ts).
      const call = value as { cmd?: unknown; params?: unknown };
      const reply = await replyTo(value, APP_COMMAND_NAMES, ({ cmd, params }) =>
        this.options.service.call(cmd as AppCommandName, params as AppParams<AppCommandName>),
      );
      if (reply.t === 'result') {
        const result = reply.result as { viewer?: unknown } | null;
        if (call.cmd === 'consoleAttach' && typeof result?.viewer === 'string') {
          viewers.add(result.viewer);
        }
        const params = call.params as { viewer?: unknown } | null | undefined;
        if (call.cmd === 'consoleDetach' && typeof params?.viewer === 'string') {
          viewers.delete(params.viewer);
        }
      }
      return reply;
    } catch (err) {
      return { t: 'error', id: null, ...toWireError(err) };
    }
  }

  /** Closes every socket and stops listening. */
  async dispose(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    await this.store.dispose();
  }
}
