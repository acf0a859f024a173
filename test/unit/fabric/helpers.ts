// Frame builders and a recording port for the fabric's unit tests.
import { MemoryPort, type MemoryPortOptions } from '../../../src/engine/fabric/index.js';

/** Broadcast address. */
export const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** Builds an Ethernet frame (no FCS) with a payload of `payloadBytes` bytes of `fill`. */
export function ethernetFrame(dst: string, src: string, payloadBytes = 46, fill = 0): Buffer {
  const frame = Buffer.alloc(14 + payloadBytes, fill);
  Buffer.from(dst.replaceAll(':', ''), 'hex').copy(frame, 0);
  Buffer.from(src.replaceAll(':', ''), 'hex').copy(frame, 6);
  frame.writeUInt16BE(0x88b5, 12); // IEEE 802 local experimental EtherType
  return frame;
}

/** A MemoryPort that records every frame the fabric hands its device. */
export class RecordingPort extends MemoryPort {
  private readonly record: { frames: Buffer[]; batches: number };

  /** `accept` caps how many frames of each batch the device takes (the rest are queue-full). */
  constructor(id: string, options: Partial<MemoryPortOptions> & { accept?: number } = {}) {
    const record = { frames: [] as Buffer[], batches: 0 };
    super({
      linkType: 'ethernet',
      ...options,
      id,
      onTransmit: (frames) => {
        const n = Math.min(frames.length, options.accept ?? frames.length);
        record.frames.push(...frames.slice(0, n));
        record.batches++;
        return n;
      },
    });
    this.record = record;
  }

  /** Every frame delivered to the device, in order. */
  get delivered(): readonly Buffer[] {
    return this.record.frames;
  }

  /** Number of batches that reached the device. */
  get batches(): number {
    return this.record.batches;
  }
}
