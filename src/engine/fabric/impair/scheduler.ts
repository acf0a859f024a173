// The clock and timers impairment stages run on: the machine's monotonic clock and Node timers in
// the engine, a ManualScheduler in tests (no real sleeps).

/** Time and timers for impairment stages, in microseconds. */
export interface ImpairmentScheduler {
  /** Monotonic time in microseconds (any origin). */
  now(): number;
  /** Calls `callback` once, `delayUs` microseconds from now; returns a function that cancels it. */
  schedule(callback: () => void, delayUs: number): () => void;
}

/** Longest single Node timer, in milliseconds (setTimeout's limit). */
const MAX_TIMER_MS = 0x7fff_ffff;

/**
 * The engine's scheduler: performance.now() and setTimeout. Node timers have millisecond
 * granularity, so a frame never leaves before its time and leaves within about a millisecond
 * after it; frames due by then leave together in one batch. Timers are unref'd: a lab's
 * processes and sockets keep the engine alive, not a held frame.
 */
export const systemScheduler: ImpairmentScheduler = {
  now(): number {
    return performance.now() * 1000;
  },
  schedule(callback: () => void, delayUs: number): () => void {
    const ms = Math.min(Math.max(Math.ceil(delayUs / 1000), 1), MAX_TIMER_MS);
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => {
      clearTimeout(timer);
    };
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A scheduler whose time moves only when told (advance()/advanceTo()), running due timers in
 * time order (and in scheduling order at equal times) with now() equal to each timer's due time
 * while it runs. For tests of impairments, and of anything built on them, without real sleeps.
 */
export class ManualScheduler implements ImpairmentScheduler {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  /** `startUs`: the initial time. */
  constructor(startUs = 0) {
    this.time = startUs;
  }

  now(): number {
    return this.time;
  }

  schedule(callback: () => void, delayUs: number): () => void {
    const timer: ManualTimer = {
      due: this.time + Math.max(delayUs, 0),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Due time of the next pending timer, if any. */
  get nextDue(): number | undefined {
    return this.next()?.due;
  }

  /** Moves time forward by `us`, running every timer due on the way. */
  advance(us: number): void {
    this.advanceTo(this.time + us);
  }

  /** Moves time to `us` (never backwards), running every timer due on the way, in order. */
  advanceTo(us: number): void {
    for (;;) {
      const timer = this.next();
      if (timer === undefined || timer.due > us) break;
      timer.cancelled = true;
      this.timers = this.timers.filter((t) => !t.cancelled);
      if (timer.due > this.time) this.time = timer.due;
      timer.callback();
    }
    if (us > this.time) this.time = us;
  }

  /** Runs timers until none is left (time moves to the last one's due time). */
  runAll(): void {
    for (let timer = this.next(); timer !== undefined; timer = this.next()) {
      this.advanceTo(timer.due);
    }
  }

  private next(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled) continue;
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) {
        best = t;
      }
    }
    return best;
  }
}
