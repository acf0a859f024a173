// The fault timeline of a running lab (issue 10): each fault of the file fires at its time after
// the lab became ready, again `every` so often, and is undone after `for`. Every firing is kept
// with its time (for status and `netweave faults`) and written to the engine log.
import type { FaultEvent, FaultFiring, FaultStatus } from '../shared/contract.js';
import type { Disposable } from '../shared/lifecycle.js';
import type { FaultSpec } from '../shared/topology/index.js';
import { parseDurationMs } from '../shared/topology/faults.facts.js';

/** Firings kept per fault (a fault that repeats every second would otherwise grow forever). */
const KEPT_EVENTS = 20;

/** What undoes an action after `for`; undefined when nothing does. */
const UNDO: Partial<Record<FaultSpec['action'], FaultSpec['action']>> = {
  down: 'up',
  up: 'down',
  impair: 'clear',
  stop: 'start',
  start: 'stop',
};

/** One fault as a line: "at 5s every 10s for 2s: link h1:eth0--sw down". */
export function describeFault(f: FaultSpec): string {
  const when = [`at ${f.at}`, f.every ? `every ${f.every}` : '', f.for ? `for ${f.for}` : '']
    .filter(Boolean)
    .join(' ');
  const target = f.link !== undefined ? `link ${f.link}` : `node ${f.node ?? '?'}`;
  const extra = [f.dir ?? '', f.pair ?? '', f.impair ?? ''].filter(Boolean).join(' ');
  return `${when}: ${target} ${f.action}${extra ? ` ${extra}` : ''}`;
}

/** Runs one action of a fault (the lab's part). */
export type FaultAction = (fault: FaultSpec, action: FaultSpec['action']) => Promise<void>;

/** The timeline: start() when the lab is ready; dispose() stops what is pending. */
export class FaultTimeline implements Disposable {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly events: FaultEvent[][];
  private readonly next: (number | undefined)[];
  private readyAt = 0;
  private disposed = false;

  constructor(
    private readonly faults: readonly FaultSpec[],
    private readonly act: FaultAction,
    /** Each firing, as a log line and as the event the lab sends. */
    private readonly log: (line: string, firing: FaultFiring) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.events = faults.map(() => []);
    this.next = faults.map(() => undefined);
  }

  /** Schedules every fault from now (the moment the lab became ready). */
  start(): void {
    this.readyAt = this.clock();
    this.faults.forEach((f, i) => this.schedule(i, parseDurationMs(f.at) ?? 0));
  }

  private schedule(index: number, atMs: number): void {
    if (this.disposed) return;
    this.next[index] = atMs;
    this.later(atMs, () => void this.fire(index, atMs));
  }

  /**
   * Runs `fn` once `atMs` after ready has passed on the clock. Node's timers count from the
   * event loop's cached time and can fire a millisecond before the wall clock says the delay
   * passed (seen in CI: a fault for 2 s fired at 1999 ms), so an early timer is armed again.
   */
  private later(atMs: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.disposed) return;
        if (this.clock() - this.readyAt < atMs) this.later(atMs, fn);
        else fn();
      },
      Math.max(0, atMs - (this.clock() - this.readyAt)),
    );
    this.timers.add(timer);
  }

  private async fire(index: number, atMs: number): Promise<void> {
    const fault = this.faults[index];
    if (!fault) return;
    const every = fault.every !== undefined ? parseDurationMs(fault.every) : undefined;
    this.next[index] = undefined;
    if (every !== undefined && every > 0) this.schedule(index, atMs + every);
    await this.run(index, fault, fault.action);
    const undo = UNDO[fault.action];
    const forMs = fault.for !== undefined ? parseDurationMs(fault.for) : undefined;
    if (undo !== undefined && forMs !== undefined) {
      this.later(atMs + forMs, () => void this.run(index, fault, undo));
    }
  }

  private async run(index: number, fault: FaultSpec, action: FaultSpec['action']): Promise<void> {
    const atMs = this.clock() - this.readyAt;
    let event: FaultEvent;
    try {
      await this.act(fault, action);
      event = { atMs, action, ok: true };
    } catch (err) {
      event = { atMs, action, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    const list = this.events[index];
    if (!list) return;
    list.push(event);
    if (list.length > KEPT_EVENTS) list.shift();
    const target = fault.link !== undefined ? `link ${fault.link}` : `node ${fault.node ?? '?'}`;
    this.log(
      `fault ${index + 1} at ${(atMs / 1000).toFixed(3)} s: ${target} ${action}${event.ok ? '' : ` failed: ${event.error ?? ''}`}`,
      { index: index + 1, fault: describeFault(fault), event },
    );
  }

  /** Every fault with what it did so far and when it fires next (ms after ready). */
  status(): FaultStatus[] {
    return this.faults.map((f, i) => ({
      index: i + 1,
      fault: describeFault(f),
      fired: [...(this.events[i] ?? [])],
      ...(this.next[i] !== undefined ? { nextMs: this.next[i] } : {}),
    }));
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
