// The desktop app's service host: the app service in a child process. When it dies the window's
// side is told (serviceState "crashed") and a restart brings it back; calls in between fail
// with one sentence instead of hanging.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { AppEventName } from '../../../src/shared/contract.js';
import { ServiceHost } from '../../../src/main/serviceHost.js';
import { ROOT } from '../../helpers/cli.js';

const ENTRY = join(ROOT, 'dist', 'service', 'host.js');

let host: ServiceHost | undefined;
afterEach(async () => {
  await host?.stop();
});

describe.skipIf(!existsSync(ENTRY))('the service host process', () => {
  test('answers calls, reports a crash, and restarts', async () => {
    const events: [AppEventName, unknown][] = [];
    host = new ServiceHost({
      entry: ENTRY,
      execPath: process.execPath,
      runAsNode: false,
      onEvent: (e, p) => events.push([e, p]),
    });
    host.start();
    const info = (await host.call('appInfo', {})) as { transport: string };
    expect(info.transport).toBe('electron');
    const pid = host.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid ?? 0, 'SIGKILL');
    await expect
      .poll(() =>
        events.some(
          ([e, p]) => e === 'serviceState' && (p as { state: string }).state === 'crashed',
        ),
      )
      .toBe(true);
    await expect(host.call('appInfo', {})).rejects.toThrow(
      /engine service (stopped|is not running)/,
    );
    await host.restart();
    await expect(host.call('recentFiles', {})).resolves.toHaveProperty('files');
  });
});
