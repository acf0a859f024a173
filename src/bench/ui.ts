// UI benchmark: the built renderer in Chromium (playwright-core) against a synthetic app
// service, so the numbers are the renderer's own: frame rate and input latency on a 200-node,
// 300-link lab whose counters update at 4 Hz, and the console throughput a tab sustains under
// flow control without freezing.
import {
  APP_EVENT_NAMES,
  EngineError,
  type AppClient,
  type AppCommandName,
  type AppEventName,
  type AppEvents,
  type AppParams,
  type AppResult,
  type CounterSnapshot,
  type LinkStatus,
} from '../shared/contract.js';
import { DROP_CAUSES, type DropCause } from '../shared/kinds.js';
import { Emitter, type Disposable } from '../shared/lifecycle.js';
import { BatchedStream } from '../engine/process/batchedStream.js';
import { findRendererDir, WebServer } from '../service/webServer.js';
import { COUNTER_PUBLISH_MS } from '../engine/lab.js';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

/** Size of the synthetic lab (nodes count its switches): what the renderer must stay smooth on. */
const LAB = { nodes: 200, links: 300, switches: 20 };
/** How long each measurement runs: long enough for a stable frame rate, short for CI. */
const MEASURE_MS = 5_000;
/** Clicks whose input-to-frame latency is measured. */
const CLICKS = 30;
/** One console line of the flood: 100 characters with a newline, like a chatty boot log. */
const FLOOD_LINE = `${'x'.repeat(90)} 0123456\r\n`;

/** Results of the UI benchmark. */
export interface UiBenchResult {
  nodes: number;
  links: number;
  counterHz: number;
  canvas: { fps: number; maxFrameGapMs: number; scriptMsPerSecond: number };
  input: { samples: number; p50Ms: number; p95Ms: number; maxMs: number };
  console: { mbPerSecond: number; fps: number; maxFrameGapMs: number; chars: number };
}

/** Topology text of the synthetic lab: 20 switches in a tree, 180 hosts, 300 links. */
function syntheticLab(): { text: string; links: LinkStatus[] } {
  const { switches } = LAB;
  const hosts = LAB.nodes - switches;
  const lines = ['name: bench-ui', 'nodes:'];
  for (let s = 0; s < switches; s++) lines.push(`  sw${s}: {kind: switch}`);
  const ports = new Map<number, number>();
  const links: [string, string][] = [];
  for (let s = 1; s < switches; s++) links.push([`sw${Math.floor((s - 1) / 2)}`, `sw${s}`]);
  let h = 0;
  while (links.length < LAB.links) {
    const host = h % hosts;
    const port = ports.get(host) ?? 0;
    ports.set(host, port + 1);
    links.push([`h${host}:eth${port}`, `sw${(h * 7) % switches}`]);
    h++;
  }
  for (let i = 0; i < hosts; i++) {
    const n = ports.get(i) ?? 0;
    const itfs = Array.from({ length: n }, (_, p) => `eth${p}: {}`).join(', ');
    lines.push(`  h${i}: {kind: host, interfaces: {${itfs}}}`);
  }
  lines.push('links:');
  for (const [a, b] of links) lines.push(`  - endpoints: [${a}, ${b}]`);
  const status: LinkStatus[] = links.map(([a, b]) => ({
    id: `${a}--${b}`,
    kind: 'ethernet',
    linkType: 'ethernet',
    endpoints: [a, b],
    ports: [a.includes(':') ? a : `${a}:${b}`],
  }));
  return { text: `${lines.join('\n')}\n`, links: status };
}

function drops(): Record<DropCause, number> {
  return Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as Record<DropCause, number>;
}

/** An app service that serves the synthetic lab, counters at 4 Hz and a console flood. */
class SyntheticService implements AppClient, Disposable {
  private readonly emitters = new Map<AppEventName, Emitter<unknown>>(
    APP_EVENT_NAMES.map((e) => [e, new Emitter<unknown>()]),
  );
  private readonly lab = syntheticLab();
  private timer: NodeJS.Timeout | undefined;
  private flood: { stream: BatchedStream; timer: NodeJS.Timeout } | undefined;
  private frames = 0;
  private consoleNode = '';
  /** Characters the console viewer acknowledged (it has drawn them). */
  acked = 0;

  private fire<E extends AppEventName>(event: E, payload: AppEvents[E]): void {
    this.emitters.get(event)?.fire(payload);
  }

  on<E extends AppEventName>(event: E, listener: (payload: AppEvents[E]) => void): Disposable {
    const e = this.emitters.get(event);
    if (!e) throw new EngineError('bad-request', `unknown event ${event}`);
    return e.event(listener as (p: unknown) => void);
  }

  private snapshot(): CounterSnapshot {
    this.frames += 40;
    return {
      time: Date.now(),
      ports: this.lab.links.map((l, i) => {
        const f = this.frames * ((i % 10) + 1);
        return {
          port: l.ports[0] ?? '',
          linkType: 'ethernet' as const,
          rx: { frames: f, bytes: f * 98, drops: drops() },
          tx: { frames: f / 2, bytes: (f / 2) * 98, drops: drops() },
        };
      }),
    };
  }

  /** Starts the 4 Hz counter stream. */
  startCounters(): void {
    this.timer = setInterval(
      () => this.fire('labCounters', { ...this.snapshot(), lab: 'bench-ui' }),
      COUNTER_PUBLISH_MS,
    );
  }

  /** Starts flooding the console viewer, paced only by flow control (acknowledgements). */
  startFlood(viewer: string): void {
    let paused = false;
    const stream = new BatchedStream({
      source: { pause: () => (paused = true), resume: () => (paused = false) },
    });
    let offset = 0;
    stream.onBatch((data) => {
      this.fire('consoleOutput', { viewer, lab: 'bench-ui', node: this.consoleNode, data, offset });
      offset += data.length;
    });
    const chunk = FLOOD_LINE.repeat(100);
    // Produce as fast as the event loop allows while not paused, as a pty would.
    const timer = setInterval(() => {
      for (let i = 0; i < 20 && !paused; i++) stream.push(chunk);
    }, 1);
    this.flood = { stream, timer };
  }

  async call<K extends AppCommandName>(cmd: K, params: AppParams<K>): Promise<AppResult<K>> {
    const p = params as Record<string, unknown>;
    const r = (v: unknown): AppResult<K> => v as AppResult<K>;
    switch (cmd) {
      case 'appInfo':
        return r({
          version: 'bench',
          transport: 'websocket',
          nativeDialogs: false,
          popOut: false,
          homeDir: '/tmp',
          zephyrImport: false,
        });
      case 'listExamples':
        return r({ examples: [] });
      case 'recentFiles':
        return r({ files: [] });
      case 'openFile':
        return r({
          file: '/bench/bench-ui.yaml',
          text: this.lab.text,
          problems: [],
          layout: null,
          layoutProblems: [],
        });
      case 'labLaunch':
        setTimeout(() => this.fire('labLabState', { lab: 'bench-ui', state: 'running' }), 10);
        return r({ lab: 'bench-ui' });
      case 'labStatus':
        return r({
          name: 'bench-ui',
          id: 'bench',
          network: 'isolated',
          state: 'running',
          runtimeDir: '/tmp',
          logDir: '/tmp',
          enginePid: process.pid,
          startedAt: new Date().toISOString(),
          nodes: [],
          links: this.lab.links,
        });
      case 'consoleAttach':
        this.consoleNode = String(p['node']);
        return r({ viewer: 'bench', data: '', offset: 0 });
      case 'consoleAck': {
        const chars = Number(p['chars']);
        this.acked += chars;
        this.flood?.stream.ack(chars);
        return r({});
      }
      case 'consoleDetach':
      case 'labConsoleWrite':
      case 'labConsoleResize':
        return r({});
      default:
        await Promise.resolve();
        throw new EngineError('bad-request', `the UI benchmark does not serve ${cmd}`);
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.flood) {
      clearInterval(this.flood.timer);
      this.flood.stream.dispose();
    }
    for (const e of this.emitters.values()) e.dispose();
  }
}

/** Frame rate and the longest gap between frames, measured in the page. */
interface FrameStats {
  fps: number;
  maxGap: number;
}

/** Script run in the page: counts frames for `ms` and reports fps and the longest gap. */
const FRAME_PROBE = `(ms) => new Promise((resolve) => {
  const times = [];
  const start = performance.now();
  const step = (t) => {
    times.push(t);
    if (t - start < ms) requestAnimationFrame(step);
    else {
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
      resolve({ fps: (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000), maxGap: gap });
    }
  };
  requestAnimationFrame(step);
})`;

/** Script run in the page: records, for each pointerdown, the time until the next frame. */
const INPUT_PROBE = `() => {
  window.__nwLatency = [];
  window.addEventListener('pointerdown', (e) => {
    const at = e.timeStamp;
    requestAnimationFrame(() => requestAnimationFrame((t) => window.__nwLatency.push(t - at)));
  }, true);
}`;

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Runs the UI benchmark; resolves with its numbers (never fails on them). */
export async function benchUi(): Promise<UiBenchResult> {
  const staticDir = findRendererDir();
  if (!staticDir) throw new Error('the renderer is not built; run `npm run build` first');
  const { chromium } = await import('playwright-core');
  const service = new SyntheticService();
  const web = await WebServer.listen({ service, staticDir, port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(web.url);
    await page.locator('[data-testid=open]').click();
    await page.locator('[data-testid=path-input]').fill('/bench/bench-ui.yaml');
    await page.locator('[data-testid=path-ok]').click();
    await page
      .locator('.react-flow__node')
      .nth(LAB.nodes - 1)
      .waitFor();
    await page.locator('[data-testid=launch]').click();
    await page.locator('[data-testid=lab-state]', { hasText: 'running' }).waitFor();
    service.startCounters();
    await page.waitForTimeout(1000);

    const metric = async (name: string): Promise<number> => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === name)?.value ?? 0;
    };
    const scriptBefore = await metric('ScriptDuration');
    const canvas = await page.evaluate<FrameStats>(`(${FRAME_PROBE})(${MEASURE_MS})`);
    const scriptAfter = await metric('ScriptDuration');

    await page.evaluate(`(${INPUT_PROBE})()`);
    // Click nodes that are on screen (a 200-node lab fitted at minimum zoom is wider than it).
    const visible = await page.evaluate<{ id: string; x: number; y: number }[]>(
      `Array.from(document.querySelectorAll('.react-flow__node'))
      .map((n) => { const r = n.getBoundingClientRect(); return { id: n.getAttribute('data-id'), x: r.x + r.width / 2, y: r.y + r.height / 2 }; })
      .filter((p) => p.x > 200 && p.x < innerWidth - 350 && p.y > 60 && p.y < innerHeight - 60)`,
    );
    for (let i = 0; i < CLICKS && visible.length > 0; i++) {
      const target = visible[(i * 7) % visible.length];
      if (target) await page.mouse.click(target.x, target.y);
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(200);
    const latency = await page.evaluate<number[]>('window.__nwLatency');

    // Console flood: one tab, output paced only by acknowledgements.
    const first = visible[0];
    if (first) await page.mouse.click(first.x, first.y);
    await page.locator('[data-testid=open-console]').click();
    await page.locator('.console-term').waitFor();
    service.startFlood('bench');
    const before = service.acked;
    const t0 = Date.now();
    const during = await page.evaluate<FrameStats>(`(${FRAME_PROBE})(${MEASURE_MS})`);
    const chars = service.acked - before;
    const seconds = (Date.now() - t0) / 1000;
    return {
      nodes: LAB.nodes,
      links: LAB.links,
      counterHz: 1000 / COUNTER_PUBLISH_MS,
      canvas: {
        fps: round(canvas.fps),
        maxFrameGapMs: round(canvas.maxGap),
        scriptMsPerSecond: round(((scriptAfter - scriptBefore) * 1000) / (MEASURE_MS / 1000)),
      },
      input: {
        samples: latency.length,
        p50Ms: round(quantile(latency, 0.5)),
        p95Ms: round(quantile(latency, 0.95)),
        maxMs: round(Math.max(0, ...latency)),
      },
      console: {
        mbPerSecond: round(chars / seconds / 1e6),
        fps: round(during.fps),
        maxFrameGapMs: round(during.maxGap),
        chars,
      },
    };
  } finally {
    await browser.close();
    await web.dispose();
    service.dispose();
  }
}
