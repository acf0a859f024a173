// Console output on its way to a UI: batched so a chatty guest does not send one IPC message
// per pty read, and flow-controlled by acknowledged characters so a slow UI pauses the source
// instead of queueing without bound (vscode terminalProcess.ts, hyper session.ts).
import type { Disposable } from '../../shared/lifecycle.js';
import { Emitter } from '../../shared/lifecycle.js';

/** A batch is held at most ~one 60 Hz frame: a UI cannot show output faster than it paints. */
export const BATCH_INTERVAL_MS = 16;

/** A batch is sent early at 200 KiB so one message stays cheap to serialize (hyper's limit). */
export const BATCH_MAX_CHARS = 200 * 1024;

/**
 * Pause the source once this many pushed characters are not yet acknowledged. Measured with
 * the UI benchmark (a flooding console beside a 200-node canvas, 2 cores): vscode's 100k let
 * one round trip of acknowledgements limit the console to about 3 MB/s; 4M chars (8 MB of
 * strings at most per viewer) keep the renderer busy, at about 8 MB/s and 45 frames/s.
 */
export const FLOW_HIGH_WATERMARK_CHARS = 4_000_000;

/**
 * Resume the source once the unacknowledged backlog drops below this: half the high watermark,
 * so that new output is on its way while the renderer still has the rest to draw.
 */
export const FLOW_LOW_WATERMARK_CHARS = 2_000_000;

/** Something whose output can be paused, such as a pty or a SupervisedProcess. */
export interface FlowControlSource {
  pause(): void;
  resume(): void;
}

/** Tuning for a BatchedStream; every field defaults to the constants above. */
export interface BatchedStreamOptions {
  /** Paused above the high watermark, resumed below the low watermark. */
  source?: FlowControlSource;
  batchIntervalMs?: number;
  batchMaxChars?: number;
  highWatermarkChars?: number;
  lowWatermarkChars?: number;
}

/**
 * Batches pushed console text into `onBatch` events (every `batchIntervalMs` or at
 * `batchMaxChars`, whichever comes first) and applies flow control: once more than the high
 * watermark of pushed characters is unacknowledged the source is paused, and it is resumed
 * when ack() brings the backlog under the low watermark.
 */
export class BatchedStream implements Disposable {
  private readonly emitter = new Emitter<string>();
  /** Fires with each batch of text, in order. */
  readonly onBatch = this.emitter.event;

  private readonly source: FlowControlSource | undefined;
  private readonly intervalMs: number;
  private readonly maxChars: number;
  private readonly high: number;
  private readonly low: number;
  private pending: string[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private unacked = 0;
  private paused = false;
  private disposed = false;

  constructor(options: BatchedStreamOptions = {}) {
    this.source = options.source;
    this.intervalMs = options.batchIntervalMs ?? BATCH_INTERVAL_MS;
    this.maxChars = options.batchMaxChars ?? BATCH_MAX_CHARS;
    this.high = options.highWatermarkChars ?? FLOW_HIGH_WATERMARK_CHARS;
    this.low = options.lowWatermarkChars ?? FLOW_LOW_WATERMARK_CHARS;
    if (this.low > this.high) {
      throw new RangeError(`low watermark ${this.low} is above high watermark ${this.high}`);
    }
  }

  /** Characters pushed but not yet acknowledged. */
  get unacknowledgedChars(): number {
    return this.unacked;
  }

  /** True while the source is paused by flow control. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Adds console text; it is delivered in the next batch. */
  push(data: string): void {
    if (this.disposed || data.length === 0) return;
    this.pending.push(data);
    this.pendingChars += data.length;
    this.unacked += data.length;
    if (!this.paused && this.source !== undefined && this.unacked > this.high) {
      this.paused = true;
      this.source.pause();
      // Nothing more comes until the consumer acknowledges: holding the batch for the interval
      // would only add its 16 ms to every round of flow control.
      this.flush();
      return;
    }
    if (this.pendingChars >= this.maxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Acknowledges that the consumer has handled `chars` characters of delivered batches. */
  ack(chars: number): void {
    if (this.disposed) return;
    this.unacked = Math.max(0, this.unacked - chars);
    if (this.paused && this.unacked < this.low) {
      this.paused = false;
      this.source?.resume();
    }
  }

  /** Delivers whatever is pending now. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pendingChars === 0) return;
    const batch = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.emitter.fire(batch);
  }

  /** Drops pending text, and resumes the source so it is never left paused by a dead consumer. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.pendingChars = 0;
    if (this.paused) {
      this.paused = false;
      this.source?.resume();
    }
    this.emitter.dispose();
  }
}
