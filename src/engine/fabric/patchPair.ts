import type { LinkType } from '../../shared/kinds.js';
import { Port } from './port.js';

/**
 * Most frames one direction of a patch cable holds until the next turn of the event loop;
 * beyond it frames are 'queue-full' drops on the sending port, as with a full NIC ring. Sized
 * for a few TAP read batches (256 frames each).
 */
export const PATCH_QUEUE_FRAMES = 1024;

/** Options of createPatchPair(). */
export interface PatchPairOptions {
  /** Default 'ethernet'. */
  linkType?: LinkType;
  /** Largest frame accepted; default DEFAULT_MTU[linkType]. */
  mtu?: number;
  /** See PATCH_QUEUE_FRAMES. */
  queueFrames?: number;
}

/**
 * One end of a patch cable: a port whose device is the other end. Frames sent out of one end
 * arrive at the other on the next turn of the event loop (setImmediate), never synchronously,
 * so a loop of switches is a busy fabric rather than a stack overflow.
 */
export class PatchPort extends Port {
  private peer: PatchPort | undefined;
  private queue: Buffer[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly queueFrames: number;

  /** Use createPatchPair(). */
  constructor(id: string, options: PatchPairOptions = {}) {
    super({
      id,
      linkType: options.linkType ?? 'ethernet',
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    });
    this.queueFrames = options.queueFrames ?? PATCH_QUEUE_FRAMES;
  }

  /** The other end (undefined once it is disposed). */
  get other(): PatchPort | undefined {
    return this.peer;
  }

  /** Joins two ends; used by createPatchPair(). */
  static join(a: PatchPort, b: PatchPort): void {
    if (a.peer !== undefined || b.peer !== undefined) throw new Error('patch port already joined');
    a.peer = b;
    b.peer = a;
  }

  protected override transmit(frames: readonly Buffer[]): number {
    const peer = this.peer;
    if (peer === undefined) return 0;
    const queue = this.queue;
    const n = Math.min(frames.length, this.queueFrames - queue.length);
    for (let i = 0; i < n; i++) queue.push(frames[i]!);
    if (n > 0 && this.scheduled === undefined) this.scheduled = setImmediate(this.flush);
    return Math.max(n, 0);
  }

  protected override disposeDevice(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.queue = [];
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined && peer.peer === this) peer.peer = undefined;
  }

  private readonly flush = (): void => {
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    this.peer?.receive(batch);
  };
}

/**
 * A patch cable: two ports joined back to back, e.g. to link two switches. Both are owned by
 * the caller (register them with the fabric so they are counted and disposed).
 */
export function createPatchPair(
  idA: string,
  idB: string,
  options: PatchPairOptions = {},
): [PatchPort, PatchPort] {
  const a = new PatchPort(idA, options);
  const b = new PatchPort(idB, options);
  PatchPort.join(a, b);
  return [a, b];
}
