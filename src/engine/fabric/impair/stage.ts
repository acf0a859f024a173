import {
  DEFAULT_IMPAIRMENT_LIMIT,
  checkImpairment,
  type DelayDistribution,
  type Impairment,
  type ImpairmentCounters,
} from '../../../shared/impairment.js';
import type { EgressContext, EgressNext, EgressStage } from '../egress.js';
import { frameNote, noteFrame } from './notes.js';
import { CorrelatedRandom, Xoshiro128, distributedDelay } from './random.js';
import { systemScheduler, type ImpairmentScheduler } from './scheduler.js';

/** Options of an ImpairmentStage. */
export interface ImpairmentStageOptions {
  /** Clock and timers; default systemScheduler. Tests pass a ManualScheduler. */
  scheduler?: ImpairmentScheduler;
}

/** A frame held until its time to send (netem's time_to_send). */
interface Held {
  due: number;
  /** Arrival order, so frames due at the same time leave in the order they came. */
  seq: number;
  frame: Buffer;
}

/** The spec turned into what the per-frame path uses. */
interface Compiled {
  delayUs: number;
  jitterUs: number;
  distribution: DelayDistribution;
  correlation: number;
  /** Random loss probability (0-1), 0 when off or when `ge` is set. */
  lossP: number;
  /** Gilbert-Elliott probabilities (0-1): p, r, 1-h, 1-k. */
  ge: { p: number; r: number; lossBad: number; lossGood: number } | undefined;
  /** 0 without a rate. */
  bitsPerUs: number;
  queueFrames: number;
  queueBytes: number;
  dupP: number;
  corruptP: number;
  reorderP: number;
  gap: number;
  limit: number;
}

function compile(spec: Impairment): Compiled {
  const loss = spec.loss;
  return {
    delayUs: spec.delayUs ?? 0,
    jitterUs: spec.jitterUs ?? 0,
    distribution: spec.distribution ?? 'uniform',
    correlation: spec.correlation ?? 0,
    lossP: typeof loss === 'number' ? loss / 100 : 0,
    ge:
      typeof loss === 'object'
        ? {
            p: loss.p / 100,
            r: loss.r / 100,
            lossBad: loss.oneMinusH / 100,
            lossGood: loss.oneMinusK / 100,
          }
        : undefined,
    bitsPerUs: (spec.rateBitsPerSecond ?? 0) / 1e6,
    queueFrames: spec.queue?.unit === 'frames' ? spec.queue.limit : Infinity,
    queueBytes: spec.queue?.unit === 'bytes' ? spec.queue.limit : Infinity,
    dupP: (spec.duplicate ?? 0) / 100,
    corruptP: (spec.corrupt ?? 0) / 100,
    reorderP: (spec.reorder ?? 0) / 100,
    gap: spec.gap ?? 1,
    limit: spec.limit ?? DEFAULT_IMPAIRMENT_LIMIT,
  };
}

// One independent random sequence per kind of decision, so that e.g. turning on corruption does
// not change which frames are lost.
const STREAM_LOSS = 1;
const STREAM_DUPLICATE = 2;
const STREAM_CORRUPT = 3;
const STREAM_DELAY = 4;
const STREAM_REORDER = 5;

function randomSeed(): number {
  return Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
}

function earlier(a: Held, b: Held): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * One direction's impairment (issue 10), a pipeline stage that does to each frame what netem
 * does to each packet (net/sched/sch_netem.c, netem_enqueue), in netem's order:
 *
 * 1. duplicate: a copy is made (before any corruption of the original); the copy then goes
 *    through loss, corrupt, limit and delay on its own, and is never duplicated again;
 * 2. loss: random, or Gilbert-Elliott bursts; when both duplicate and loss hit, one frame goes
 *    on. Counted as 'loss';
 * 3. corrupt: one random bit of a copy of the frame is flipped (the borrowed frame is never
 *    written); the frame is still delivered;
 * 4. limit: when `limit` frames are held already, the frame (and its duplicate) is a 'limit'
 *    drop;
 * 5. reorder: with probability `reorder` (at most every `gap`-th frame) the frame is sent at
 *    once, ahead of the delayed frames; otherwise
 * 6. delay: the frame's time to send is now + delay ± jitter (a negative value is now). Without
 *    a rate, frames leave in time-to-send order, so a frame delayed less may overtake one
 *    delayed more (jitter reorders, as netem's tfifo does). With a rate, a frame also waits for
 *    the frame before it and for its own transmission time:
 *    time to send = max(previous frame's time to send, now + delay) + bits / rate
 *    (netem's formula: with a rate nothing overtakes). `queue` bounds the frames or bytes waiting
 *    for the link when the frame reaches it (after its delay; the frame in transmission does not
 *    count); a frame that does not fit is a 'rate-queue' drop (tail drop).
 *
 * Every random decision comes from a PRNG seeded with the spec's seed (or one drawn and shown in
 * status), one independent sequence per kind of decision, and no decision depends on time: the
 * same seed and the same frame sequence give the same losses, duplicates, flipped bits, delays
 * and reorders, however the frames are batched or timed (which frames overflow `limit` or
 * `queue` depends on timing, by nature).
 *
 * Frames are borrowed: the stage keeps references, never writes a frame's bytes. Drops are
 * counted with ctx.drop() under their cause only ('loss', 'limit', 'rate-queue'); duplicates,
 * corrupted and reordered frames with ctx.count() ('duplicated', 'corrupted', 'reordered') and
 * in counters(). A duplicate is a distinct Buffer object (sharing the bytes) and a corrupted
 * frame a new one, each with a note that captures write as the packet's comment.
 *
 * Timing: held frames leave from a timer on the scheduler, in batches of whatever is due.
 */
export class ImpairmentStage implements EgressStage {
  readonly name = 'impairment';
  private current: Impairment;
  private cfg: Compiled;
  private seedInUse: number;
  private rngLoss!: Xoshiro128;
  private rngDuplicate!: Xoshiro128;
  private rngCorrupt!: Xoshiro128;
  private rngDelay!: Xoshiro128;
  private rngReorder!: Xoshiro128;
  private jitter!: CorrelatedRandom;
  /** Gilbert-Elliott state. */
  private bad = false;
  /** Frames placed normally since the last reordered one (netem's counter, for `gap`). */
  private sinceReorder = 0;
  private readonly scheduler: ImpairmentScheduler;

  /** Held frames: a binary min-heap on (due, seq). */
  private heap: Held[] = [];
  private seq = 0;
  /** Time to send of the last frame that went through the rate. */
  private lastDue = -Infinity;
  // Frames waiting for the rate, in order: when each starts transmission and the bytes before it.
  private rqStart: number[] = [];
  private rqBytesBefore: number[] = [];
  private rqHead = 0;
  private rqBytes = 0;

  private timerCancel: (() => void) | undefined;
  private timerDue = Infinity;
  private next: EgressNext | undefined;
  private ctx: EgressContext | undefined;
  private disposed = false;

  // Per-batch state of process().
  private now = 0;
  private out: Buffer[] | null = null;
  private lostNow = 0;
  private limitNow = 0;
  private rateQueueNow = 0;
  private duplicatedNow = 0;
  private corruptedNow = 0;
  private reorderedNow = 0;

  private duplicatedTotal = 0;
  private corruptedTotal = 0;
  private reorderedTotal = 0;

  /** Throws with the spec's problem (one sentence) when it is not valid. */
  constructor(spec: Impairment, options: ImpairmentStageOptions = {}) {
    const problem = checkImpairment(spec);
    if (problem !== undefined) throw new Error(problem.error);
    this.scheduler = options.scheduler ?? systemScheduler;
    this.current = spec;
    this.cfg = compile(spec);
    this.seedInUse = spec.seed ?? randomSeed();
    this.reseed(this.seedInUse);
  }

  /** The spec in force. */
  get spec(): Impairment {
    return this.current;
  }

  /** The seed of the random decisions (the spec's, or the one drawn when it has none). */
  get seed(): number {
    return this.seedInUse;
  }

  /** Frames held right now. */
  get held(): number {
    return this.heap.length;
  }

  /** What the stage did so far, besides drops. */
  counters(): ImpairmentCounters {
    return {
      held: this.heap.length,
      duplicated: this.duplicatedTotal,
      corrupted: this.corruptedTotal,
      reordered: this.reorderedTotal,
    };
  }

  /**
   * Changes the spec live, as `tc qdisc change ... netem` does: held frames keep their times to
   * send, new frames follow the new spec. The random sequences continue unless the new spec
   * carries a seed (then they restart from it, as after a fresh start).
   */
  update(spec: Impairment): void {
    const problem = checkImpairment(spec);
    if (problem !== undefined) throw new Error(problem.error);
    const before = this.cfg;
    this.current = spec;
    this.cfg = compile(spec);
    if (spec.seed !== undefined) {
      this.seedInUse = spec.seed;
      this.reseed(spec.seed);
    } else if (this.cfg.correlation !== before.correlation) {
      this.jitter = new CorrelatedRandom(this.rngDelay, this.cfg.correlation);
    }
    if (this.cfg.ge === undefined) this.bad = false;
    if (this.cfg.bitsPerUs === 0) this.clearRateQueue();
  }

  process(frames: readonly Buffer[], next: EgressNext, ctx: EgressContext): void {
    this.next = next;
    this.ctx = ctx;
    const now = this.scheduler.now();
    // Frames whose time has come (a late timer) go before anything that arrives now.
    const top = this.heap[0];
    if (top !== undefined && top.due <= now) this.release(now);
    this.trimRateQueue(now);
    this.now = now;
    for (const frame of frames) this.admit(frame, true, false);
    const out = this.out;
    this.out = null;
    this.report(ctx);
    if (out !== null) next(out);
    this.arm(now);
  }

  /**
   * Sends every held frame now, in time-to-send order (used when the impairment is cleared:
   * frames already accepted are delivered, not lost).
   */
  flush(): void {
    this.cancelTimer();
    this.clearRateQueue();
    const next = this.next;
    if (this.heap.length === 0 || next === undefined) {
      this.heap = [];
      return;
    }
    const batch: Buffer[] = [];
    while (this.heap.length > 0) batch.push(this.pop().frame);
    next(batch);
  }

  /** Stops the timer and forgets held frames (the port is going away). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelTimer();
    this.heap = [];
    this.clearRateQueue();
    this.next = undefined;
    this.ctx = undefined;
  }

  private reseed(seed: number): void {
    this.rngLoss = new Xoshiro128(seed, STREAM_LOSS);
    this.rngDuplicate = new Xoshiro128(seed, STREAM_DUPLICATE);
    this.rngCorrupt = new Xoshiro128(seed, STREAM_CORRUPT);
    this.rngDelay = new Xoshiro128(seed, STREAM_DELAY);
    this.rngReorder = new Xoshiro128(seed, STREAM_REORDER);
    this.jitter = new CorrelatedRandom(this.rngDelay, this.cfg.correlation);
    this.bad = false;
    this.sinceReorder = 0;
  }

  /**
   * One frame through netem's steps. `original`: false for a duplicate (never duplicated again).
   * `limitDrop`: the frame is a duplicate of a frame the limit dropped; it still makes its random
   * draws, so that no random sequence depends on timing, and is then counted as a 'limit' drop.
   */
  private admit(frame: Buffer, original: boolean, limitDrop: boolean): void {
    const cfg = this.cfg;
    let count = 1;
    if (original && cfg.dupP > 0 && this.rngDuplicate.next() < cfg.dupP) count++;
    if (this.lossEvent()) count--;
    if (count === 0) {
      if (limitDrop) this.limitNow++;
      else this.lostNow++;
      return;
    }
    let copy: Buffer | undefined;
    if (count > 1) {
      copy = frame.subarray(0);
      const note = frameNote(frame);
      if (note !== undefined) noteFrame(copy, note);
      noteFrame(copy, `${this.who()}: duplicate`);
      this.duplicatedNow++;
    }
    let sent = frame;
    if (cfg.corruptP > 0 && this.rngCorrupt.next() < cfg.corruptP && frame.length > 0) {
      sent = this.corruptCopy(frame);
    }
    const reorder = this.reorderNow();
    const delayUs = reorder ? 0 : this.drawDelay();
    if (limitDrop || this.heap.length >= cfg.limit) {
      this.limitNow++;
      if (copy !== undefined) this.admit(copy, false, true);
      return;
    }
    // As netem, the duplicate enters the queue before the original is placed.
    if (copy !== undefined) this.admit(copy, false, false);
    this.place(sent, reorder, delayUs);
  }

  private lossEvent(): boolean {
    const ge = this.cfg.ge;
    if (ge === undefined) {
      const p = this.cfg.lossP;
      return p > 0 && this.rngLoss.next() < p;
    }
    // netem's loss_gilb_ell(): the state may change first, then the loss is drawn with the
    // probability of the state the frame arrived in.
    const rng = this.rngLoss;
    if (!this.bad) {
      if (rng.next() < ge.p) this.bad = true;
      return rng.next() < ge.lossGood;
    }
    if (rng.next() < ge.r) this.bad = false;
    return rng.next() < ge.lossBad;
  }

  /** netem's reorder test: true sends the frame at once (resetting the gap counter). */
  private reorderNow(): boolean {
    const cfg = this.cfg;
    if (cfg.reorderP > 0 && this.sinceReorder >= cfg.gap - 1) {
      if (this.rngReorder.next() < cfg.reorderP) {
        this.sinceReorder = 0;
        return true;
      }
    }
    this.sinceReorder++;
    return false;
  }

  private drawDelay(): number {
    const cfg = this.cfg;
    if (cfg.jitterUs === 0) return cfg.delayUs;
    return distributedDelay(cfg.delayUs, cfg.jitterUs, this.jitter.nextU32(), cfg.distribution);
  }

  private corruptCopy(frame: Buffer): Buffer {
    const copy = Buffer.from(frame);
    const byte = this.rngCorrupt.below(copy.length);
    const bit = this.rngCorrupt.below(8);
    copy[byte] = (copy[byte] ?? 0) ^ (1 << bit);
    const note = frameNote(frame);
    if (note !== undefined) noteFrame(copy, note);
    noteFrame(copy, `${this.who()}: corrupted, bit ${bit} of byte ${byte} flipped`);
    this.corruptedNow++;
    return copy;
  }

  private who(): string {
    const ctx = this.ctx;
    return ctx === undefined
      ? 'netweave impairment'
      : `netweave impairment on ${ctx.portId} ${ctx.direction}`;
  }

  private place(frame: Buffer, reorder: boolean, delayUs: number): void {
    const now = this.now;
    if (reorder) {
      this.reorderedNow++;
      (this.out ??= []).push(frame);
      return;
    }
    const enter = now + (delayUs > 0 ? delayUs : 0);
    let due = enter;
    const bitsPerUs = this.cfg.bitsPerUs;
    if (bitsPerUs > 0) {
      const start = this.lastDue > enter ? this.lastDue : enter;
      if (!this.rateQueueAdmits(enter, frame.length, start)) {
        this.rateQueueNow++;
        return;
      }
      due = start + (frame.length * 8) / bitsPerUs;
      this.lastDue = due;
    }
    if (due <= now) {
      (this.out ??= []).push(frame);
      return;
    }
    this.push({ due, seq: this.seq++, frame });
  }

  /**
   * Whether a frame of `bytes` reaching the rate at `enter` fits the queue (frames that start
   * transmission after `enter` are waiting); records it when it does.
   */
  private rateQueueAdmits(enter: number, bytes: number, start: number): boolean {
    const cfg = this.cfg;
    if (cfg.queueFrames === Infinity && cfg.queueBytes === Infinity) return true;
    const starts = this.rqStart;
    // Start times only grow: the first one after `enter` is found by bisection.
    let lo = this.rqHead;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! > enter) hi = mid;
      else lo = mid + 1;
    }
    const waitingFrames = starts.length - lo;
    const waitingBytes = this.rqBytes - (this.rqBytesBefore[lo] ?? this.rqBytes);
    if (waitingFrames + 1 > cfg.queueFrames || waitingBytes + bytes > cfg.queueBytes) return false;
    starts.push(start);
    this.rqBytesBefore.push(this.rqBytes);
    this.rqBytes += bytes;
    return true;
  }

  /** Forgets frames of the rate queue that started transmission by `now`. */
  private trimRateQueue(now: number): void {
    const starts = this.rqStart;
    let head = this.rqHead;
    while (head < starts.length && starts[head]! <= now) head++;
    if (head > 1024 && head * 2 > starts.length) {
      starts.splice(0, head);
      this.rqBytesBefore.splice(0, head);
      head = 0;
    }
    this.rqHead = head;
  }

  private clearRateQueue(): void {
    this.rqStart = [];
    this.rqBytesBefore = [];
    this.rqHead = 0;
    this.rqBytes = 0;
  }

  /** Reports the batch's drops and events to the port, one call per cause. */
  private report(ctx: EgressContext): void {
    if (this.lostNow > 0) ctx.drop('loss', this.lostNow);
    if (this.limitNow > 0) ctx.drop('limit', this.limitNow);
    if (this.rateQueueNow > 0) ctx.drop('rate-queue', this.rateQueueNow);
    if (this.duplicatedNow > 0) ctx.count('duplicated', this.duplicatedNow);
    if (this.corruptedNow > 0) ctx.count('corrupted', this.corruptedNow);
    if (this.reorderedNow > 0) ctx.count('reordered', this.reorderedNow);
    this.duplicatedTotal += this.duplicatedNow;
    this.corruptedTotal += this.corruptedNow;
    this.reorderedTotal += this.reorderedNow;
    this.lostNow = 0;
    this.limitNow = 0;
    this.rateQueueNow = 0;
    this.duplicatedNow = 0;
    this.corruptedNow = 0;
    this.reorderedNow = 0;
  }

  /** Sends the held frames due by `now`, as one batch. */
  private release(now: number): void {
    const next = this.next;
    if (next === undefined) return;
    const batch: Buffer[] = [];
    for (let top = this.heap[0]; top !== undefined && top.due <= now; top = this.heap[0]) {
      batch.push(this.pop().frame);
    }
    if (batch.length > 0) next(batch);
  }

  /** Keeps one timer, for the earliest held frame. */
  private arm(now: number): void {
    if (this.disposed) return;
    const top = this.heap[0];
    if (top === undefined) {
      this.cancelTimer();
      return;
    }
    if (this.timerCancel !== undefined && this.timerDue <= top.due) return;
    this.cancelTimer();
    this.timerDue = top.due;
    this.timerCancel = this.scheduler.schedule(this.onTimer, top.due - now);
  }

  private readonly onTimer = (): void => {
    this.timerCancel = undefined;
    this.timerDue = Infinity;
    if (this.disposed) return;
    const now = this.scheduler.now();
    this.release(now);
    this.trimRateQueue(now);
    this.arm(now);
  };

  private cancelTimer(): void {
    const cancel = this.timerCancel;
    this.timerCancel = undefined;
    this.timerDue = Infinity;
    cancel?.();
  }

  private push(entry: Held): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      const p = heap[parent]!;
      if (!earlier(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Held {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && earlier(heap[r]!, heap[l]!) ? r : l;
        if (!earlier(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
