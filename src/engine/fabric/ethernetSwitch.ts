import { Emitter, type Disposable } from '../../shared/lifecycle.js';
import type { Port } from './port.js';

/** How long a learned MAC address stays valid without traffic from it (IEEE 802.1D default). */
export const DEFAULT_AGING_MS = 300_000;

/** Shortest frame the switch can forward: destination, source and EtherType. */
const ETHERNET_HEADER_BYTES = 14;

/** Options of an EthernetSwitch. */
export interface EthernetSwitchOptions {
  /** Name of the switch node. */
  name: string;
  /** Aging time of learned addresses in ms; default DEFAULT_AGING_MS. */
  agingMs?: number;
  /** Clock in ms (Date.now by default); injected by tests. */
  clock?: () => number;
}

/** One learned address, as shown by EthernetSwitch.macTable(). */
export interface MacTableEntry {
  /** "02:00:00:00:00:01". */
  mac: string;
  /** Id of the port it was learned on. */
  port: string;
  /** Milliseconds since a frame from it was last seen. */
  ageMs: number;
}

interface Member {
  readonly port: Port;
  /** Frames for this port collected while one input batch is switched. */
  pending: Buffer[] | null;
  readonly subscriptions: Disposable[];
}

interface Learned {
  member: Member;
  seen: number;
}

/**
 * A learning Ethernet switch (the `switch` node kind). Source addresses are learned per port
 * and age out; known unicast goes to exactly one port, unknown unicast, broadcast and
 * multicast are flooded to every other port. A frame for an address learned on its own
 * ingress port, a runt, or a flood with nowhere to go counts as 'no-destination' on the
 * ingress port's rx. Output is grouped per port: one send() per port per input batch.
 */
export class EthernetSwitch implements Disposable {
  /** Name of the switch node. */
  readonly name: string;
  /** Aging time of learned addresses in ms. */
  readonly agingMs: number;
  private readonly clock: () => number;
  private readonly members = new Map<Port, Member>();
  /** Copy-on-write list of members, so a batch can be switched while ports come and go. */
  private memberList: readonly Member[] = [];
  private readonly table = new Map<number, Learned>();
  private lastSweep: number;
  private disposed = false;
  private readonly didDispose = new Emitter<void>();

  /** Fires once when the switch is disposed. */
  readonly onDidDispose = this.didDispose.event;

  constructor(options: EthernetSwitchOptions) {
    const agingMs = options.agingMs ?? DEFAULT_AGING_MS;
    if (!(agingMs > 0)) throw new Error(`switch ${options.name}: agingMs must be positive`);
    this.name = options.name;
    this.agingMs = agingMs;
    this.clock = options.clock ?? Date.now;
    this.lastSweep = this.clock();
  }

  /** The attached ports, in attach order. */
  get ports(): readonly Port[] {
    return this.memberList.map((m) => m.port);
  }

  /**
   * Attaches an Ethernet port; its received frames are switched from now on. Dispose the
   * result (or the port) to detach it.
   */
  attach(port: Port): Disposable {
    if (this.disposed) throw new Error(`switch ${this.name} is disposed`);
    if (port.linkType !== 'ethernet') {
      throw new Error(
        `switch ${this.name} carries Ethernet frames; port ${port.id} carries ${port.linkType}`,
      );
    }
    if (this.members.has(port))
      throw new Error(`port ${port.id} is already on switch ${this.name}`);
    const member: Member = { port, pending: null, subscriptions: [] };
    member.subscriptions.push(
      port.connect((frames) => {
        this.switchBatch(member, frames);
      }),
      port.onDidDispose(() => {
        this.detach(port);
      }),
    );
    this.members.set(port, member);
    this.memberList = [...this.memberList, member];
    return {
      dispose: () => {
        this.detach(port);
      },
    };
  }

  /** Detaches a port and forgets the addresses learned on it. */
  detach(port: Port): void {
    const member = this.members.get(port);
    if (member === undefined) return;
    this.members.delete(port);
    this.memberList = this.memberList.filter((m) => m !== member);
    for (const [mac, entry] of this.table) if (entry.member === member) this.table.delete(mac);
    for (const s of member.subscriptions) void s.dispose();
  }

  /** The addresses currently learned (aged entries left out). */
  macTable(): MacTableEntry[] {
    const now = this.clock();
    const out: MacTableEntry[] = [];
    for (const [mac, entry] of this.table) {
      const ageMs = now - entry.seen;
      if (ageMs <= this.agingMs)
        out.push({ mac: formatMac(mac), port: entry.member.port.id, ageMs });
    }
    return out;
  }

  /** Forgets every learned address (as after a topology change). */
  flush(): void {
    this.table.clear();
  }

  /** Detaches every port. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const port of [...this.members.keys()]) this.detach(port);
    this.table.clear();
    this.didDispose.fire();
    this.didDispose.dispose();
  }

  private switchBatch(ingress: Member, frames: readonly Buffer[]): void {
    const now = this.clock();
    if (now - this.lastSweep >= this.agingMs) this.sweep(now);
    const members = this.memberList;
    const table = this.table;
    const agingMs = this.agingMs;
    let noDestination = 0;

    for (const frame of frames) {
      if (frame.length < ETHERNET_HEADER_BYTES) {
        noDestination++;
        continue;
      }
      // Learn the source unless it is a group address (never a valid source).
      if ((frame[6]! & 1) === 0) {
        const src = frame.readUIntBE(6, 6);
        const known = table.get(src);
        if (known === undefined) table.set(src, { member: ingress, seen: now });
        else {
          known.member = ingress;
          known.seen = now;
        }
      }
      if ((frame[0]! & 1) === 0) {
        const dst = frame.readUIntBE(0, 6);
        const entry = table.get(dst);
        if (entry !== undefined) {
          if (now - entry.seen <= agingMs) {
            const egress = entry.member;
            if (egress === ingress) noDestination++;
            else (egress.pending ??= []).push(frame);
            continue;
          }
          table.delete(dst);
        }
      }
      // Broadcast, multicast or unknown unicast: flood.
      let flooded = false;
      for (const m of members) {
        if (m === ingress) continue;
        (m.pending ??= []).push(frame);
        flooded = true;
      }
      if (!flooded) noDestination++;
    }

    for (const m of members) {
      const batch = m.pending;
      if (batch === null) continue;
      m.pending = null;
      m.port.send(batch);
    }
    if (noDestination > 0) ingress.port.rx.noDestination += noDestination;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [mac, entry] of this.table) {
      if (now - entry.seen > this.agingMs) this.table.delete(mac);
    }
  }
}

function formatMac(mac: number): string {
  return mac
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}
