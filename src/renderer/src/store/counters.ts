// Live link counters: a vanilla store updated by every counters snapshot (4 Hz). Edges and the
// inspector read it through transient subscribe() and write to the DOM themselves, so a
// snapshot never re-renders the canvas.
import { createStore } from 'zustand/vanilla';
import type { CounterSnapshot, LinkStatus, PortCounters } from '../../../shared/contract.js';
import { DROP_CAUSES, type DropCause } from '../../../shared/kinds.js';

/** How many rate samples a sparkline shows: 30 s at 4 Hz. */
export const SPARK_SAMPLES = 120;

/** Rates of one direction of a link. */
export interface DirectionRate {
  fps: number;
  bps: number;
}

/** Live numbers of one link: A->B and B->A are the link's endpoints in file order. */
export interface LinkRates {
  ab: DirectionRate;
  ba: DirectionRate;
  /** Totals since the lab started, both directions. */
  frames: number;
  bytes: number;
  drops: Record<DropCause, number>;
  /** Kind-specific counts over the link's ports (SLIP 'bad-escape', radio 'lost', ...). */
  extra: Record<string, number>;
  /** Frames per second (both directions), oldest first. */
  history: number[];
  /** Why a port of the link failed (the link carries nothing then), if one did. */
  failure?: string;
}

/** The counters store's state. */
export interface CountersState {
  links: Map<string, LinkRates>;
  time: number;
}

/** The counters store (not React state: subscribe to it transiently). */
export const countersStore = createStore<CountersState>()(() => ({ links: new Map(), time: 0 }));

let previous: CounterSnapshot | undefined;

/** Forgets everything (the lab stopped). */
export function resetCounters(): void {
  previous = undefined;
  countersStore.setState({ links: new Map(), time: 0 });
}

function zeroDrops(): Record<DropCause, number> {
  return Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as Record<DropCause, number>;
}

/**
 * The port that stands for a link's A end: the first fabric port of a link whose node is the
 * first endpoint's node; else the first port, with directions swapped.
 */
function anchor(link: LinkStatus): { port: string; swapped: boolean } | undefined {
  const aNode = link.endpoints[0].split(':')[0] ?? '';
  const own = link.ports.find((p) => p.split(':')[0] === aNode);
  if (own) return { port: own, swapped: false };
  const first = link.ports[0];
  return first ? { port: first, swapped: true } : undefined;
}

/** Turns a snapshot into per-link rates and pushes it into the store. */
export function applySnapshot(snap: CounterSnapshot, links: readonly LinkStatus[]): void {
  const byPort = new Map<string, PortCounters>(snap.ports.map((p) => [p.port, p]));
  const prevPort = new Map<string, PortCounters>((previous?.ports ?? []).map((p) => [p.port, p]));
  const dt = previous ? (snap.time - previous.time) / 1000 : 0;
  const old = countersStore.getState().links;
  const next = new Map<string, LinkRates>();
  for (const link of links) {
    const a = anchor(link);
    const pc = a ? byPort.get(a.port) : undefined;
    if (!a || !pc) continue;
    const pp = prevPort.get(a.port);
    const rate = (now: number, before: number | undefined): number =>
      dt > 0 && before !== undefined ? Math.max(0, (now - before) / dt) : 0;
    // rx = frames the fabric received from the A device = A->B traffic.
    const out: DirectionRate = {
      fps: rate(pc.rx.frames, pp?.rx.frames),
      bps: rate(pc.rx.bytes, pp?.rx.bytes),
    };
    const back: DirectionRate = {
      fps: rate(pc.tx.frames, pp?.tx.frames),
      bps: rate(pc.tx.bytes, pp?.tx.bytes),
    };
    const drops = zeroDrops();
    const extra: Record<string, number> = {};
    let failure: string | undefined;
    for (const port of link.ports) {
      const c = byPort.get(port);
      if (!c) continue;
      if (c.failure !== undefined) failure ??= `${port}: ${c.failure}`;
      for (const cause of DROP_CAUSES) drops[cause] += c.rx.drops[cause] + c.tx.drops[cause];
      for (const [event, n] of Object.entries(c.extra ?? {}))
        extra[event] = (extra[event] ?? 0) + n;
    }
    const history = [...(old.get(link.id)?.history ?? []), out.fps + back.fps].slice(
      -SPARK_SAMPLES,
    );
    next.set(link.id, {
      ab: a.swapped ? back : out,
      ba: a.swapped ? out : back,
      frames: pc.rx.frames + pc.tx.frames,
      bytes: pc.rx.bytes + pc.tx.bytes,
      drops,
      extra,
      history,
      ...(failure !== undefined ? { failure } : {}),
    });
  }
  previous = snap;
  countersStore.setState({ links: next, time: snap.time });
}

/** Formats a rate for a label: 0, 12, 3.4k, 1.2M. */
export function formatRate(n: number): string {
  if (n < 1000) return n < 10 && n > 0 ? n.toFixed(1) : n.toFixed(0);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}
