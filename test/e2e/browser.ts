// Runs `netweave serve` in a private runtime directory and drives the page in Chromium through
// playwright-core (the system Chromium; never a downloaded browser).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CliEnv, serveUrl } from '../helpers/cli.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../src/bench/chromium.js';

/** A running `netweave serve` and a browser page on it. */
export interface ServedApp {
  env: CliEnv;
  url: string;
  page: Page;
  /** What the page logged as errors (uncaught exceptions and console errors). */
  errors: string[];
  close(): Promise<void>;
}

/** Starts `netweave serve --port 0`, waits for its URL, opens it in a fresh Chromium profile. */
export async function serveAndOpen(): Promise<ServedApp> {
  const config = mkdtempSync(join(tmpdir(), 'nwe2e-config-'));
  const env = new CliEnv({ NETWEAVE_CONFIG_DIR: config });
  const server: ChildProcess = env.spawn(['serve', '--port', '0']);
  const url = await serveUrl(server);
  const profile = mkdtempSync(join(tmpdir(), 'nwe2e-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', ...CHROMIUM_ARGS],
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return {
    env,
    url,
    page,
    errors,
    close: async () => {
      await context.close();
      const exited = new Promise<void>((r) => server.once('exit', () => r()));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
      rmSync(profile, { recursive: true, force: true });
      rmSync(config, { recursive: true, force: true });
    },
  };
}

/** Answers the app's path prompt (open, save) with `path`. */
export async function answerPath(page: Page, path: string): Promise<void> {
  await page.locator('[data-testid=path-input]').fill(path);
  await page.locator('[data-testid=path-ok]').click();
}

/** The visible text of a node's console. */
export async function consoleText(page: Page, node: string): Promise<string> {
  return page.locator(`[data-testid=console-${node}] .xterm-rows`).innerText();
}

/**
 * The served app of a test file and a scratch folder for its lab files (named from `prefix`):
 * opened before the file's tests, closed and removed after them. Read both inside tests.
 */
export function useServedApp(prefix: string): { readonly app: ServedApp; readonly work: string } {
  let app: ServedApp | undefined;
  let work: string | undefined;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), prefix));
    app = await serveAndOpen();
  });
  afterAll(async () => {
    await app?.close();
    app?.env.dispose();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not ready: use it inside a test`);
    return value;
  };
  return {
    get app() {
      return must(app, 'the served app');
    },
    get work() {
      return must(work, 'the scratch folder');
    },
  };
}
