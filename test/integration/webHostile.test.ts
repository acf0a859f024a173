// `netweave serve` (the real command, built in dist/) against hostile clients: malformed
// request targets, `Origin: null`, oversized headers and WebSocket messages, garbage JSON,
// unknown commands, bad params, and lab/node names that try to leave the runtime directory.
// After each, serve still answers, and nothing outside its runtime root has changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import {
  APP_COMMAND_NAMES,
  ENGINE_COMMAND_NAMES,
  labCommandName,
} from '../../src/shared/contract.js';
import { BIN, serveUrl } from '../helpers/cli.js';

// Layout: <tmp>/outer/run is the runtime root; <tmp>/outer/sentinel sits beside it and
// <tmp>/outer/run/keep inside it. Every hostile name below, if it escaped, would land inside
// <tmp> (never "../.." past it), so even the code before the fix cannot touch the machine.
const tmp = mkdtempSync(join(tmpdir(), 'nwhostile-'));
const outer = join(tmp, 'outer');
const runtime = join(outer, 'run');
const sentinel = join(outer, 'sentinel');
const keep = join(runtime, 'keep');
const renderer = join(tmp, 'renderer');

let serve: ChildProcess;
let output = '';
let url = '';
let port = 0;
let token = '';

/** Lab names that try to reach outside the runtime root, or are not names at all. */
const HOSTILE_NAMES = [
  '..',
  '.',
  '../sentinel',
  '../../outer/sentinel',
  'x/../../sentinel',
  'keep/..',
  'keep/../../sentinel',
  sentinel,
  '/etc',
  'keep\0',
  'a'.repeat(5000),
  `../${'b'.repeat(100_000)}`,
];

/** Own app commands that take a lab name (and a node name for some). */
const LAB_COMMANDS = ['labAttach', 'labStop', 'consoleAttach', 'captureOpen'];
const NODE_COMMANDS = ['consoleAttach'];
/** Forwarded engine commands whose "node" param names a node. */
const ENGINE_NODE_COMMANDS = [
  'exec',
  'consoleWrite',
  'consoleResize',
  'consoleScrollback',
  'nodeStart',
  'nodeStop',
  'nodeReset',
] as const;

/**
 * Everything under <tmp>/outer except what serve may create in its runtime root: the runtime
 * root itself, the sentinel beside it and the "keep" folder inside it.
 */
function snapshot(): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = `${rel}${e.name}${e.isDirectory() ? '/' : ''}`;
      if (rel === 'run/' && e.name !== 'keep') continue;
      out.push(path);
      if (e.isDirectory()) walk(join(d, e.name), path);
    }
  };
  walk(outer, '');
  return out.sort();
}

let before: string[] = [];

/** serve is running, answers the page, and nothing around its runtime root changed. */
async function stillServing(): Promise<void> {
  expect(serve.exitCode, `serve exited: ${output}`).toBeNull();
  expect(serve.signalCode, `serve was killed: ${output}`).toBeNull();
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('netweave');
  expect(existsSync(join(sentinel, 'file'))).toBe(true);
  expect(existsSync(join(keep, 'file'))).toBe(true);
  expect(snapshot()).toEqual(before);
}

/** Sends raw bytes over TCP and returns the status line of the answer ("" when none). */
function raw(request: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = (): void => {
      socket.destroy();
      resolve(answer.split('\r\n')[0] ?? '');
    };
    socket.setTimeout(5_000, done);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    socket.write(request);
  });
}

function get(target: string, headers: Record<string, string> = {}): Promise<string> {
  const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return raw(`${lines.join('\r\n')}\r\n\r\n`);
}

function upgrade(target: string, headers: Record<string, string> = {}): Promise<string> {
  return get(target, {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  });
}

interface Reply {
  t: string;
  id?: number | null;
  code?: string;
  message?: string;
  result?: unknown;
}

/** One WebSocket connection to serve, with replies collected by id. */
class Conn {
  readonly ws: WebSocket;
  private readonly replies: Reply[] = [];
  closed = false;

  constructor() {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
    this.ws.on('message', (m: Buffer) => {
      const r = JSON.parse(m.toString('utf8')) as Reply;
      if (r.t !== 'event') this.replies.push(r);
    });
    this.ws.on('close', () => {
      this.closed = true;
    });
    this.ws.on('error', () => undefined);
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Sends `data` and waits for the reply with `id` (null: the next reply without an id). */
  async send(data: string | Buffer, id: number | null): Promise<Reply> {
    const start = this.replies.length;
    this.ws.send(data);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = this.replies.slice(start).find((r) => (r.id ?? null) === id);
      if (found) return found;
      if (Date.now() > deadline || this.closed) throw new Error(`no reply for id ${id}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private nextId = 1;

  call(cmd: string, params: unknown): Promise<Reply> {
    const id = this.nextId++;
    return this.send(JSON.stringify({ t: 'call', id, cmd, params }), id);
  }

  close(): void {
    this.ws.close();
  }
}

/** A user-facing error: one sentence, no stack trace, not the whole hostile input again. */
function oneSentence(r: Reply): void {
  expect(r.t).toBe('error');
  expect(typeof r.message).toBe('string');
  const m = r.message ?? '';
  expect(m.length).toBeGreaterThan(0);
  expect(m.length).toBeLessThan(400);
  expect(m).not.toMatch(/\n|\bat .*\(.*:\d+:\d+\)/);
}

beforeAll(async () => {
  mkdirSync(keep, { recursive: true });
  writeFileSync(join(keep, 'file'), 'keep');
  mkdirSync(sentinel, { recursive: true });
  writeFileSync(join(sentinel, 'file'), 'sentinel');
  mkdirSync(renderer, { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>netweave</title>');
  before = snapshot();
  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: {
      ...process.env,
      NETWEAVE_RUNTIME_DIR: runtime,
      NETWEAVE_LOG_DIR: join(tmp, 'logs'),
      NETWEAVE_CONFIG_DIR: join(tmp, 'config'),
      NETWEAVE_CACHE_DIR: join(tmp, 'cache'),
      NETWEAVE_RENDERER_DIR: renderer,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [serve.stdout, serve.stderr]) {
    stream?.on('data', (d: Buffer) => (output += d.toString()));
  }
  url = await serveUrl(serve);
  const parsed = new URL(url);
  port = Number(parsed.port);
  token = parsed.searchParams.get('token') ?? '';
});

afterAll(async () => {
  if (serve && serve.exitCode === null && serve.signalCode === null) {
    const exited = new Promise<void>((r) => serve.once('exit', () => r()));
    serve.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('netweave serve against hostile requests', () => {
  test('malformed request targets get 400, not a crash', async () => {
    for (const target of ['/%FF', '/%E0%A4%A', '/%', '/a%2', '/%00', '/assets/%C0%AF']) {
      expect(await get(target), target).toMatch(/^HTTP\/1\.1 400 /);
      await stillServing();
    }
    // Targets `new URL(target, base)` cannot parse; "//x" must stay a path, never a host.
    for (const target of ['//[', '//x:99999', '//[::1', '//%', `/?token=${token}%FF`]) {
      expect(await get(target), target).toMatch(/^HTTP\/1\.1 [2-4]\d\d /);
      await stillServing();
    }
    for (const target of ['*', 'http://evil.example/', 'index.html']) {
      expect(await get(target), target).toMatch(/^HTTP\/1\.1 400 /);
      await stillServing();
    }
    expect(await get('/../../../../etc/passwd')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await get('/%2e%2e/%2e%2e/etc/passwd')).toMatch(/^HTTP\/1\.1 404 /);
    // Unauthenticated garbage that is not HTTP at all.
    expect(await raw(Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]))).toMatch(/400|^$/);
    await stillServing();
  });

  test('malformed WebSocket upgrades are refused, not a crash', async () => {
    for (const target of ['/ws%FF', `/%E0%A4%A?token=${token}`, '//[', '//x:99999', '*']) {
      expect(await upgrade(target), target).toMatch(/^HTTP\/1\.1 (400|403) /);
      await stillServing();
    }
    // Right token, hostile Origin: "null" (sandboxed frames, file://) and unparseable ones.
    for (const origin of ['null', 'garbage', 'http://[', 'http://evil.example', 'file://']) {
      expect(await upgrade(`/ws?token=${token}`, { Origin: origin }), origin).toMatch(
        /^HTTP\/1\.1 403 /,
      );
      await stillServing();
    }
    // A bad key is ws's business: refused too.
    expect(await upgrade(`/ws?token=${token}`, { 'Sec-WebSocket-Key': 'short' })).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    // A client that resets the connection in the middle of an upgrade.
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(
          `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: null\r\n\r\n`,
        );
        s.resetAndDestroy();
        resolve();
      });
      s.on('error', () => undefined);
    });
    await new Promise((r) => setTimeout(r, 200));
    await stillServing();
  });

  test('oversized headers get 431 and serve keeps answering', async () => {
    // Over Node's 16 KiB limit, yet small enough to be read whole before serve answers (so the
    // answer is not lost to a reset for unread data).
    expect(await get('/', { 'X-Big': 'x'.repeat(20 * 1024) })).toMatch(/^HTTP\/1\.1 431 /);
    await stillServing();
    // A megabyte of header: the answer may be lost to the reset, serve must not be.
    expect(await get('/', { 'X-Huge': 'x'.repeat(1024 * 1024) })).toMatch(/^(HTTP\/1\.1 431 .*)?$/);
    await stillServing();
    const many: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) many[`X-H${i}`] = 'y'.repeat(20);
    expect(await get('/', many)).toMatch(/^HTTP\/1\.1 431 /);
    await stillServing();
    expect(await upgrade(`/ws?token=${token}`, { 'X-Big': 'x'.repeat(20 * 1024) })).toMatch(
      /^HTTP\/1\.1 431 /,
    );
    await stillServing();
  });

  test('an oversized WebSocket message closes that socket only', async () => {
    const big = new Conn();
    await big.opened();
    big.ws.send(Buffer.alloc(9 * 1024 * 1024, 0x61), { binary: false });
    const code = await new Promise<number>((resolve) => big.ws.once('close', (c) => resolve(c)));
    // 1009 (message too big), or 1006 when the server dropped the socket before it flushed.
    expect([1006, 1009]).toContain(code);
    await stillServing();
    const next = new Conn();
    await next.opened();
    const info = await next.call('appInfo', {});
    expect(info.t).toBe('result');
    next.close();
  });

  test('garbage, unknown commands and bad params each get one error reply', async () => {
    const c = new Conn();
    await c.opened();
    for (const text of ['not json', '{', '', '\u0000', '[1,2', '"\\ud800"x']) {
      const r = await c.send(text, null);
      oneSentence(r);
      expect(r.code).toBe('bad-request');
    }
    oneSentence(await c.send(Buffer.from([1, 2, 3]), null));
    for (const value of [null, 42, 'call', [1], true, { t: 'call', cmd: 'appInfo' }]) {
      oneSentence(await c.send(JSON.stringify(value), null));
    }
    oneSentence(await c.send(JSON.stringify({ t: 'call', id: 'x', cmd: 'appInfo' }), null));
    oneSentence(await c.send(JSON.stringify({ t: 'nope', id: 7001, cmd: 'appInfo' }), 7001));
    for (const cmd of ['nope', '__proto__', 'constructor', 'toString', 'x'.repeat(100_000)]) {
      const r = await c.call(cmd, {});
      oneSentence(r);
      expect(r.message).toMatch(/^unknown command /);
    }
    oneSentence(await c.send(JSON.stringify({ t: 'call', id: 7002, cmd: 42 }), 7002));
    await stillServing();

    // Every command with params of the wrong shape, and with numbers where strings go.
    const harmless = new Set(['appInfo', 'listExamples', 'recentFiles', 'labList', 'validateText']);
    const shapes: unknown[] = [
      5,
      'lab',
      [1, 2],
      true,
      {
        lab: 5,
        node: 7,
        file: 3,
        text: 4,
        viewer: {},
        chars: 'x',
        captureId: [],
        target: null,
        sink: 9,
        buildDirs: 'x',
        argv: 'ls',
        data: 1,
        cols: 'a',
        rows: {},
        port: 1,
        up: 'yes',
        layout: 3,
      },
    ];
    for (const cmd of APP_COMMAND_NAMES) {
      for (const params of shapes) {
        const r = await c.call(cmd, params);
        if (r.t === 'result')
          expect(harmless.has(cmd), `${cmd} ${JSON.stringify(params)}`).toBe(true);
        else oneSentence(r);
      }
      // Missing and null params.
      for (const text of [
        JSON.stringify({ t: 'call', id: 8000, cmd }),
        JSON.stringify({ t: 'call', id: 8001, cmd, params: null }),
      ]) {
        const id = text.includes('8000') ? 8000 : 8001;
        const r = await c.send(text, id);
        if (r.t === 'result') expect(harmless.has(cmd), cmd).toBe(true);
        else oneSentence(r);
      }
      await stillServing();
    }
    c.close();
  });

  test('no name-taking command accepts a name that leaves the runtime directory', async () => {
    const c = new Conn();
    await c.opened();
    const labCommands = [...LAB_COMMANDS, ...ENGINE_COMMAND_NAMES.map(labCommandName)];
    for (const cmd of labCommands) expect(APP_COMMAND_NAMES).toContain(cmd);
    for (const name of HOSTILE_NAMES) {
      for (const cmd of labCommands) {
        const r = await c.call(cmd, {
          lab: name,
          node: 'h1',
          target: 'h1:eth0',
          sink: 'stream',
          argv: ['true'],
          data: 'x',
          cols: 80,
          rows: 24,
          port: 'h1:eth0',
          up: true,
          captureId: 'c1',
          buildDirs: [],
        });
        oneSentence(r);
        expect(r.code, `${cmd} ${name.slice(0, 40)}`).toBe('bad-request');
        expect(r.message, `${cmd} ${name.slice(0, 40)}`).toMatch(/^lab name /);
      }
      await stillServing();
    }
    // Node names, in a lab name that is fine (and not running).
    const nodeCommands = [...NODE_COMMANDS, ...ENGINE_NODE_COMMANDS.map(labCommandName)];
    for (const name of HOSTILE_NAMES) {
      for (const cmd of nodeCommands) {
        const r = await c.call(cmd, { lab: 'nolab', node: name, argv: ['true'], data: 'x' });
        oneSentence(r);
        expect(r.message, `${cmd} ${name.slice(0, 40)}`).toMatch(/^node name /);
      }
    }
    // The rest that take a lab answer an error of their own, and touch nothing.
    for (const name of HOSTILE_NAMES) {
      for (const cmd of ['consolePopOut', 'captureClose']) {
        oneSentence(await c.call(cmd, { lab: name, node: name, captureId: name }));
      }
    }
    // A lab name that is fine but not running: stopping it removes nothing else.
    const ok = await c.call('labStop', { lab: 'nolab' });
    expect(ok).toMatchObject({ t: 'result', result: { removed: 0 } });
    await stillServing();
    c.close();
  });

  test('file-taking commands fail cleanly on hostile paths', async () => {
    const c = new Conn();
    await c.opened();
    for (const file of [
      '\0',
      '/nonexistent/\0x.yaml',
      'a'.repeat(100_000),
      '/proc/self/mem',
      '/',
    ]) {
      // User paths on purpose (a local app): an error, whatever its words, and no crash.
      for (const cmd of ['openFile', 'labLaunch']) {
        expect((await c.call(cmd, { file })).t).toBe('error');
      }
      expect((await c.call('saveFile', { file, text: 'x', layout: null })).t).toBe('error');
      expect((await c.call('importZephyr', { buildDirs: [file], text: '' })).t).toBe('error');
    }
    await stillServing();
    c.close();
  });

  test('after all that, serve still works and stops cleanly', async () => {
    const c = new Conn();
    await c.opened();
    // No lab; the sentinel folder in the runtime directory is listed as a stale one, as
    // `netweave status` lists it.
    expect(await c.call('labList', {})).toMatchObject({
      t: 'result',
      result: { labs: [{ name: 'keep', state: 'failed', stale: true }] },
    });
    c.close();
    await stillServing();
    const exited = new Promise<number | null>((r) => serve.once('exit', (code) => r(code)));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/Uncaught|UnhandledPromiseRejection|TypeError|URIError/);
  });
});
