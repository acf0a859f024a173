// Web mode's server: the page and the WebSocket need the token, other hosts and origins are
// refused, and the contract works over the socket.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { AppService } from '../../../src/service/service.js';
import { WebServer } from '../../../src/service/webServer.js';

let web: WebServer;
let service: AppService;
const dir = mkdtempSync(join(tmpdir(), 'nwweb-'));

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>netweave</title>');
  service = new AppService({ transport: 'websocket' });
  web = await WebServer.listen({ service, staticDir: dir, port: 0 });
});

afterAll(async () => {
  await web.dispose();
  await service.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function wsUrl(token: string): string {
  return web.url.replace('http://', 'ws://').replace(/\/\?token=.*$/, `/ws?token=${token}`);
}

function opened(ws: WebSocket): Promise<boolean> {
  return new Promise((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
  });
}

describe('netweave serve', () => {
  test('binds 127.0.0.1 and serves the page only with the token', async () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
    const ok = await fetch(web.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const without = await fetch(web.url.replace(/\?token=.*/, ''));
    expect(without.status).toBe(403);
    expect(await without.text()).toMatch(/needs the token/);
    const wrong = await fetch(web.url.replace(/token=.*/, 'token=nope'));
    expect(wrong.status).toBe(403);
  });

  test('refuses a WebSocket without the token or from another origin', async () => {
    expect(await opened(new WebSocket(wsUrl('nope')))).toBe(false);
    const foreign = new WebSocket(wsUrl(web.token), { headers: { origin: 'http://evil.example' } });
    expect(await opened(foreign)).toBe(false);
  });

  test('carries the contract: a call gets its result, a bad call one clear error', async () => {
    const ws = new WebSocket(wsUrl(web.token));
    const replies: unknown[] = [];
    ws.on('message', (m: Buffer) => replies.push(JSON.parse(m.toString('utf8'))));
    expect(await opened(ws)).toBe(true);
    ws.send(JSON.stringify({ t: 'call', id: 1, cmd: 'appInfo', params: {} }));
    ws.send(JSON.stringify({ t: 'call', id: 2, cmd: 'labStatus', params: { lab: 'none' } }));
    await expect.poll(() => replies.length).toBeGreaterThanOrEqual(3);
    expect(replies).toContainEqual(expect.objectContaining({ t: 'event', event: 'serviceState' }));
    const info = replies.find((r) => (r as { id?: number }).id === 1) as
      { t: string; result: { transport: string } } | undefined;
    expect(info?.t).toBe('result');
    expect(info?.result.transport).toBe('websocket');
    expect(replies).toContainEqual(
      expect.objectContaining({
        t: 'error',
        id: 2,
        code: 'not-running',
        message: 'lab "none" is not running; start it with `netweave up FILE`',
      }),
    );
    ws.close();
  });
});
