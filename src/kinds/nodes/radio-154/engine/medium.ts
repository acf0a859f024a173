// The air of a radio-154 node: every frame a member's port takes in is offered to each other
// member, which hears it with the probability of the delivery model (one independent draw per
// frame and receiver). Per member, on the member's own fabric port:
// - sent: rx frames (frames the member transmitted into the air);
// - delivered: tx frames (frames of others it heard);
// - lost: extra 'lost', counted on the RECEIVING port: frames of others it did not hear
//   (a failed draw, probability 0, or out of range), so delivered + lost = what the others sent
//   while its port was up;
// - malformed: extra 'malformed', counted by the UART pipe decoder of the port.
// Impairments per sender -> receiver pair (the file's `impair:`, faults) act on what the model
// let through, as netem on that pair would: one ImpairmentStage per pair, whose drops count on
// the receiving port by cause ('loss', 'limit', 'rate-queue').
// A monitor port hears every frame on the air once, as a sniffer would: capture it for the
// whole medium in one interface.
import { formatImpairment, type Impairment } from '../../../../shared/impairment.js';
import { DisposableStore, toDisposable, type Disposable } from '../../../../shared/lifecycle.js';
import {
  ImpairmentStage,
  type EgressNext,
  type ImpairmentScheduler,
  type Port,
} from '../../../../engine/fabric/index.js';
import { fnv1a } from '../../../../engine/hash.js';
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
  /** Clock and timers of the pair impairments (the engine's by default; tests inject one). */
  scheduler?: ImpairmentScheduler;
  /**
   * The medium's seed (logged by the node): a pair impairment without a seed of its own takes
   * one derived from it and the pair, so that the medium's seed repeats a whole run.
   */
  seed?: number;
}

/** A 32-bit seed for `id` derived from `seed` (FNV-1a over both). */
function deriveSeed(seed: number, id: string): number {
  return fnv1a(`${seed >>> 0}|${id}`);
}

/** A sender -> receiver pair of members. */
export interface MemberPair {
  from: string;
  to: string;
}

/** The key of a pair's impairment, or of every pair's. */
const EVERY = '*';
const pairKey = (pair: MemberPair): string => `${pair.from}->${pair.to}`;

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
  /** Impairments in force: per "sender->receiver", or EVERY for every pair. */
  private readonly impairments = new Map<string, Impairment>();
  /** The stages that apply them, per impairment key and pair: "key|sender->receiver". */
  private readonly stages = new Map<string, ImpairmentStage>();
  private readonly scheduler: ImpairmentScheduler | undefined;
  private readonly seed: number | undefined;

  constructor(options: RadioMediumOptions) {
    this.name = options.name;
    this.probability = options.probability;
    this.random = options.random;
    this.monitor = options.monitor;
    this.scheduler = options.scheduler;
    this.seed = options.seed;
  }

  /**
   * Impairs what `pair.from` sends `pair.to` (netem's settings) on top of the delivery model,
   * or every pair without one; undefined lifts it (every impairment without a pair). Changing
   * an impairment keeps the frames its stages hold; lifting it drops them, as deleting a netem
   * qdisc does.
   */
  setImpairment(pair: MemberPair | undefined, impairment: Impairment | undefined): void {
    if (impairment === undefined && pair === undefined) {
      this.impairments.clear();
      for (const stage of this.stages.values()) stage.dispose();
      this.stages.clear();
      return;
    }
    const key = pair ? pairKey(pair) : EVERY;
    if (impairment === undefined) this.impairments.delete(key);
    else this.impairments.set(key, impairment);
    for (const [id, stage] of this.stages) {
      if (!id.startsWith(`${key}|`)) continue;
      if (impairment === undefined) {
        stage.dispose();
        this.stages.delete(id);
      } else {
        stage.update(impairment);
      }
    }
  }

  /** The impairments in force, e.g. "z1->z2 loss=100%", for status and the log. */
  describeImpairments(): string[] {
    return [...this.impairments].map(
      ([key, spec]) => `${key === EVERY ? 'every pair' : key} ${formatImpairment(spec)}`,
    );
  }

  /**
   * Hands what `to` heard of `from` to its port, through the impairment of every pair and then
   * that of the pair, each a stage of its own per pair (a stage sends what it held to the
   * receiver it holds it for).
   */
  private deliver(from: string, to: Member, frames: readonly Buffer[]): void {
    const port = to.port;
    const send: EgressNext = (out) => {
      if (out.length > 0) port.send(out);
    };
    if (this.impairments.size === 0) {
      send(frames);
      return;
    }
    const pair = `${from}->${to.name}`;
    const viaPair = this.stageFor(pairKey({ from, to: to.name }), pair);
    const afterEvery: EgressNext = viaPair
      ? (out) => viaPair.process(out, send, port.egressContext)
      : send;
    const viaEvery = this.stageFor(EVERY, pair);
    if (viaEvery) viaEvery.process(frames, afterEvery, port.egressContext);
    else afterEvery(frames);
  }

  /** The stage of impairment `key` for `pair`, made on first use; undefined without one. */
  private stageFor(key: string, pair: string): ImpairmentStage | undefined {
    const spec = this.impairments.get(key);
    if (spec === undefined) return undefined;
    const id = `${key}|${pair}`;
    let stage = this.stages.get(id);
    if (stage === undefined) {
      const seeded =
        spec.seed === undefined && this.seed !== undefined
          ? { ...spec, seed: deriveSeed(this.seed, id) }
          : spec;
      stage = new ImpairmentStage(seeded, this.scheduler ? { scheduler: this.scheduler } : {});
      this.stages.set(id, stage);
    }
    return stage;
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
        // Its pair stages go with it: nothing held is sent to a port that is gone.
        for (const [id, stage] of this.stages) {
          const [from, to] = (id.split('|')[1] ?? '').split('->');
          if (from !== name && to !== name) continue;
          stage.dispose();
          this.stages.delete(id);
        }
      }),
    );
    this.memberList = [...this.memberList, member];
    return this.store.add(subs);
  }

  /** Takes every member off the air. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.setImpairment(undefined, undefined);
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
      const p = this.probability(from.name, to.name);
      if (p >= 1) {
        this.deliver(from.name, to, frames);
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
      if (heard.length > 0) this.deliver(from.name, to, heard);
    }
  }
}
