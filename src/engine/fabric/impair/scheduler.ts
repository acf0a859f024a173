// The clock and timers impairment stages run on: the machine's monotonic clock and a timerfd in
// the engine, a ManualScheduler in tests (no real sleeps).
import { setTimerfd, TapDevice, timerfd } from '@netweave/tap';

/** Time and timers for impairment stages, in microseconds. */
export interface ImpairmentScheduler {
  /** Monotonic time in microseconds (any origin). */
  now(): number;
  /** Calls `callback` once, `delayUs` microseconds from now; returns a function that cancels it. */
  schedule(callback: () => void, delayUs: number): () => void;
}

/** A timer of TimerfdScheduler: due time (us), order of scheduling, what to run. */
interface HeapTimer {
  due: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** Whether timer `a` runs before timer `b`: earlier due time, then earlier scheduling. */
function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * The engine's scheduler: the monotonic clock (performance.now()) and one timerfd of
 * @netweave/tap watched by the event loop, armed for the earliest pending timer. Node's own
 * timers have millisecond granularity (a 1 ms delay became 1 to 2 ms); a timerfd wakes the
 * loop within tens of microseconds of the due time (`npm run bench -- impair` measures it).
 * Everything due when it fires runs in one batch, in due order. The timerfd is watched only
 * while a timer is pending, so an idle scheduler keeps no process alive.
 */
export class TimerfdScheduler implements ImpairmentScheduler {
  private readonly heap: HeapTimer[] = [];
  private seq = 0;
  private fd = -1;
  private device: TapDevice | undefined;
  /** Due time the timerfd is armed for; Infinity when disarmed. */
  private armedFor = Infinity;

  now(): number {
    return performance.now() * 1000;
  }

  schedule(callback: () => void, delayUs: number): () => void {
    const timer: HeapTimer = {
      due: this.now() + Math.max(delayUs, 0),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.push(timer);
    if (timer.due < this.armedFor) this.arm(timer.due);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  private readonly fire = (): void => {
    this.armedFor = Infinity;
    const now = this.now();
    try {
      for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
        if (!top.cancelled && top.due > now) break;
        this.pop();
        if (!top.cancelled) top.callback();
      }
    } finally {
      // Also after a callback threw: the timers after it still fire.
      while (this.heap[0]?.cancelled === true) this.pop();
      const next = this.heap[0];
      if (next !== undefined) this.arm(next.due);
      else this.idle();
    }
  };

  private arm(due: number): void {
    if (this.device === undefined) {
      this.fd = timerfd();
      this.device = new TapDevice(this.fd);
      this.device.start(this.fire);
    } else if (!this.device.reading) {
      this.device.resume();
    }
    setTimerfd(this.fd, Math.max(due - this.now(), 0));
    this.armedFor = due;
  }

  /** Cancels what is pending and closes the timerfd (a test's scheduler; the engine's lives on). */
  dispose(): void {
    for (const t of this.heap) t.cancelled = true;
    this.heap.length = 0;
    this.device?.close();
    this.device = undefined;
    this.armedFor = Infinity;
  }

  /** Nothing pending: the timerfd is no longer watched (and keeps no event loop alive). */
  private idle(): void {
    if (this.device?.reading === true) this.device.pause();
  }

  private push(timer: HeapTimer): void {
    const h = this.heap;
    h.push(timer);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      const [a, b] = [h[i], h[parent]] as [HeapTimer, HeapTimer];
      if (!before(a, b)) break;
      h[i] = b;
      h[parent] = a;
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < h.length && before(h[l] as HeapTimer, h[least] as HeapTimer)) least = l;
      if (r < h.length && before(h[r] as HeapTimer, h[least] as HeapTimer)) least = r;
      if (least === i) break;
      [h[i], h[least]] = [h[least] as HeapTimer, h[i] as HeapTimer];
      i = least;
    }
  }
}

/** The engine's one scheduler. */
export const systemScheduler: ImpairmentScheduler = new TimerfdScheduler();

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
