// The app in a real browser against a real `netweave serve` and real labs: build a lab on an
// empty canvas, save it, reopen it, launch it, ping through a console, watch the link's
// counters, stop it; and open a bad file without losing the canvas.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { IS_ROOT, leftovers, ROOT } from '../helpers/cli.js';
import { answerPath, consoleText, useServedApp } from './browser.js';

/** Screenshots land here (gitignored). */
const ARTIFACTS = resolve(ROOT, 'test-artifacts');
const LAB = 'e2e-canvas';

mkdirSync(ARTIFACTS, { recursive: true });
const served = useServedApp('nwe2e-files-');

async function dropKind(page: Page, kind: string, x: number, y: number): Promise<void> {
  await page.dragAndDrop(
    `[data-testid=palette-${kind}]`,
    '[data-testid=canvas] .react-flow__pane',
    {
      targetPosition: { x, y },
    },
  );
}

async function connect(page: Page, a: string, b: string): Promise<void> {
  const from = await page.locator(`[data-testid=handle-${a}]`).boundingBox();
  const to = await page.locator(`[data-testid=node-${b}]`).boundingBox();
  if (!from || !to) throw new Error(`nodes ${a} or ${b} are not on the canvas`);
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  const handle = await page.locator(`[data-testid=handle-${b}]`).boundingBox();
  if (handle)
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.up();
}

async function setField(page: Page, node: string, field: string, value: string): Promise<void> {
  await page.locator(`[data-testid=node-${node}]`).click();
  const input = page.locator(`[data-testid="field-${field}"]`);
  await input.fill(value);
  await input.press('Enter');
}

describe.skipIf(!IS_ROOT)('the served.app in a browser (web mode)', () => {
  test('builds a lab from an empty canvas, saves, reopens, launches, pings through a console, shows counters and stops', async () => {
    const { page } = served.app;
    await page.locator('[data-testid=start-new]').click();
    await dropKind(page, 'host', 200, 150);
    await dropKind(page, 'host', 200, 450);
    await dropKind(page, 'switch', 550, 300);
    for (const n of ['h1', 'h2', 'sw1'])
      await expect.poll(() => page.locator(`[data-testid=node-${n}]`).count()).toBe(1);

    await connect(page, 'h1', 'sw1');
    await connect(page, 'h2', 'sw1');
    await expect.poll(() => page.locator('[data-testid="link-h1:eth0--sw1"]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="link-h2:eth0--sw1"]').count()).toBe(1);
    // An impossible link is refused with the reason: a second link between two switches
    // closes a loop. The extra switch is then deleted with the Delete key.
    await dropKind(page, 'switch', 750, 300);
    await connect(page, 'sw1', 'sw2');
    await expect.poll(() => page.locator('[data-testid="link-sw1--sw2"]').count()).toBe(1);
    await connect(page, 'sw2', 'sw1');
    await expect
      .poll(() => page.locator('[data-testid=notice]').innerText())
      .toMatch(/cannot link sw2 and sw1: .*loop/);
    await page.locator('[data-testid=node-sw2]').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.locator('[data-testid=node-sw2]').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="link-sw1--sw2"]').count()).toBe(0);

    await setField(page, 'h1', 'interfaces.eth0.ipv4', '192.0.2.1/24');
    await setField(page, 'h2', 'interfaces.eth0.ipv4', '192.0.2.2/24');
    // Inline validation: an address that is not one shows its problem next to the field.
    await setField(page, 'h2', 'interfaces.eth0.ipv6', 'not-an-address');
    await expect.poll(() => page.locator('.field.invalid').count()).toBeGreaterThan(0);
    // Undo (focus on the canvas: inside a text field Ctrl+Z is the field's own undo).
    await page.locator('[data-testid=node-h2]').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('.field.invalid').count()).toBe(0);
    await expect
      .poll(() => page.locator('[data-testid="field-interfaces.eth0.ipv4"]').inputValue())
      .toBe('192.0.2.2/24');
    // Copy and paste a node (it gets a fresh name), then undo the paste.
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(() => page.locator('[data-testid=node-h3]').count()).toBe(1);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.locator('[data-testid=node-h3]').count()).toBe(0);

    await page.locator('.react-flow__pane').click({ position: { x: 700, y: 650 } });
    const name = page.locator('[data-testid=lab-name]');
    await name.fill(LAB);
    await name.blur();

    const file = join(served.work, 'e2e-canvas.yaml');
    await page.locator('[data-testid=save]').click();
    await answerPath(page, file);
    await expect.poll(() => page.locator('[data-testid=file-name]').innerText()).toBe(file);
    const saved = readFileSync(file, 'utf8');
    expect(saved).toMatch(/name: e2e-canvas/);
    expect(saved).toMatch(/192\.0\.2\.1\/24/);
    const check = await served.app.env.run(['validate', file]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const layout = JSON.parse(readFileSync(`${file}.layout.json`, 'utf8')) as {
      nodes: Record<string, unknown>;
    };
    expect(Object.keys(layout.nodes).sort()).toEqual(['h1', 'h2', 'sw1']);

    // Reopen: a fresh page, the file from disk.
    await page.reload();
    await page.locator('[data-testid=open]').click();
    await answerPath(page, file);
    for (const n of ['h1', 'h2', 'sw1'])
      await expect.poll(() => page.locator(`[data-testid=node-${n}]`).count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="link-h1:eth0--sw1"]').count()).toBe(1);

    await page.locator('[data-testid=launch]').click();
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 90_000 })
      .toBe('running');
    await expect
      .poll(() => page.locator('[data-testid=node-h1]').getAttribute('data-state'))
      .toBe('ready');

    // Double-click a node for its console.
    await page.locator('[data-testid=node-h1]').dblclick();
    const term = page.locator('[data-testid=console-h1]');
    await term.click();
    await expect.poll(() => consoleText(page, 'h1'), { timeout: 20_000 }).toMatch(/h1#/);
    await page.keyboard.type('ping -c 3 192.0.2.2\n');
    await expect
      .poll(() => consoleText(page, 'h1'), { timeout: 30_000 })
      .toMatch(/3 packets transmitted, 3 (packets )?received/);
    expect(await consoleText(page, 'h1')).toMatch(/bytes from 192\.0\.2\.2/);

    const rate = page.locator('[data-testid="rate-h1:eth0--sw1"]');
    await expect
      .poll(async () => Number(await rate.getAttribute('data-frames')), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(6);
    // Traffic while we watch: the rate label shows frames per second above zero.
    await page.keyboard.type('ping -c 20 -i 0.2 192.0.2.2\n');
    await expect.poll(() => rate.innerText(), { timeout: 10_000 }).toMatch(/→ [1-9]/);
    await page
      .locator('[data-testid=canvas]')
      .screenshot({ path: join(ARTIFACTS, 'e2e-canvas-running.png') });
    await page.locator('.console-panel').screenshot({ path: join(ARTIFACTS, 'e2e-console.png') });

    // A console popped out into its own window replays the scrollback.
    const [popup] = await Promise.all([
      page.context().waitForEvent('page'),
      page.locator('.console-tools button', { hasText: 'Pop out' }).click(),
    ]);
    await expect
      .poll(() => popup.locator('[data-testid=console-h1] .xterm-rows').innerText(), {
        timeout: 15_000,
      })
      .toMatch(/3 packets transmitted/);
    await popup.close();

    // Capture on the link: without Wireshark the pcapng stream is downloaded.
    await page.locator('[data-testid="link-h1:eth0--sw1"]').click({ force: true });
    await expect.poll(() => page.locator('[data-testid=link-inspector]').count()).toBe(1);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.locator('[data-testid=link-inspector] button', { hasText: 'Capture link' }).click(),
    ]);
    const pcap = join(served.work, 'capture.pcapng');
    await download.saveAs(pcap);
    // pcapng starts with a Section Header Block (0x0A0D0D0A).
    expect(readFileSync(pcap).subarray(0, 4).toString('hex')).toBe('0a0d0d0a');
    // The link details: totals and drops by cause, and a sparkline of the rate.
    await expect
      .poll(() => page.locator('[data-testid=link-details]').innerText())
      .toMatch(/total\s+[1-9]\d* frames[\s\S]*drops: no-destination/);
    expect(await page.locator('[data-testid=sparkline]').count()).toBe(1);

    // One node stopped and started again, its state drawn on the canvas.
    await page.locator('[data-testid=node-h2]').click();
    await page.locator('[data-testid=node-inspector] button', { hasText: /^Stop$/ }).click();
    await expect
      .poll(() => page.locator('[data-testid=node-h2]').getAttribute('data-state'), {
        timeout: 30_000,
      })
      .toBe('stopped');
    await page.locator('[data-testid=node-inspector] button', { hasText: /^Start$/ }).click();
    await expect
      .poll(() => page.locator('[data-testid=node-h2]').getAttribute('data-state'), {
        timeout: 30_000,
      })
      .toBe('ready');

    await page.locator('[data-testid=stop]').click();
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 60_000 })
      .toBe('stopped');
    expect(await leftovers(served.app.env, LAB)).toEqual([]);
    expect(served.app.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });

  test('a bad file shows the same error as the CLI and the canvas keeps its state', async () => {
    const { page } = served.app;
    const bad = join(served.work, 'bad.yaml');
    writeFileSync(
      bad,
      'name: bad\nnodes:\n  h1: {kind: host}\n  x: {kind: router}\nlinks:\n  - endpoints: [h1:eth0, nowhere]\n',
    );
    const before = await page.locator('.react-flow__node').count();
    expect(before).toBeGreaterThan(0);
    await page.locator('[data-testid=open]').click();
    await answerPath(page, bad);
    const cli = await served.app.env.run(['validate', bad]);
    expect(cli.code).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid=open-problems-text]').innerText())
      .toBe(cli.stderr.trimEnd());
    expect(await page.locator('.react-flow__node').count()).toBe(before);
    expect(await page.locator('[data-testid=node-h1]').count()).toBe(1);
  });
});

describe('radio media on the canvas', () => {
  test('members of a range medium show the circle they are heard in; a pinned member does not', async () => {
    const { page } = served.app;
    const file = join(served.work, 'radio.yaml');
    writeFileSync(
      file,
      [
        'name: e2e-radio',
        'nodes:',
        '  z1: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}',
        '  z2: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}',
        '  z3: {kind: qemu, board: qemu_x86, kernel: zephyr.elf}',
        '  air: {kind: radio-154, delivery: range, range: 150, positions: {z3: [600, 0]}}',
        'links:',
        '  - {kind: uart-pipe-154, endpoints: [z1:serial1, air]}',
        '  - {kind: uart-pipe-154, endpoints: [z2:serial1, air]}',
        '  - {kind: uart-pipe-154, endpoints: [z3:serial1, air]}',
        '',
      ].join('\n'),
    );
    const nodes = {
      z1: { x: 0, y: 0 },
      z2: { x: 120, y: 0 },
      z3: { x: 600, y: 0 },
      air: { x: 60, y: 200 },
    };
    writeFileSync(`${file}.layout.json`, JSON.stringify({ version: 1, nodes }));
    await page.locator('[data-testid=open]').click();
    await answerPath(page, file);
    await expect.poll(() => page.locator('[data-testid=file-name]').innerText()).toBe(file);
    await expect.poll(() => page.locator('[data-testid=radio-range-z1]').count()).toBe(1);
    expect(await page.locator('[data-testid=radio-range-z2]').count()).toBe(1);
    expect(await page.locator('[data-testid=radio-range-z3]').count()).toBe(0);
    // The circle's diameter is twice the range in canvas units, at the canvas's zoom (z1 and
    // z2 are 120 units apart).
    const n1 = await page.locator('[data-testid=node-z1]').boundingBox();
    const n2 = await page.locator('[data-testid=node-z2]').boundingBox();
    const zoom = ((n2?.x ?? 0) - (n1?.x ?? 0)) / 120;
    expect(zoom).toBeGreaterThan(0);
    const box = await page.locator('[data-testid=radio-range-z1]').boundingBox();
    expect(Math.abs((box?.width ?? 0) - 300 * zoom)).toBeLessThan(2);
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-radio.png') });
  });
});

describe.skipIf(!IS_ROOT)('attaching to a lab started from the command line', () => {
  test('a lab started with `netweave up` is listed, attached to, and shown running', async () => {
    const { page } = served.app;
    const file = join(served.work, 'cli-lab.yaml');
    const text = readFileSync(join(ROOT, 'examples', 'two-hosts.yaml'), 'utf8');
    writeFileSync(file, text.replace(/^name: two-hosts/m, 'name: e2e-cli'));
    const up = await served.app.env.run(['up', file, '--detach']);
    expect(up.code, up.stderr).toBe(0);
    try {
      await page.reload();
      const entry = page.locator('[data-testid=running-labs] button', { hasText: 'e2e-cli' });
      await entry.click();
      await expect
        .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 30_000 })
        .toBe('running');
      await expect
        .poll(() => page.locator('[data-testid=node-h1]').getAttribute('data-state'))
        .toBe('ready');
      await expect.poll(() => page.locator('[data-testid=file-name]').innerText()).toBe(file);
    } finally {
      await served.app.env.run(['down', 'e2e-cli']);
    }
    // Taken down from the command line: the served.app shows it stopped, not crashed.
    await expect
      .poll(() => page.locator('[data-testid=lab-state]').innerText(), { timeout: 30_000 })
      .toBe('stopped');
    expect(await leftovers(served.app.env, 'e2e-cli')).toEqual([]);
  });
});
