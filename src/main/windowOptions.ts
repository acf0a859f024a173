// The security settings of every netweave window, in a module that does not import electron at
// run time, so a unit test can pin them.
import { APP_CSP } from '../shared/csp.js';
import type { BrowserWindowConstructorOptions } from 'electron';

/** The Content-Security-Policy of the app's pages (shared with web mode). */
export { APP_CSP };

/** The webPreferences every window gets: isolated, sandboxed, no Node in the page. */
export function secureWebPreferences(
  preload: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Options of the main window. */
export function mainWindowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 800,
    minHeight: 500,
    title: 'netweave',
    show: false,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preload),
  };
}

/** Options of a popped-out console window. */
export function consoleWindowOptions(
  preload: string,
  title: string,
): BrowserWindowConstructorOptions {
  return {
    width: 900,
    height: 600,
    title,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preload),
  };
}

/**
 * True when `url` is a page of the app itself: the bundled renderer (same file, any hash) or,
 * in development, the electron-vite dev server. Everything else is refused.
 */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const a = new URL(appUrl);
    if (u.protocol !== a.protocol) return false;
    if (u.protocol === 'file:') return u.pathname === a.pathname;
    return u.origin === a.origin;
  } catch {
    return false;
  }
}
