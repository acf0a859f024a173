// The fault timeline in the app, in a real browser against a real `netweave serve` and a real
// lab: each firing of the file's faults reaches the toolbar as it happens, with its time.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { IS_ROOT, leftovers, ROOT } from '../helpers/cli.js';
import { answerPath, useServedApp } from './browser.js';

const LAB = 'e2e-faults';

const served = useServedApp('nwe2e-faults-');

describe.skipIf(!IS_ROOT)('the fault timeline in the app (web mode)', () => {
  test('shows each firing as it happens: the link pulled at 1 s, plugged back at 3 s', async () => {
    const { page } = served.app;
    const file = join(served.work, `${LAB}.yaml`);
    const text = readFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), 'utf8');
    writeFileSync(
      file,
      `${text.replace(/^name: two-hosts/m, `name: ${LAB}`)}faults:\n  - {at: 1s, for: 2s, link: h1:eth0--sw, action: down}\n`,
    );
    await page.locator('[data-testid=open]').click();
    await answerPath(page, file);
    await expect.poll(() => page.locator('[data-testid=file-name]').innerText()).toBe(file);
    expect(await page.locator('[data-testid=fault-last]').count()).toBe(0);

    await page.locator('[data-testid=launch]').click();
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 120_000 })
      .toBe('running');
    const last = page.locator('[data-testid=fault-last]');
    await expect
      .poll(() => last.innerText().catch(() => ''), { timeout: 30_000 })
      .toMatch(/^\d+\.\d s: fault 1 \(at 1s for 2s: link h1:eth0--sw down\) up$/);
    // Both firings, in order, each with its time after ready.
    const all = ((await last.getAttribute('title')) ?? '').split('\n');
    expect(all).toHaveLength(2);
    expect(all[0]).toMatch(/^(1|2)\.\d s: fault 1 .* down$/);
    expect(all[1]).toMatch(/^(3|4)\.\d s: fault 1 .* up$/);

    await page.locator('[data-testid=stop]').click();
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 60_000 })
      .toBe('stopped');
    expect(await leftovers(served.app.env, LAB)).toEqual([]);
    expect(served.app.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
