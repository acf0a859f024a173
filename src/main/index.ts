// Electron main: one window with a sandboxed, isolated renderer; the app service in a child
// process; the contract bridged over IPC with every sender checked.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  session,
  type IpcMainInvokeEvent,
  type WebContents,
} from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  toWireError,
  type AppCommandName,
  type AppEventName,
  type AppInfo,
} from '../shared/contract.js';
import { APP_COMMAND_NAMES } from '../shared/contract.js';
import { ServiceHost } from './serviceHost.js';
import { APP_CSP, consoleWindowOptions, isAppUrl, mainWindowOptions } from './windowOptions.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../shared/ipcChannels.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const preload = join(here, '../preload/index.cjs');
const devUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = join(here, '../renderer/index.html');
const appUrl = devUrl ?? `file://${rendererFile}`;

const windows = new Set<BrowserWindow>();

function broadcast(event: AppEventName, payload: unknown): void {
  for (const w of windows) if (!w.isDestroyed()) w.webContents.send(EVENT_CHANNEL, event, payload);
}

/** The Node that runs the service host: system node in development, Electron as Node when packaged. */
function hostCommand(): { execPath: string; runAsNode: boolean } {
  if (!app.isPackaged)
    return { execPath: process.env['NETWEAVE_NODE'] ?? 'node', runAsNode: false };
  return { execPath: process.execPath, runAsNode: true };
}

const host = new ServiceHost({
  entry: join(app.getAppPath(), 'dist', 'service', 'host.js'),
  ...hostCommand(),
  onEvent: broadcast,
});

function load(win: BrowserWindow, hash = ''): void {
  if (devUrl) void win.loadURL(`${devUrl}${hash ? `#${hash}` : ''}`);
  else void win.loadFile(rendererFile, hash ? { hash } : {});
}

function track(win: BrowserWindow): BrowserWindow {
  windows.add(win);
  win.on('closed', () => windows.delete(win));
  return win;
}

function createMainWindow(): BrowserWindow {
  const win = track(new BrowserWindow(mainWindowOptions(preload)));
  win.once('ready-to-show', () => win.show());
  load(win);
  return win;
}

/** True when an IPC message comes from the main frame of one of our windows showing our page. */
function trustedSender(e: IpcMainInvokeEvent): boolean {
  const frame = e.senderFrame;
  if (!frame || frame !== e.sender.mainFrame) return false;
  if (![...windows].some((w) => w.webContents === e.sender)) return false;
  return isAppUrl(frame.url, appUrl);
}

async function handle(
  e: IpcMainInvokeEvent,
  cmd: AppCommandName,
  params: unknown,
): Promise<unknown> {
  const win = BrowserWindow.fromWebContents(e.sender);
  switch (cmd) {
    case 'appInfo': {
      const info = (await host.call('appInfo', {})) as AppInfo;
      return {
        ...info,
        transport: 'electron',
        nativeDialogs: true,
        popOut: true,
      } satisfies AppInfo;
    }
    case 'chooseFile': {
      const p = params as { mode: 'open' | 'save' | 'directory'; defaultPath?: string };
      const filters = [{ name: 'netweave topology', extensions: ['yaml', 'yml'] }];
      if (p.mode === 'save') {
        const r = win
          ? await dialog.showSaveDialog(win, {
              filters,
              ...(p.defaultPath ? { defaultPath: p.defaultPath } : {}),
            })
          : await dialog.showSaveDialog({ filters });
        return { file: r.canceled ? null : (r.filePath ?? null) };
      }
      const props: ('openFile' | 'openDirectory')[] =
        p.mode === 'directory' ? ['openDirectory'] : ['openFile'];
      const r = win
        ? await dialog.showOpenDialog(win, {
            properties: props,
            ...(p.mode === 'open' ? { filters } : {}),
          })
        : await dialog.showOpenDialog({ properties: props });
      return { file: r.canceled ? null : (r.filePaths[0] ?? null) };
    }
    case 'consolePopOut': {
      const p = params as { lab: string; node: string };
      const w = track(new BrowserWindow(consoleWindowOptions(preload, `${p.node} - ${p.lab}`)));
      load(w, `console=${encodeURIComponent(p.lab)}/${encodeURIComponent(p.node)}`);
      return {};
    }
    case 'serviceRestart':
      await host.restart();
      return {};
    default:
      return host.call(cmd, params);
  }
}

function harden(contents: WebContents): void {
  contents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url, appUrl)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isAppUrl(url, appUrl)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-prevent-unload', (e) => {
    const win = BrowserWindow.fromWebContents(contents);
    const opts = {
      type: 'question' as const,
      buttons: ['Discard changes', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'The lab has unsaved changes. Discard them?',
    };
    const choice = win ? dialog.showMessageBoxSync(win, opts) : dialog.showMessageBoxSync(opts);
    if (choice === 0) e.preventDefault();
  });
}

app.on('web-contents-created', (_e, contents) => harden(contents));

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write'),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] },
    });
  });
  ipcMain.handle(CALL_CHANNEL, async (e, cmd: unknown, params: unknown) => {
    if (!trustedSender(e))
      return { ok: false, code: 'permission', message: 'this page may not use netweave' };
    if (typeof cmd !== 'string' || !APP_COMMAND_NAMES.includes(cmd as AppCommandName)) {
      return { ok: false, code: 'bad-request', message: `unknown command "${String(cmd)}"` };
    }
    try {
      return { ok: true, result: await handle(e, cmd as AppCommandName, params ?? {}) };
    } catch (err) {
      return { ok: false, ...toWireError(err) };
    }
  });
  if (!existsSync(join(app.getAppPath(), 'dist', 'service', 'host.js'))) {
    dialog.showErrorBox(
      'netweave is not built',
      'Run `npm run build` in the netweave folder, then start the app again.',
    );
  }
  host.start();
  createMainWindow();
});

app.on('window-all-closed', () => {
  void host.stop().finally(() => app.quit());
});
