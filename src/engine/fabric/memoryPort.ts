import { Port, type PortOptions } from './port.js';

/**
 * Receives the frames the fabric sends out of a MemoryPort (borrowed array) and returns how
 * many it took; returning nothing means all of them.
 */
export type MemoryTransmit = (frames: readonly Buffer[]) => number | void;

/** Options of a MemoryPort. */
export interface MemoryPortOptions extends PortOptions {
  /** The device's receive side; without it every frame is accepted and discarded. */
  onTransmit?: MemoryTransmit;
  /** Called once when the port is disposed. */
  onDispose?: () => void;
}

/**
 * A port whose device is JavaScript: inject() plays the device delivering frames into the
 * fabric, `onTransmit` is the device taking frames out of it. For unit tests and for link
 * kinds whose far end is a socket or a decoder in the engine.
 */
export class MemoryPort extends Port {
  private readonly onTransmit: MemoryTransmit | undefined;
  private readonly onDispose: (() => void) | undefined;

  constructor(options: MemoryPortOptions) {
    super(options);
    this.onTransmit = options.onTransmit;
    this.onDispose = options.onDispose;
  }

  /** Delivers frames from the device into the fabric (the array is borrowed for the call). */
  inject(frames: readonly Buffer[]): void {
    this.receive(frames);
  }

  protected override transmit(frames: readonly Buffer[]): number {
    const taken = this.onTransmit?.(frames);
    return typeof taken === 'number' ? taken : frames.length;
  }

  protected override disposeDevice(): void {
    this.onDispose?.();
  }
}
