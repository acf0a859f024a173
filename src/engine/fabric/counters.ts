import type { DirectionCounters } from '../../shared/contract.js';
import type { DropCause } from '../../shared/kinds.js';

/**
 * Frame, byte and drop counters of one direction of one port. Plain number fields, bumped on
 * the hot path without allocating; snapshot() builds the contract's shape when sampled.
 */
export class DirectionCounter {
  /** Frames that crossed the port in this direction. */
  frames = 0;
  /** Bytes of those frames (frame length without FCS). */
  bytes = 0;
  /** Drops with cause 'no-destination'. */
  noDestination = 0;
  /** Drops with cause 'queue-full'. */
  queueFull = 0;
  /** Drops with cause 'device-error'. */
  deviceError = 0;
  /** Drops with cause 'too-big'. */
  tooBig = 0;
  /** Drops with cause 'port-down'. */
  portDown = 0;
  /** Drops with cause 'loss' (an impairment's loss). */
  loss = 0;
  /** Drops with cause 'rate-queue' (an impairment's rate queue was full). */
  rateQueue = 0;
  /** Drops with cause 'limit' (an impairment held its limit of frames). */
  limit = 0;

  /** Counts `count` frames dropped for `cause`. */
  drop(cause: DropCause, count: number): void {
    switch (cause) {
      case 'no-destination':
        this.noDestination += count;
        break;
      case 'queue-full':
        this.queueFull += count;
        break;
      case 'device-error':
        this.deviceError += count;
        break;
      case 'too-big':
        this.tooBig += count;
        break;
      case 'port-down':
        this.portDown += count;
        break;
      case 'loss':
        this.loss += count;
        break;
      case 'rate-queue':
        this.rateQueue += count;
        break;
      case 'limit':
        this.limit += count;
        break;
    }
  }

  /** Total drops over every cause. */
  get drops(): number {
    return (
      this.noDestination +
      this.queueFull +
      this.deviceError +
      this.tooBig +
      this.portDown +
      this.loss +
      this.rateQueue +
      this.limit
    );
  }

  /** The counters in the contract's shape (a fresh object). */
  snapshot(): DirectionCounters {
    return {
      frames: this.frames,
      bytes: this.bytes,
      drops: {
        'no-destination': this.noDestination,
        'queue-full': this.queueFull,
        'device-error': this.deviceError,
        'too-big': this.tooBig,
        'port-down': this.portDown,
        loss: this.loss,
        'rate-queue': this.rateQueue,
        limit: this.limit,
      },
    };
  }

  /** Sets every counter back to zero. */
  reset(): void {
    this.frames = 0;
    this.bytes = 0;
    this.noDestination = 0;
    this.queueFull = 0;
    this.deviceError = 0;
    this.tooBig = 0;
    this.portDown = 0;
    this.loss = 0;
    this.rateQueue = 0;
    this.limit = 0;
  }
}
