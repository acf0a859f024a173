import { Emitter, type Disposable } from '../../shared/lifecycle.js';
import { frameNote, framesHaveNotes } from './impair/notes.js';
import { PcapngWriter, type PcapngOutput } from './pcapng.js';
import type { Direction, Port, PortObserver } from './port.js';
import { SUPER_FRAME_THRESHOLD, toWireFrames } from './superFrame.js';

/**
 * Most bytes a stream output may hold unflushed before the capture starts dropping packets
 * (counted in dropped()): a slow disk or a stalled pipe must not make the engine's memory grow
 * without bound, and the fabric never waits for a capture.
 */
export const DEFAULT_CAPTURE_MAX_BUFFERED = 64 * 1024 * 1024;

/** Options of a Capture. */
export interface CaptureOptions {
  /** Largest number of bytes kept per packet; default DEFAULT_SNAPLEN. */
  snaplen?: number;
  /** See DEFAULT_CAPTURE_MAX_BUFFERED. */
  maxBufferedBytes?: number;
  /**
   * Bytes written but not yet taken by the reader beyond a callback output (a socket the
   * chunks travel on); counted with the stream's own against maxBufferedBytes.
   */
  backlog?: () => number;
  /** End the stream output when the capture stops (default true; pass false for stdout). */
  endStream?: boolean;
  /** Clock in microseconds since the epoch; injected by tests. */
  nowUs?: () => number;
  /**
   * Records a super-frame (superFrame.ts) as the wire frames it stands for, instead of as the
   * node sent or received it (default false).
   */
  wireFrames?: boolean;
}

/** Microseconds since the epoch, with sub-millisecond resolution. */
function defaultNowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * A live capture of one or more ports into a pcapng stream. Each port is one interface (its
 * id as if_name, its link type); frames a port received from its device are "inbound", frames
 * it delivered to its device "outbound", each recorded once, as the node sees them: inbound
 * before the port's ingress stages (impairments), outbound after its egress stages. A frame an
 * impairment corrupted or duplicated carries a packet comment saying so. Ports without a capture
 * pay nothing; dispose stops capturing and ends the output.
 */
export class Capture implements Disposable {
  /** Ids of the captured ports, in interface order. */
  readonly ports: readonly string[];
  private readonly writer: PcapngWriter;
  private readonly interfaceIds = new Map<Port, number>();
  private readonly subscriptions: Disposable[] = [];
  private readonly maxBuffered: number;
  private readonly nowUs: () => number;
  private readonly endStream: boolean;
  private readonly wireFrames: boolean;
  private readonly backlog: () => number;
  private written = 0;
  private skipped = 0;
  private closing: Promise<void> | undefined;
  private readonly didStop = new Emitter<void>();

  /** Fires once when the capture stops (before its output has flushed). */
  readonly onDidStop = this.didStop.event;

  constructor(ports: readonly Port[], output: PcapngOutput, options: CaptureOptions = {}) {
    const unique = [...new Set(ports)];
    if (unique.length === 0) throw new Error('a capture needs at least one port');
    this.maxBuffered = options.maxBufferedBytes ?? DEFAULT_CAPTURE_MAX_BUFFERED;
    this.nowUs = options.nowUs ?? defaultNowUs;
    this.endStream = options.endStream ?? true;
    this.wireFrames = options.wireFrames === true;
    this.backlog = options.backlog ?? (() => 0);
    this.writer = new PcapngWriter(output);
    for (const port of unique) {
      this.interfaceIds.set(
        port,
        this.writer.addInterface({
          name: port.id,
          linkType: port.linkType,
          ...(options.snaplen !== undefined ? { snaplen: options.snaplen } : {}),
        }),
      );
    }
    this.ports = unique.map((p) => p.id);
    const observer: PortObserver = {
      onFrames: (port, direction, frames, count) => {
        this.record(port, direction, frames, count);
      },
    };
    try {
      for (const port of unique) this.subscriptions.push(port.observe(observer));
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /** Packets written so far. */
  frames(): number {
    return this.written;
  }

  /** Packets left out because the output was not keeping up. */
  dropped(): number {
    return this.skipped;
  }

  /** Stops capturing and ends the output (without waiting for it to flush). */
  dispose(): void {
    void this.close();
  }

  /** Stops capturing, ends the output and resolves once a stream output has flushed. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      for (const s of this.subscriptions.splice(0)) void s.dispose();
      this.closing = this.writer.end(this.endStream);
      this.didStop.fire();
      this.didStop.dispose();
    }
    return this.closing;
  }

  private record(port: Port, direction: Direction, frames: readonly Buffer[], count: number): void {
    const id = this.interfaceIds.get(port);
    if (id === undefined || this.closing !== undefined) return;
    if (this.wireFrames && frames.some((f, i) => i < count && f.length > SUPER_FRAME_THRESHOLD)) {
      frames = toWireFrames(frames.slice(0, count), () => undefined);
      count = frames.length;
    }
    if (this.writer.bufferedBytes + this.backlog() > this.maxBuffered) {
      this.skipped += count;
      return;
    }
    this.writer.writePackets(
      id,
      frames,
      count,
      this.nowUs(),
      direction === 'rx' ? 'inbound' : 'outbound',
      // A frame the fabric altered (a flipped bit, a duplicate) says so in its comment.
      framesHaveNotes() ? frameNote : undefined,
    );
    this.written += count;
  }
}
