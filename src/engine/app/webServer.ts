// Web mode: serves the built renderer over HTTP and carries the app contract over a WebSocket.
// Binds 127.0.0.1 by default; a random token, printed in the URL, is required for the page and
// for the WebSocket upgrade, and Host/Origin are checked so another site cannot drive it.
import { APP_CSP } from '../../shared/csp.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
// ws is loaded when a server starts: it costs ~50 ms, and the CLI holding this module runs
// `netweave up` far more often than `netweave serve`.
import type { WebSocket, WebSocketServer } from 'ws';
import {
  dispatchAppCall,
  isAppClientMessage,
  type AppServerMessage,
} from '../../shared/appProtocol.js';
import { APP_COMMAND_NAMES, APP_EVENT_NAMES, type AppClient } from '../../shared/contract.js';
import { DisposableStore, type Disposable } from '../../shared/lifecycle.js';

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

/** Where the built renderer is looked for: electron-vite's out/renderer, then dist-renderer. */
export function rendererDirs(): string[] {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return [join(root, 'out', 'renderer'), join(root, 'dist-renderer')];
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
    server.on('request', (req, res) => void web.request(req, res));
    server.on('upgrade', (req, socket, head) => {
      if (!web.allowed(req, true)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      web.wss.handleUpgrade(req, socket, head, (ws) => web.connection(ws));
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
  private allowed(req: IncomingMessage, websocket: boolean): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('token') ?? '';
    if (!sameToken(token, this.token)) return false;
    const bound = this.options.host ?? '127.0.0.1';
    const local = ['127.0.0.1', 'localhost', '[::1]'];
    const host = req.headers.host ?? '';
    const hostName = host.replace(/:\d+$/, '');
    const anyHost = bound === '0.0.0.0' || bound === '::';
    if (!anyHost && !local.includes(hostName) && hostName !== bound) return false;
    if (websocket) {
      const origin = req.headers.origin;
      if (origin !== undefined && new URL(origin).host !== host) return false;
      if (url.pathname !== '/ws') return false;
    }
    return true;
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, {
        'content-type': type,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'netweave serves its page with GET only.\n');
      return;
    }
    let path = decodeURIComponent(url.pathname);
    if (path === '/' || path === '/index.html') {
      if (!this.allowed(req, false)) {
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
    const send = (msg: AppServerMessage): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (msg.t === 'event' && ws.bufferedAmount > MAX_WS_BUFFERED_BYTES) return;
      ws.send(JSON.stringify(msg));
    };
    for (const event of APP_EVENT_NAMES) {
      subs.add(this.options.service.on(event, (payload) => send({ t: 'event', event, payload })));
    }
    send({ t: 'event', event: 'serviceState', payload: { state: 'running' } });
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        const text = Array.isArray(raw)
          ? Buffer.concat(raw).toString('utf8')
          : Buffer.from(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw).toString('utf8');
        msg = JSON.parse(text);
      } catch {
        return;
      }
      if (!isAppClientMessage(msg, APP_COMMAND_NAMES)) return;
      const call = msg;
      void dispatchAppCall(this.options.service, call).then((reply) => {
        if (call.cmd === 'consoleAttach' && reply.t === 'result') {
          viewers.add((reply.result as { viewer: string }).viewer);
        }
        if (call.cmd === 'consoleDetach') {
          viewers.delete(String((call.params as { viewer?: unknown }).viewer));
        }
        send(reply);
      });
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      void subs.dispose();
      this.options.service.detachViewers?.(viewers);
    });
    ws.on('error', () => ws.terminate());
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
