// The air of a radio-154 node: every frame a member's port takes in is offered to each other
// member, which hears it with the probability of the delivery model (one independent draw per
// frame and receiver). Per member, on the member's own fabric port:
// - sent: rx frames (frames the member transmitted into the air);
// - delivered: tx frames (frames of others it heard);
// - lost: extra 'lost', counted on the RECEIVING port: frames of others it did not hear
//   (a failed draw, probability 0, or out of range), so delivered + lost = what the others sent
//   while its port was up;
// - malformed: extra 'malformed', counted by the UART pipe decoder of the port.
// A monitor port hears every frame on the air once, as a sniffer would: capture it for the
// whole medium in one interface.
import { DisposableStore, toDisposable, type Disposable } from '../../../shared/lifecycle.js';
import type { Port } from '../../fabric/index.js';
import type { DeliveryProbability } from './model.js';

/** The event counted on a receiving member's port for each frame it did not hear. */
export const RADIO_LOST = 'lost';

/** Options of a RadioMedium. */
export interface RadioMediumOptions {
  /** Name of the medium node. */
  name: string;
  /** Probability that a member hears another's frame. */
  probability: DeliveryProbability;
  /** Uniform random numbers in [0, 1) (seeded, so a run can be repeated). */
  random: () => number;
  /** A port that hears every frame once (MemoryPort.inject); its own output is ignored. */
  monitor?: { inject(frames: readonly Buffer[]): void };
}

interface Member {
  readonly name: string;
  readonly port: Port;
}

/** The member of a port: the node part of its id ("z1" of "z1:serial1"). */
export function memberOf(port: Port): string {
  const colon = port.id.indexOf(':');
  return colon < 0 ? port.id : port.id.slice(0, colon);
}

/** A broadcast medium of 802.15.4 ports with per-pair delivery probabilities. */
export class RadioMedium implements Disposable {
  readonly name: string;
  private readonly probability: DeliveryProbability;
  private readonly random: () => number;
  private readonly monitor: RadioMediumOptions['monitor'];
  /** Copy-on-write, so a batch can be delivered while members come and go. */
  private memberList: readonly Member[] = [];
  private readonly store = new DisposableStore();
  private disposed = false;
  /** Extra loss (0-1) from impairments: per "sender->receiver", or "*" for every pair. */
  private readonly loss = new Map<string, number>();

  constructor(options: RadioMediumOptions) {
    this.name = options.name;
    this.probability = options.probability;
    this.random = options.random;
    this.monitor = options.monitor;
  }

  /**
   * Loses a share `loss` (0-1) of what `from` sends `to` on top of the delivery model, or of
   * every pair without one; undefined lifts it (every loss without a pair).
   */
  setLoss(pair: { from: string; to: string } | undefined, loss: number | undefined): void {
    if (loss === undefined && pair === undefined) this.loss.clear();
    else if (loss === undefined) this.loss.delete(`${pair?.from}->${pair?.to}`);
    else this.loss.set(pair ? `${pair.from}->${pair.to}` : '*', loss);
  }

  /** The impairment losses in force, e.g. "z1->z2 100%", for status. */
  describeLoss(): string[] {
    return [...this.loss].map(
      ([pair, loss]) => `${pair === '*' ? 'every pair' : pair} ${Math.round(loss * 1000) / 10}%`,
    );
  }

  /** What `from` sends `to` arrives with this probability: the model's, less any loss. */
  private heard(from: string, to: string): number {
    const p = this.probability(from, to);
    if (this.loss.size === 0) return p;
    const keep = (1 - (this.loss.get(`${from}->${to}`) ?? 0)) * (1 - (this.loss.get('*') ?? 0));
    return p * keep;
  }

  /** The member names, in attach order. */
  get members(): readonly string[] {
    return this.memberList.map((m) => m.name);
  }

  /** The member ports, in attach order. */
  get ports(): readonly Port[] {
    return this.memberList.map((m) => m.port);
  }

  /**
   * Makes a port a member (named after its node, see memberOf); its received frames go on the
   * air from now on. Dispose the result (or the port) to take it off.
   */
  attach(port: Port, name: string = memberOf(port)): Disposable {
    if (this.disposed) throw new Error(`radio ${this.name} is disposed`);
    if (port.linkType !== 'ieee802154') {
      throw new Error(
        `radio ${this.name} carries 802.15.4 frames; port ${port.id} carries ${port.linkType}`,
      );
    }
    if (this.memberList.some((m) => m.name === name)) {
      throw new Error(`node ${name} is already a member of radio ${this.name}`);
    }
    const member: Member = { name, port };
    const subs = new DisposableStore();
    subs.add(port.connect((frames) => this.transmit(member, frames)));
    subs.add(port.onDidDispose(() => void subs.dispose()));
    subs.add(
      toDisposable(() => {
        this.memberList = this.memberList.filter((m) => m !== member);
      }),
    );
    this.memberList = [...this.memberList, member];
    return this.store.add(subs);
  }

  /** Takes every member off the air. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.store.dispose();
    this.memberList = [];
  }

  private transmit(from: Member, frames: readonly Buffer[]): void {
    this.monitor?.inject(frames);
    for (const to of this.memberList) {
      if (to === from) continue;
      const port = to.port;
      // A receiver whose port is down hears nothing: counted there as 'port-down', not lost.
      if (!port.up) {
        port.send(frames);
        continue;
      }
      const p = this.heard(from.name, to.name);
      if (p >= 1) {
        port.send(frames);
        continue;
      }
      if (!(p > 0)) {
        port.countExtra(RADIO_LOST, frames.length);
        continue;
      }
      const heard: Buffer[] = [];
      for (const frame of frames) if (this.random() < p) heard.push(frame);
      const lost = frames.length - heard.length;
      if (lost > 0) port.countExtra(RADIO_LOST, lost);
      if (heard.length > 0) port.send(heard);
    }
  }
}
