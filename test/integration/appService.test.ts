// The app service (compiled, in the service host process the desktop app uses) against a real
// lab: launch from a file, lab events forwarded with the lab's
// name, a console attached late (scrollback, then live output without repeats), flow control
// that skips output for a viewer that stops acknowledging, and a stop that leaves nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ServiceHost } from '../../src/main/serviceHost.js';
import { FLOW_HIGH_WATERMARK_CHARS } from '../../src/engine/process/batchedStream.js';
import type {
  AppCommandName,
  AppEventName,
  AppEvents,
  AppParams,
  AppResult,
} from '../../src/shared/contract.js';
import { CliEnv, IS_ROOT, leftovers, ROOT, until } from '../helpers/cli.js';

const LAB = 'app-service';

describe.skipIf(!IS_ROOT)('the app service with a real lab', () => {
  const env = new CliEnv();
  const saved = { ...process.env };
  let host: ServiceHost;
  const listeners = new Map<AppEventName, ((p: unknown) => void)[]>();
  const service = {
    call: <K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>> =>
      host.call(cmd, params) as Promise<AppResult<K>>,
    on: <E extends AppEventName>(event: E, l: (p: AppEvents[E]) => void): void => {
      listeners.set(event, [...(listeners.get(event) ?? []), l as (p: unknown) => void]);
    },
  };
  let file: string;
  const work = mkdtempSync(join(tmpdir(), 'nwapp-'));

  beforeAll(() => {
    process.env['NETWEAVE_RUNTIME_DIR'] = env.runtime;
    process.env['NETWEAVE_LOG_DIR'] = env.logs;
    process.env['NETWEAVE_CONFIG_DIR'] = join(work, 'config');
    file = join(work, 'lab.yaml');
    const text = readFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), 'utf8');
    writeFileSync(file, text.replace(/^name: two-hosts/m, `name: ${LAB}`));
    host = new ServiceHost({
      entry: join(ROOT, 'dist', 'service', 'host.js'),
      execPath: process.execPath,
      runAsNode: false,
      onEvent: (event, payload) => {
        for (const l of listeners.get(event) ?? []) l(payload);
      },
    });
    host.start();
  });

  afterAll(async () => {
    await host.stop();
    process.env = saved;
    env.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('launches, forwards events, joins scrollback and live output, holds a slow viewer, and stops clean', async () => {
    const states: AppEvents['labLabState'][] = [];
    const counters: AppEvents['labCounters'][] = [];
    const output: AppEvents['consoleOutput'][] = [];
    service.on('labLabState', (e) => states.push(e));
    service.on('labCounters', (e) => counters.push(e));
    service.on('consoleOutput', (e) => output.push(e));

    const launched = await service.call('labLaunch', { file });
    expect(launched).toMatchObject({ lab: LAB, network: 'isolated' });
    expect(launched.logDir).toContain(`/${LAB}/`);
    expect(await until(() => states.some((s) => s.state === 'running'), 60_000)).toBe(true);
    expect(states.every((s) => s.lab === LAB)).toBe(true);
    expect(await until(() => counters.length > 0, 5_000)).toBe(true);

    // A console attached late: the scrollback, then only new output.
    await service.call('labConsoleWrite', { lab: LAB, node: 'h1', data: 'echo EARLY-$((40+2))\n' });
    await new Promise((r) => setTimeout(r, 500));
    const first = await service.call('consoleAttach', { lab: LAB, node: 'h1' });
    expect(first.data).toContain('EARLY-42');
    await service.call('labConsoleWrite', { lab: LAB, node: 'h1', data: 'echo LATE-$((40+3))\n' });
    const live = (): string =>
      output
        .filter((o) => o.viewer === first.viewer)
        .map((o) => o.data)
        .join('');
    expect(await until(() => live().includes('LATE-43'), 10_000)).toBe(true);
    expect(live()).not.toContain('EARLY-42');
    const mine = output.filter((o) => o.viewer === first.viewer);
    expect(mine[0]?.offset).toBe(first.offset);
    await service.call('consoleAck', { viewer: first.viewer, chars: live().length });

    // A flood to a viewer that never acknowledges: it is held near the high watermark and
    // the rest is skipped (the offsets jump), instead of queueing without bound.
    const slow = await service.call('consoleAttach', { lab: LAB, node: 'h2' });
    await service.call('labConsoleWrite', {
      lab: LAB,
      node: 'h2',
      data: 'head -c 6000000 /dev/zero | tr "\\0" x; echo; echo FLOOD-$((40+4))\n',
    });
    const slowOut = (): AppEvents['consoleOutput'][] =>
      output.filter((o) => o.viewer === slow.viewer);
    expect(
      await until(async () => {
        const s = await service.call('labConsoleScrollback', { lab: LAB, node: 'h2' });
        return /FLOOD-44/.test(s.data);
      }, 30_000),
    ).toBe(true);
    const delivered = slowOut().reduce((n, o) => n + o.data.length, 0);
    expect(delivered).toBeLessThan(FLOW_HIGH_WATERMARK_CHARS + 300_000);
    // Once acknowledged, output flows again and the gap shows in the offsets.
    await service.call('consoleAck', { viewer: slow.viewer, chars: delivered });
    await service.call('labConsoleWrite', { lab: LAB, node: 'h2', data: 'echo AFTER-$((40+5))\n' });
    expect(await until(() => slowOut().some((o) => o.data.includes('AFTER-45')), 10_000)).toBe(
      true,
    );
    const last = slowOut().at(-1);
    expect((last?.offset ?? 0) - slow.offset).toBeGreaterThan(delivered);

    await service.call('consoleDetach', { viewer: slow.viewer });
    await service.call('consoleDetach', { viewer: first.viewer });
    await service.call('labStop', { lab: LAB });
    expect((await service.call('labList', {})).labs).toContainEqual(
      expect.objectContaining({ name: LAB, state: 'stopped' }),
    );
    expect(await leftovers(env, LAB)).toEqual([]);
  });
});
