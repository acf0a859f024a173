// Pins the Electron window's security settings and the preload's exposed surface, without the
// Electron binary: both live in modules that do not import electron at run time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  APP_COMMAND_NAMES,
  APP_EVENT_NAMES,
  EngineError,
  type AppEventName,
  type TopologyProblem,
} from '../../../src/shared/contract.js';
import { buildPreloadApi, type PreloadBridge } from '../../../src/preload/api.js';
import { ipcClient } from '../../../src/renderer/src/transport/ipcClient.js';
import {
  APP_CSP,
  consoleWindowOptions,
  isAppUrl,
  mainWindowOptions,
} from '../../../src/main/windowOptions.js';
import { ROOT } from '../../helpers/cli.js';

/** The webPreferences switches every window must have on, and those it must have off. */
const MUST_BE_ON = ['contextIsolation', 'sandbox', 'webSecurity'];
const MUST_BE_OFF = [
  'nodeIntegration',
  'nodeIntegrationInWorker',
  'nodeIntegrationInSubFrames',
  'allowRunningInsecureContent',
  'webviewTag',
  'experimentalFeatures',
];

describe('Electron window security', () => {
  test.each([
    ['main window', mainWindowOptions('/app/preload.cjs')],
    ['console window', consoleWindowOptions('/app/preload.cjs', 'h1')],
  ])('the %s is isolated, sandboxed and has no Node', (_name, options) => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      ...Object.fromEntries(MUST_BE_ON.map((key) => [key, true])),
      ...Object.fromEntries(MUST_BE_OFF.map((key) => [key, false])),
    });
  });

  test('the Content-Security-Policy allows only the app itself: no remote content, no eval', () => {
    const directives = new Map(
      APP_CSP.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name ?? '', values];
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(APP_CSP).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  test('only pages of the app itself count as the app (navigation and IPC senders are checked with it)', () => {
    const app = 'file:///opt/netweave/out/renderer/index.html';
    expect(isAppUrl('file:///opt/netweave/out/renderer/index.html#console=lab/h1', app)).toBe(true);
    expect(isAppUrl('file:///etc/passwd', app)).toBe(false);
    expect(isAppUrl('https://example.com/', app)).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', app)).toBe(false);
  });
});

describe('the preload', () => {
  function fakeBridge(): PreloadBridge & {
    calls: [string, unknown][];
    emit: (e: AppEventName, p: unknown) => void;
    reply: unknown;
  } {
    let listener: ((e: AppEventName, p: unknown) => void) | undefined;
    const bridge = {
      calls: [] as [string, unknown][],
      reply: { ok: true, result: { fine: true } } as unknown,
      invoke(cmd: string, params: unknown) {
        bridge.calls.push([cmd, params]);
        return Promise.resolve(bridge.reply);
      },
      listen(l: (e: AppEventName, p: unknown) => void) {
        listener = l;
      },
      emit(e: AppEventName, p: unknown) {
        listener?.(e, p);
      },
    };
    return bridge;
  }

  test('exposes exactly one method per contract command, plus on and off', () => {
    const api = buildPreloadApi(fakeBridge());
    expect(Object.keys(api).sort()).toEqual([...APP_COMMAND_NAMES, 'off', 'on'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
  });

  test('a command goes to the bridge by name; a failure keeps its code and problems', async () => {
    const bridge = fakeBridge();
    const api = buildPreloadApi(bridge);
    const client = ipcClient(api);
    await expect(client.call('labStatus', { lab: 'x' })).resolves.toEqual({ fine: true });
    expect(bridge.calls).toEqual([['labStatus', { lab: 'x' }]]);
    const problems: TopologyProblem[] = [
      { file: 'lab.yaml', line: 3, column: 5, path: ['nodes', 'h1'], message: 'bad kind' },
    ];
    bridge.reply = { ok: false, code: 'topology', message: 'lab.yaml:3:5: bad kind', problems };
    const err = await client.call('labLaunch', { file: 'lab.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'topology', message: 'lab.yaml:3:5: bad kind', problems });
  });

  test('listeners get only the payload, and off() ends a subscription', () => {
    const bridge = fakeBridge();
    const api = buildPreloadApi(bridge);
    const seen: unknown[][] = [];
    const id = api.on('labs', (...args: unknown[]) => seen.push(args));
    bridge.emit('labs', { labs: [] });
    bridge.emit('serviceState', { state: 'running' });
    api.off(id);
    bridge.emit('labs', { labs: [1] });
    expect(seen).toEqual([[{ labs: [] }]]);
    expect(() => api.on('nope' as AppEventName, () => undefined)).toThrow(/unknown event/);
    expect(APP_EVENT_NAMES).toContain('labCounters');
  });

  test('the preload file hands only that API to the page, never ipcRenderer', () => {
    const source = readFileSync(join(ROOT, 'src', 'preload', 'index.ts'), 'utf8');
    expect(source.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(source).toMatch(/exposeInMainWorld\(\s*'netweave',\s*buildPreloadApi\(/);
    // The IPC event object is dropped before anything reaches the API.
    expect(source).toMatch(
      /\(_event, name: AppEventName, payload: unknown\) =>\s*listener\(name, payload\)/,
    );
  });
});
