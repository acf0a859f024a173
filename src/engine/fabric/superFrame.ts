import { segment, superFrameThreshold } from '@netweave/tap';

/**
 * Super-frames: a TAP opened with offloads hands the fabric TCP (and UDP) frames of up to 64 KB
 * with a partial checksum, each with its virtio-net header, as the node's stack made them
 * (TSO/USO). The fabric carries such a frame whole: counted once, captured as the node sent it,
 * written whole (header included) to a port that takes super-frames (another TAP with offloads),
 * and cut into wire frames with their checksums (segment()) at any other port, at an impairment
 * that works per wire frame, or for a capture that asks for wire frames.
 *
 * Every frame of at most SUPER_FRAME_THRESHOLD bytes is a wire frame (the TAP segments a short
 * GSO frame as it reads it), so the fabric looks a header up only for longer frames: the path of
 * ordinary frames costs one length comparison it already made for the MTU.
 */

/** Frames longer than this many bytes may be super-frames. */
export const SUPER_FRAME_THRESHOLD: number = superFrameThreshold;

/** The virtio-net header of every super-frame in the fabric, by frame. */
const headers = new WeakMap<Uint8Array, Buffer>();

/** Marks `frame` as a super-frame with its 10-byte virtio-net header. */
export function markSuperFrame(frame: Uint8Array, header: Buffer): void {
  headers.set(frame, header);
}

/** The virtio-net header of a super-frame; undefined for a wire frame. */
export function superFrameHeader(frame: Uint8Array): Buffer | undefined {
  return frame.length > SUPER_FRAME_THRESHOLD ? headers.get(frame) : undefined;
}

/**
 * The wire frames of a super-frame (its segments, checksums filled in); null when its header is
 * not one that can be segmented (the caller drops it).
 */
export function segmentSuperFrame(frame: Uint8Array, header: Buffer): Buffer[] | null {
  return segment(frame, header);
}

/**
 * `frames` with every super-frame replaced by its wire frames, in order; `frames` itself when
 * it has none. A super-frame that cannot be segmented is left out and counted in `unsegmentable`.
 */
export function toWireFrames(
  frames: readonly Buffer[],
  unsegmentable: (count: number) => void,
): readonly Buffer[] {
  let out: Buffer[] | undefined;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as Buffer;
    const header = superFrameHeader(frame);
    if (header === undefined) {
      out?.push(frame);
      continue;
    }
    out ??= frames.slice(0, i);
    const wire = segmentSuperFrame(frame, header);
    if (wire === null) unsegmentable(1);
    else for (const w of wire) out.push(w);
  }
  return out ?? frames;
}
