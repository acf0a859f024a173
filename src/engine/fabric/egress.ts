import type { DropCause } from '../../shared/kinds.js';
import { toDisposable, type Disposable } from '../../shared/lifecycle.js';

/**
 * Passes a batch on to the next stage of an egress pipeline (the last "next" is the device
 * writer). The array is borrowed: the receiver must not keep it after returning (copy the
 * references to hold frames, as a delay queue would) and nobody mutates a frame's bytes.
 */
export type EgressNext = (frames: readonly Buffer[]) => void;

/** What a stage may do besides passing frames on: count the frames it drops, and events. */
export interface EgressContext {
  /** "node:port" of the port the pipeline belongs to. */
  readonly portId: string;
  /**
   * Which of the port's pipelines this is: 'tx' (egress, fabric to device) or 'rx' (ingress,
   * device to fabric).
   */
  readonly direction: 'rx' | 'tx';
  /** Counts `count` frames dropped with `cause`, in the pipeline's direction. */
  drop(cause: DropCause, count: number): void;
  /** Counts a port event (e.g. 'duplicated'), shown with the port's counters under `extra`. */
  count(event: string, count: number): void;
}

/**
 * One stage of a port's egress pipeline (an impairment such as a delay queue, a rate limit or
 * loss). process() receives each batch on its way to the device and calls `next` with the
 * frames that go on, now or later, all of them or fewer; frames it discards it counts with
 * ctx.drop(). Stages run in insertion order; the device writer is always last.
 */
export interface EgressStage {
  /** Short name shown in diagnostics, e.g. "delay". */
  readonly name: string;
  /** Handles one batch; see EgressNext for the borrowing rule. */
  process(frames: readonly Buffer[], next: EgressNext, ctx: EgressContext): void;
  /** Releases what the stage holds (timers, queued frames); called when it is removed. */
  dispose?(): void;
}

/**
 * The ordered stages between port.send() and the device writer (a port's `egress`), or between
 * the port's device and the switch or link it is attached to (its `ingress`: same stages, its
 * last "next" hands frames on to the attachment). The chain of `next` functions is built when
 * stages change, never per batch, so an empty pipeline costs one call.
 */
export class EgressPipeline implements Disposable {
  private readonly list: EgressStage[] = [];
  private entry: EgressNext;
  private disposed = false;

  /** `writer` is the final stage: it hands frames to the port's device. */
  constructor(
    private readonly ctx: EgressContext,
    private readonly writer: EgressNext,
  ) {
    this.entry = writer;
  }

  /** The stages in order, without the final device writer. */
  get stages(): readonly EgressStage[] {
    return this.list;
  }

  /** Sends a batch into the first stage (or straight to the device when there is none). */
  run(frames: readonly Buffer[]): void {
    this.entry(frames);
  }

  /**
   * Inserts a stage at `index` (default: last, just before the device writer). The pipeline
   * owns the stage from now on: disposing the result, or the pipeline, removes and disposes it.
   */
  insert(stage: EgressStage, index: number = this.list.length): Disposable {
    if (this.disposed) throw new Error(`port ${this.ctx.portId} is disposed; cannot add a stage`);
    if (this.list.includes(stage)) {
      throw new Error(`stage "${stage.name}" is already in the pipeline of ${this.ctx.portId}`);
    }
    const at = Math.max(0, Math.min(index, this.list.length));
    this.list.splice(at, 0, stage);
    this.rebuild();
    return toDisposable(() => {
      this.remove(stage);
    });
  }

  /** Removes and disposes a stage; returns false if it was not in the pipeline. */
  remove(stage: EgressStage): boolean {
    const at = this.list.indexOf(stage);
    if (at < 0) return false;
    this.list.splice(at, 1);
    this.rebuild();
    stage.dispose?.();
    return true;
  }

  /** Removes and disposes every stage; later batches go straight to the writer. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const stages = this.list.splice(0);
    this.rebuild();
    for (const stage of stages.reverse()) stage.dispose?.();
  }

  private rebuild(): void {
    let next = this.writer;
    const ctx = this.ctx;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const stage = this.list[i];
      if (stage === undefined) continue;
      const after = next;
      next = (frames) => {
        stage.process(frames, after, ctx);
      };
    }
    this.entry = next;
  }
}
