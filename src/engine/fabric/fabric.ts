import type { CounterSnapshot } from '../../shared/contract.js';
import type { Impairment, ImpairmentStatus } from '../../shared/impairment.js';
import { Emitter, toDisposable, type Disposable } from '../../shared/lifecycle.js';
import { Capture, type CaptureOptions } from './capture.js';
import { EthernetSwitch, type EthernetSwitchOptions } from './ethernetSwitch.js';
import type { ImpairmentScheduler } from './impair/scheduler.js';
import type { PcapngOutput } from './pcapng.js';
import { PointToPointLink } from './pointToPointLink.js';
import type { Direction, Port } from './port.js';

/**
 * How often counters are published while publishing runs: a few snapshots a second keep the
 * UI live without flooding the transports (DESIGN.md: never per packet).
 */
export const DEFAULT_COUNTER_INTERVAL_MS = 250;

/** Options of a Fabric. */
export interface FabricOptions {
  /** Clock in ms for snapshots and switch aging (Date.now by default); injected by tests. */
  clock?: () => number;
  /** Clock and timers of impairments (systemScheduler by default); injected by tests. */
  scheduler?: ImpairmentScheduler;
}

/** One impaired direction of one port, as Fabric.impairments() lists it. */
export interface PortImpairment {
  /** Port id ("node:port"). */
  port: string;
  direction: Direction;
  status: ImpairmentStatus;
}

/**
 * The frame fabric of one lab: owns its ports, switches, point-to-point links and captures,
 * samples their counters, and disposes all of them together.
 */
export class Fabric implements Disposable {
  private readonly portMap = new Map<string, Port>();
  private readonly portSubscriptions = new Map<Port, Disposable>();
  private readonly switches = new Map<string, EthernetSwitch>();
  private readonly links = new Set<PointToPointLink>();
  private readonly captures = new Set<Capture>();
  private readonly clock: () => number;
  private readonly scheduler: ImpairmentScheduler | undefined;
  private readonly countersEmitter = new Emitter<CounterSnapshot>();
  private publisher: NodeJS.Timeout | undefined;
  private disposed = false;

  /** Counter snapshots, fired every interval while startCounters() runs. */
  readonly onCounters = this.countersEmitter.event;

  constructor(options: FabricOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.scheduler = options.scheduler;
  }

  /** Registers a port under its id (which must be unique); the fabric disposes it. */
  addPort<T extends Port>(port: T): T {
    this.mustBeOpen();
    if (port.isDisposed) throw new Error(`port ${port.id} is disposed`);
    if (this.portMap.has(port.id)) throw new Error(`the fabric already has a port ${port.id}`);
    this.portMap.set(port.id, port);
    this.portSubscriptions.set(
      port,
      port.onDidDispose(() => {
        this.portMap.delete(port.id);
        this.portSubscriptions.delete(port);
      }),
    );
    return port;
  }

  /**
   * Takes a port out of the lab and disposes it: the fabric is the one owner of its ports, so a
   * node or link that is done with one hands it back here rather than disposing it itself.
   */
  removePort(port: Port): void {
    port.dispose();
  }

  /** The port with this id ("node:port"), if any. */
  port(id: string): Port | undefined {
    return this.portMap.get(id);
  }

  /** Ids of every port, in registration order. */
  portIds(): string[] {
    return [...this.portMap.keys()];
  }

  /** Every port, in registration order. */
  ports(): Port[] {
    return [...this.portMap.values()];
  }

  /** Creates a learning Ethernet switch named after its node; the fabric disposes it. */
  addSwitch(name: string, options: Omit<EthernetSwitchOptions, 'name'> = {}): EthernetSwitch {
    this.mustBeOpen();
    if (this.switches.has(name)) throw new Error(`the fabric already has a switch ${name}`);
    const sw = new EthernetSwitch({ clock: this.clock, ...options, name });
    this.switches.set(name, sw);
    sw.onDidDispose(() => {
      if (this.switches.get(name) === sw) this.switches.delete(name);
    });
    return sw;
  }

  /** The switch with this name, if any. */
  switch(name: string): EthernetSwitch | undefined {
    return this.switches.get(name);
  }

  /** Joins two ports with a point-to-point link; dispose it (or the fabric) to unjoin. */
  connect(a: Port, b: Port): PointToPointLink {
    this.mustBeOpen();
    const link = new PointToPointLink(a, b);
    this.links.add(link);
    link.onDidDispose(() => this.links.delete(link));
    return link;
  }

  /**
   * Captures ports (both directions) into a pcapng stream; a link's capture is its ports.
   * Dispose (or close()) the result to stop.
   */
  capture(ports: readonly Port[], output: PcapngOutput, options?: CaptureOptions): Capture {
    this.mustBeOpen();
    const cap = new Capture(ports, output, options);
    this.captures.add(cap);
    cap.onDidStop(() => this.captures.delete(cap));
    return cap;
  }

  /**
   * Sets, changes or clears (undefined) the impairment of one direction of a port: see
   * Port.setImpairment(). For a link "a->b", impair the a-end port's 'rx' (frames its device
   * sends) and for "b->a" the same port's 'tx' (frames for its device); that works whether the
   * link ends at a switch or at another port. Throws (one sentence) for an unknown port or an
   * invalid spec.
   */
  impair(portId: string, direction: Direction, spec: Impairment | undefined): void {
    this.mustBeOpen();
    const port = this.portMap.get(portId);
    if (port === undefined) throw new Error(`the fabric has no port ${portId}`);
    port.setImpairment(
      direction,
      spec,
      this.scheduler !== undefined ? { scheduler: this.scheduler } : {},
    );
  }

  /** Every impaired direction of every port, in port registration order, rx before tx. */
  impairments(): PortImpairment[] {
    const out: PortImpairment[] = [];
    for (const port of this.portMap.values()) {
      for (const direction of ['rx', 'tx'] as const) {
        const status = port.impairmentStatus(direction);
        if (status !== undefined) out.push({ port: port.id, direction, status });
      }
    }
    return out;
  }

  /** Every port's counters, now. */
  snapshot(): CounterSnapshot {
    const ports = [];
    for (const port of this.portMap.values()) ports.push(port.snapshot());
    return { time: this.clock(), ports };
  }

  /**
   * Publishes a snapshot on onCounters every `intervalMs` until the result (or the fabric) is
   * disposed. Only one publisher runs; starting again changes the interval.
   */
  startCounters(intervalMs: number = DEFAULT_COUNTER_INTERVAL_MS): Disposable {
    this.mustBeOpen();
    if (!(intervalMs > 0)) throw new Error('the counter interval must be positive');
    this.stopCounters();
    const timer = setInterval(() => {
      if (this.countersEmitter.size > 0) this.countersEmitter.fire(this.snapshot());
    }, intervalMs);
    // The lab's processes and sockets keep the engine alive, not this timer.
    timer.unref();
    this.publisher = timer;
    return toDisposable(() => {
      if (this.publisher === timer) this.stopCounters();
    });
  }

  /** Stops publishing counters. */
  stopCounters(): void {
    if (this.publisher !== undefined) clearInterval(this.publisher);
    this.publisher = undefined;
  }

  /** Stops captures and counters, then disposes links, switches and ports (last added first). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopCounters();
    this.countersEmitter.dispose();
    const errors: unknown[] = [];
    const run = (fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const cap of [...this.captures].reverse()) run(() => cap.dispose());
    for (const link of [...this.links].reverse()) run(() => link.dispose());
    for (const sw of [...this.switches.values()].reverse()) run(() => sw.dispose());
    this.switches.clear();
    for (const port of [...this.portMap.values()].reverse()) run(() => port.dispose());
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(errors, 'several fabric parts failed to dispose');
  }

  private mustBeOpen(): void {
    if (this.disposed) throw new Error('the fabric is disposed');
  }
}
