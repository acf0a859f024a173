import type { PortCounters, PortStatus } from '../../shared/contract.js';
import {
  checkImpairment,
  formatImpairment,
  isInertImpairment,
  type Impairment,
  type ImpairmentStatus,
} from '../../shared/impairment.js';
import type { DropCause, LinkType } from '../../shared/kinds.js';
import { Emitter, toDisposable, type Disposable } from '../../shared/lifecycle.js';
import { DirectionCounter } from './counters.js';
import { EgressPipeline, type EgressContext, type EgressNext } from './egress.js';
import type { ImpairmentScheduler } from './impair/scheduler.js';
import { ImpairmentStage } from './impair/stage.js';
import {
  SUPER_FRAME_THRESHOLD,
  segmentSuperFrame,
  superFrameHeader,
  toWireFrames,
} from './superFrame.js';

/**
 * Largest frame a port accepts by default, per link type, in bytes as the fabric sees them
 * (no FCS, no framing).
 */
export const DEFAULT_MTU: Readonly<Record<LinkType, number>> = {
  // 1514 (1500-byte payload + 14-byte header, no FCS) plus 4 bytes of slack for one VLAN tag.
  ethernet: 1518,
  // aMaxPhyPacketSize of IEEE 802.15.4; LINKTYPE_IEEE802_15_4_NOFCS frames are 2 bytes shorter.
  ieee802154: 127,
  // The IP MTU Zephyr's SLIP and TUN-style links use.
  'raw-ip': 1500,
  // PPP's default MRU of 1500 plus address, control and a 2-byte protocol field (no FCS).
  ppp: 1504,
};

/** Direction of a frame at a port: rx from the device into the fabric, tx out to the device. */
export type Direction = 'rx' | 'tx';

/**
 * Takes the frames a port received from its device: installed by whatever the port is
 * attached to (a switch, a point-to-point link). The array is borrowed for the call.
 */
export type FrameHandler = (frames: readonly Buffer[], from: Port) => void;

/**
 * Watches the frames that cross a port (a capture). Called synchronously with a borrowed
 * array of which the first `count` frames crossed; rx frames are those the fabric accepted,
 * tx frames those the device accepted.
 */
export interface PortObserver {
  onFrames(port: Port, direction: Direction, frames: readonly Buffer[], count: number): void;
}

/** Options of Port.setImpairment(). */
export interface SetImpairmentOptions {
  /**
   * Clock and timers of the impairment stage (default: the machine's monotonic clock and Node
   * timers); used when the stage is created, i.e. when a direction goes from unimpaired to
   * impaired. Tests pass a ManualScheduler.
   */
  scheduler?: ImpairmentScheduler;
}

/** One direction's impairment: the spec as set, and the stage running it (none when inert). */
interface ImpairmentSlot {
  spec: Impairment | undefined;
  stage: ImpairmentStage | undefined;
}

/** What every port is created with. */
export interface PortOptions {
  /** "node:port". */
  id: string;
  linkType: LinkType;
  /** Largest frame accepted in either direction; default DEFAULT_MTU[linkType]. */
  mtu?: number;
}

/**
 * One endpoint of the fabric, with a device behind it. Frames from the device enter through
 * receive() (down port -> 'port-down', longer than mtu -> 'too-big', counted as rx and seen by
 * captures, then run through the ingress pipeline whose last stage gives them to the handler, or
 * counts 'no-destination' without one). Frames for the device leave through send(), which runs
 * the egress pipeline whose last stage is the device writer (transmit()); frames the device does
 * not take are 'queue-full' drops (or 'device-error' ones, see refusal()), and captures see what
 * it took. Subclasses supply the device.
 *
 * Super-frames (superFrame.ts) are exempt from the mtu: a port counts one as one frame, passes
 * it whole to a device that takes them (takesSuperFrames) and otherwise sends its wire frames;
 * an impairment stage always sees wire frames.
 *
 * So a capture shows frames as the node sees them: on the way in before any ingress stage (as
 * the node sent them), on the way out after every egress stage (as the node receives them).
 * Impairments (setImpairment) are such stages: 'rx' acts on what the device sends before it
 * reaches the switch or link, 'tx' on what the device is about to receive.
 */
export abstract class Port implements Disposable {
  /** "node:port". */
  readonly id: string;
  /** Kind of frame the port carries. */
  readonly linkType: LinkType;
  /** Largest frame accepted in either direction, in bytes. */
  readonly mtu: number;
  /** Counters of frames from the device into the fabric. */
  readonly rx = new DirectionCounter();
  /** Counters of frames from the fabric to the device. */
  readonly tx = new DirectionCounter();
  /** Stages every outgoing batch passes before the device writer. */
  readonly egress: EgressPipeline;
  /**
   * Stages every batch from the device passes (after rx counting and captures) before the switch
   * or link the port is attached to. Drops there count on rx.
   */
  readonly ingress: EgressPipeline;

  /**
   * True when the device takes super-frames whole (a TAP with offloads); set by the subclass.
   */
  protected takesSuperFrames = false;

  /**
   * Frames longer than this take send()'s and receive()'s slow path: the mtu, or for Ethernet
   * the super-frame threshold when that is lower (a super-frame may be shorter than a jumbo mtu).
   */
  private readonly checkLength: number;

  /** Kind-specific event counts (codec errors, medium losses), by event name. */
  private readonly extra = new Map<string, number>();
  private adminUp = true;
  private disposed = false;
  /** Why the device failed, once it did: the port is down for good then. */
  private failure: string | undefined;
  private handler: FrameHandler | undefined;
  private observers: readonly PortObserver[] | null = null;
  private readonly didDispose = new Emitter<Port>();
  private readonly impairments: Record<Direction, ImpairmentSlot> = {
    rx: { spec: undefined, stage: undefined },
    tx: { spec: undefined, stage: undefined },
  };

  /** Fires once when the port is disposed, before its device is released. */
  readonly onDidDispose = this.didDispose.event;

  /**
   * Counts as this port's egress does (drops by cause on the way to its device, events): for a
   * stage that runs before port.send(), such as a radio medium's per-pair impairments.
   */
  readonly egressContext: EgressContext;

  constructor(options: PortOptions) {
    if (options.id.length === 0) throw new Error('a fabric port needs an id ("node:port")');
    const mtu = options.mtu ?? DEFAULT_MTU[options.linkType];
    if (!Number.isInteger(mtu) || mtu <= 0) {
      throw new Error(`port ${options.id}: mtu must be a positive integer, not ${mtu}`);
    }
    this.id = options.id;
    this.linkType = options.linkType;
    this.mtu = mtu;
    this.checkLength = options.linkType === 'ethernet' ? Math.min(mtu, SUPER_FRAME_THRESHOLD) : mtu;
    const tx = this.tx;
    const rx = this.rx;
    const countExtra = (event: string, count: number): void => {
      this.countExtra(event, count);
    };
    const txContext: EgressContext = {
      portId: this.id,
      direction: 'tx',
      drop(cause: DropCause, count: number): void {
        tx.drop(cause, count);
      },
      count: countExtra,
    };
    const rxContext: EgressContext = {
      portId: this.id,
      direction: 'rx',
      drop(cause: DropCause, count: number): void {
        rx.drop(cause, count);
      },
      count: countExtra,
    };
    this.egressContext = txContext;
    this.egress = new EgressPipeline(txContext, (frames) => {
      this.writeToDevice(frames);
    });
    this.ingress = new EgressPipeline(rxContext, this.toAttachment);
  }

  /** Administrative state: a down port drops frames in both directions ('port-down'). */
  get up(): boolean {
    return this.adminUp;
  }

  /** Sets the administrative state; a disposed or failed port stays down. */
  setUp(up: boolean): void {
    this.adminUp = up && !this.disposed && this.failure === undefined;
  }

  /** Why the port's device failed (the port is down for good), undefined while it works. */
  get failureReason(): string | undefined {
    return this.failure;
  }

  /** The port in a node's status: its state, and why it failed if it did. */
  status(): PortStatus {
    return {
      id: this.id,
      linkType: this.linkType,
      up: this.adminUp,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
    };
  }

  /** True once dispose() ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True while a switch or link takes this port's frames. */
  get connected(): boolean {
    return this.handler !== undefined;
  }

  /**
   * Attaches the port to a switch or link: `handler` receives every batch the port takes in.
   * A port has one handler at a time; dispose the result to detach.
   */
  connect(handler: FrameHandler): Disposable {
    if (this.disposed) throw new Error(`port ${this.id} is disposed`);
    if (this.handler !== undefined) throw new Error(`port ${this.id} is already connected`);
    this.handler = handler;
    return toDisposable(() => {
      if (this.handler === handler) this.handler = undefined;
    });
  }

  /** Adds an observer (a capture) of both directions; dispose the result to remove it. */
  observe(observer: PortObserver): Disposable {
    if (this.disposed) throw new Error(`port ${this.id} is disposed`);
    this.observers = [...(this.observers ?? []), observer];
    return toDisposable(() => {
      const rest = (this.observers ?? []).filter((o) => o !== observer);
      this.observers = rest.length > 0 ? rest : null;
    });
  }

  /**
   * Sends a batch out of the port towards its device, through the egress pipeline. The array
   * is borrowed for the call.
   */
  send(frames: readonly Buffer[]): void {
    const n = frames.length;
    if (n === 0) return;
    if (!this.adminUp) {
      this.tx.portDown += n;
      return;
    }
    const limit = this.checkLength;
    for (const frame of frames) {
      if (frame.length > limit) {
        const fit = this.outgoing(frames);
        if (fit.length > 0) this.egress.run(fit);
        return;
      }
    }
    this.egress.run(frames);
  }

  /**
   * Sets, changes or clears (`spec` undefined or empty) the impairment of one direction:
   * 'rx' acts on frames the device sends, after rx counting and captures and before the switch
   * or link; 'tx' on frames for the device, before the device writer and captures. On a link
   * "a->b" whose a-end is this port that is 'rx'; "b->a" is 'tx'.
   *
   * - A spec that does nothing (isInertImpairment, e.g. loss=0%) installs no stage: the port
   *   costs what an unimpaired one does; status still shows the spec.
   * - Changing a spec keeps the stage and its held frames (netem's `tc qdisc change`): they
   *   leave at the times computed when they arrived; new frames follow the new spec.
   * - Clearing (or changing to an inert spec) removes the stage and delivers its held frames at
   *   once, in order: frames already accepted are not lost to an administrative change.
   *
   * Throws (one sentence) when the spec is not valid (checkImpairment) or the port is disposed.
   */
  setImpairment(
    direction: Direction,
    spec: Impairment | undefined,
    options: SetImpairmentOptions = {},
  ): void {
    if (this.disposed) throw new Error(`port ${this.id} is disposed`);
    if (direction !== 'rx' && direction !== 'tx') {
      throw new Error(`port ${this.id}: the direction is rx or tx, not ${String(direction)}`);
    }
    let kept: Impairment | undefined;
    if (spec !== undefined) {
      const problem = checkImpairment(spec);
      if (problem !== undefined) throw new Error(`port ${this.id}: ${problem.error}`);
      if (formatImpairment(spec) !== '') kept = frozenCopy(spec);
    }
    const slot = this.impairments[direction];
    const pipeline = direction === 'rx' ? this.ingress : this.egress;
    const stage = slot.stage;
    if (kept === undefined || isInertImpairment(kept)) {
      slot.stage = undefined;
      if (stage !== undefined) {
        stage.flush();
        pipeline.remove(stage);
      }
    } else if (stage !== undefined) {
      stage.update(kept);
    } else {
      const created = new ImpairmentStage(kept, {
        ...(options.scheduler !== undefined ? { scheduler: options.scheduler } : {}),
      });
      pipeline.insert(created);
      slot.stage = created;
    }
    slot.spec = kept;
  }

  /** The impairment of one direction as set (frozen), undefined when there is none. */
  impairment(direction: Direction): Impairment | undefined {
    return this.impairments[direction].spec;
  }

  /** The impairment of one direction for status, undefined when there is none. */
  impairmentStatus(direction: Direction): ImpairmentStatus | undefined {
    const { spec, stage } = this.impairments[direction];
    if (spec === undefined) return undefined;
    return {
      spec,
      text: formatImpairment(spec),
      active: stage !== undefined,
      ...(stage !== undefined ? { seed: stage.seed, counters: stage.counters() } : {}),
    };
  }

  /**
   * Counts a kind-specific event (a SLIP decoder's 'bad-escape', a radio medium's 'lost'), shown
   * with the port's counters under `extra`.
   */
  countExtra(event: string, count = 1): void {
    this.extra.set(event, (this.extra.get(event) ?? 0) + count);
  }

  /** The count of one kind-specific event (0 when never counted). */
  extraCount(event: string): number {
    return this.extra.get(event) ?? 0;
  }

  /** The port's counters in the contract's shape. */
  snapshot(): PortCounters {
    return {
      port: this.id,
      linkType: this.linkType,
      rx: this.rx.snapshot(),
      tx: this.tx.snapshot(),
      ...(this.extra.size > 0 ? { extra: Object.fromEntries(this.extra) } : {}),
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
    };
  }

  /** Takes the port down for good, detaches it, removes its stages and releases its device. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.adminUp = false;
    this.handler = undefined;
    this.observers = null;
    this.egress.dispose();
    this.ingress.dispose();
    for (const slot of Object.values(this.impairments)) slot.stage = undefined;
    try {
      this.didDispose.fire(this);
    } finally {
      this.didDispose.dispose();
      this.disposeDevice();
    }
  }

  /**
   * Called by the device side when the device stopped working for good (e.g. its interface was
   * deleted): the port goes down, and `reason` (one sentence) shows in status and counters.
   */
  protected fail(reason: string): void {
    if (this.disposed || this.failure !== undefined) return;
    this.failure = reason;
    this.adminUp = false;
  }

  /**
   * Called by the device side with frames it received. The array is borrowed for the call.
   */
  protected receive(frames: readonly Buffer[]): void {
    const n = frames.length;
    if (n === 0) return;
    if (!this.adminUp) {
      this.rx.portDown += n;
      return;
    }
    const limit = this.checkLength;
    let accepted = frames;
    let bytes = 0;
    let long = false;
    for (const frame of frames) {
      if (frame.length > limit) {
        accepted = this.incoming(frames);
        bytes = sumBytes(accepted, accepted.length);
        long = true;
        break;
      }
      bytes += frame.length;
    }
    const count = accepted.length;
    if (count === 0) return;
    this.rx.frames += count;
    this.rx.bytes += bytes;
    const observers = this.observers;
    if (observers !== null) {
      for (const o of observers) o.onFrames(this, 'rx', accepted, count);
    }
    // An impairment works per wire frame.
    if (long && this.impairments.rx.stage !== undefined) {
      accepted = toWireFrames(accepted, (n) => {
        this.rx.tooBig += n;
      });
    }
    this.ingress.run(accepted);
  }

  /**
   * Why the device took fewer frames than offered by the last transmit(): 'queue-full' (it takes
   * no more for now: the rest of the batch is dropped) or 'device-error' (it refused the next
   * frame: that one is dropped, and the frames after it are offered again).
   */
  protected refusal(): 'queue-full' | 'device-error' {
    return 'queue-full';
  }

  /**
   * Writes frames to the device; returns how many it accepted, in order (the rest are counted
   * as 'queue-full'). Must not throw for runtime conditions such as a full queue.
   */
  protected abstract transmit(frames: readonly Buffer[]): number;

  /** Releases the device (closes an fd, a socket). Called once, by dispose(). */
  protected abstract disposeDevice(): void;

  /** The ingress pipeline's last stage: hands frames to the switch or link. */
  private readonly toAttachment: EgressNext = (frames) => {
    const n = frames.length;
    if (n === 0) return;
    // Checked again here: a stage may hold frames until after the port went down.
    if (!this.adminUp) {
      this.rx.portDown += n;
      return;
    }
    const handler = this.handler;
    if (handler === undefined) {
      this.rx.noDestination += n;
      return;
    }
    handler(frames, this);
  };

  private writeToDevice(frames: readonly Buffer[]): void {
    const n = frames.length;
    if (n === 0) return;
    // Checked again here: a stage may hold frames until after the port went down.
    if (!this.adminUp) {
      this.tx.portDown += n;
      return;
    }
    let batch = frames;
    for (;;) {
      const left = batch.length;
      const accepted = this.transmit(batch);
      const written = accepted >= left ? left : accepted > 0 ? accepted : 0;
      this.tx.frames += written;
      this.tx.bytes += sumBytes(batch, written);
      const observers = this.observers;
      if (observers !== null && written > 0) {
        for (const o of observers) o.onFrames(this, 'tx', batch, written);
      }
      if (written === left) return;
      if (this.refusal() === 'queue-full') {
        this.tx.queueFull += left - written;
        return;
      }
      this.tx.deviceError += 1;
      if (written + 1 === left) return;
      batch = batch.slice(written + 1);
    }
  }

  /**
   * send()'s slow path: a super-frame goes whole to a device that takes them (unless an
   * impairment stage must see wire frames) and as its wire frames otherwise; any other frame
   * longer than the mtu is a 'too-big' drop.
   */
  private outgoing(frames: readonly Buffer[]): readonly Buffer[] {
    const whole = this.takesSuperFrames && this.impairments.tx.stage === undefined;
    const mtu = this.mtu;
    const out: Buffer[] = [];
    for (const frame of frames) {
      const header = superFrameHeader(frame);
      if (header === undefined || whole) {
        if (frame.length <= mtu || header !== undefined) out.push(frame);
        else this.tx.tooBig += 1;
        continue;
      }
      for (const w of segmentSuperFrame(frame, header) ?? [frame]) {
        if (w.length <= mtu) out.push(w);
        else this.tx.tooBig += 1;
      }
    }
    return out;
  }

  /** receive()'s slow path: super-frames pass, other frames longer than the mtu are 'too-big'. */
  private incoming(frames: readonly Buffer[]): readonly Buffer[] {
    const mtu = this.mtu;
    const fit = frames.filter((f) => f.length <= mtu || superFrameHeader(f) !== undefined);
    this.rx.tooBig += frames.length - fit.length;
    return fit;
  }
}

/** A deep, frozen copy of a spec, so that status shows what was set whatever the caller does. */
function frozenCopy(spec: Impairment): Impairment {
  const copy = structuredClone(spec);
  if (typeof copy.loss === 'object') Object.freeze(copy.loss);
  if (copy.queue !== undefined) Object.freeze(copy.queue);
  return Object.freeze(copy);
}

function sumBytes(frames: readonly Buffer[], count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += frames[i]?.length ?? 0;
  return bytes;
}
