// Link impairments from the app, in a real browser against a real `netweave serve` and a real
// lab: the link inspector writes `impair:` into the file while no lab runs, sets and clears
// impairments on the running lab, and the canvas marks the impaired link.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { IS_ROOT, leftovers, ROOT } from '../helpers/cli.js';
import { answerPath, consoleText, useServedApp } from './browser.js';

/** Screenshots land here (gitignored). */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const LAB = 'e2e-impair';
const LINK = 'h1:eth0--sw';

mkdirSync(ARTIFACTS, { recursive: true });
const served = useServedApp('nwe2e-impair-');

async function linkClass(page: Page): Promise<string> {
  return (await page.locator(`[data-testid="link-${LINK}"]`).getAttribute('class')) ?? '';
}

/** The round-trip times of the replies in a console's text, in ms. */
function rtts(text: string): number[] {
  return [...text.matchAll(/time[=<]([\d.]+) ?ms/g)].map((m) => Number(m[1]));
}

describe.skipIf(!IS_ROOT)('link impairments in the app (web mode)', () => {
  test('the link inspector impairs a link of the running lab, the canvas marks it, a ping shows the delay, and Clear lifts it', async () => {
    const { page } = served.app;
    const file = join(served.work, `${LAB}.yaml`);
    const text = readFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), 'utf8');
    writeFileSync(file, text.replace(/^name: two-hosts/m, `name: ${LAB}`));
    await page.locator('[data-testid=open]').click();
    await answerPath(page, file);
    await expect.poll(() => page.locator('[data-testid=file-name]').innerText()).toBe(file);
    await expect.poll(() => page.locator(`[data-testid="link-${LINK}"]`).count()).toBe(1);

    // No lab yet: the form validates as you type and writes the link's `impair:` field.
    await page.locator(`[data-testid="link-${LINK}"]`).click({ force: true });
    await expect.poll(() => page.locator('[data-testid=impair-form]').count()).toBe(1);
    expect(await page.locator('[data-testid=impair-form]').innerText()).toMatch(
      /h1:eth0 → sw[\s\S]*sw → h1:eth0/,
    );
    const ab = page.locator('[data-testid=impair-ab]');
    const ba = page.locator('[data-testid=impair-ba]');
    await ba.fill('delay=fast');
    await expect
      .poll(() => page.locator('[data-testid=impair-error-ba]').innerText())
      .toMatch(/delay/);
    expect(await page.locator('[data-testid=impair-apply-ba]').isDisabled()).toBe(true);
    await ba.fill('delay=1ms');
    await expect.poll(() => page.locator('[data-testid=impair-error-ba]').count()).toBe(0);
    await page.locator('[data-testid=impair-apply-ba]').click();
    await expect
      .poll(() => page.locator('[data-testid=impair-now-ba]').innerText())
      .toBe('in the file: delay=1ms');

    // Launch (saves first): the lab starts with the written impairment, and the canvas marks
    // the link from the lab's status.
    await page.locator('[data-testid=launch]').click();
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 120_000 })
      .toBe('running');
    expect(readFileSync(file, 'utf8')).toMatch(/impair:/);
    await expect.poll(() => linkClass(page), { timeout: 30_000 }).toMatch(/\bimpaired\b/);
    await expect
      .poll(() => page.locator('[data-testid=impair-now-ba]').innerText())
      .toMatch(/^in force: delay=1ms/);
    await expect
      .poll(() => page.locator('[data-testid=node-h1]').getAttribute('data-state'), {
        timeout: 60_000,
      })
      .toBe('ready');

    // 100 ms on h1 → sw, on the running lab.
    await page.locator(`[data-testid="link-${LINK}"]`).click({ force: true });
    await ab.fill('delay=100ms');
    await page.locator('[data-testid=impair-apply-ab]').click();
    await expect
      .poll(() => page.locator('[data-testid=impair-now-ab]').innerText(), { timeout: 30_000 })
      .toMatch(/^in force: delay=100ms/);
    await expect.poll(() => linkClass(page)).toMatch(/\bimpaired\b/);
    await expect.poll(() => page.locator(`[data-testid="impair-${LINK}"]`).isVisible()).toBe(true);
    expect(await page.locator(`[data-testid="impair-${LINK}"]`).getAttribute('title')).toMatch(
      /a->b: delay=100ms/,
    );

    await page.screenshot({ path: join(ARTIFACTS, 'e2e-impair.png') });

    await page.locator('[data-testid=node-h1]').dblclick();
    await page.locator('[data-testid=console-h1]').click();
    await expect.poll(() => consoleText(page, 'h1'), { timeout: 30_000 }).toMatch(/h1#/);
    await page.keyboard.type('ping -c 3 192.0.2.2\n');
    await expect
      .poll(() => consoleText(page, 'h1'), { timeout: 60_000 })
      .toMatch(/3 packets transmitted, 3 (packets )?received/);
    const slow = rtts(await consoleText(page, 'h1'));
    expect(slow.length).toBeGreaterThanOrEqual(3);
    for (const t of slow) expect(t).toBeGreaterThanOrEqual(100);

    // Clear both directions: the mark goes away.
    await page.locator(`[data-testid="link-${LINK}"]`).click({ force: true });
    await page.locator('[data-testid=impair-clear-ab]').click();
    await expect
      .poll(() => page.locator('[data-testid=impair-now-ab]').innerText(), { timeout: 30_000 })
      .toBe('in force: none');
    await page.locator('[data-testid=impair-clear-ba]').click();
    await expect
      .poll(() => page.locator('[data-testid=impair-now-ba]').innerText(), { timeout: 30_000 })
      .toBe('in force: none');
    await expect.poll(() => linkClass(page)).not.toMatch(/\bimpaired\b/);
    expect(await page.locator(`[data-testid="impair-${LINK}"]`).isVisible()).toBe(false);

    await page.locator('[data-testid=stop]').click();
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 60_000 })
      .toBe('stopped');
    expect(await leftovers(served.app.env, LAB)).toEqual([]);
    expect(served.app.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});
