// A native_sim build with a random MAC draws it from its seed, and only its last byte is random
// (02:00:5e:00:53:xx, measured on 3.5 and 4.3): two nodes with distinct seeds still draw the same
// MAC about once in 255 pairs, and then IPv6 DAD fails on one of them for good. The seed-to-MAC
// map depends on the build, so it cannot be computed beforehand. Instead each native-sim port
// learns its instance's MAC from the first frame the instance sends; a MAC another native-sim
// node of the lab already has is dropped before it reaches anyone (so the other node's DAD is
// never disturbed), and the node is started again with another seed.
//
// At the lab's start the native-sim instances boot together, and one that is started again must
// not find its peers already talking to it (a client whose connect times out gives up for good):
// so their frames are held (dropped, counted as 'mac-check') until every native-sim port of the
// lab has learned a MAC of its own, which takes one boot (tens of milliseconds), or until
// MAC_HOLD_MS passed. A lone instance is never held. Holding frames does not stop a peer's own
// timers, though: Zephyr's echo_client gives up when its TCP connect gets no answer in 3 s, and
// on a loaded machine the restart of the instance it talks to can take longer. So a conflict
// found while frames are held also starts again every instance whose frames were held (with its
// own seed): the lab then starts once more as a whole, within one boot of each other.
import type { TapHandle } from '@netweave/tap';
import type { Fabric } from '../../../../engine/fabric/index.js';
import { TapPort } from '../../../../engine/fabric/index.js';

/** Bytes 6..11 of an Ethernet frame: the source MAC. */
const SRC_MAC_OFFSET = 6;
const MAC_LENGTH = 6;

/** Formats 6 bytes as aa:bb:cc:dd:ee:ff. */
function formatMac(frame: Buffer): string {
  const parts: string[] = [];
  for (let i = SRC_MAC_OFFSET; i < SRC_MAC_OFFSET + MAC_LENGTH; i++)
    parts.push((frame[i] ?? 0).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/**
 * Longest hold at the lab's start: an instance that sends nothing (no IPv6, nothing to say)
 * must not keep the others quiet; 3 s is many boots of native_sim on a loaded machine.
 */
export const MAC_HOLD_MS = 3_000;

/** The native-sim ports of one lab: the MACs they drew and the start-up hold. */
class LabMacs {
  /** MAC -> the node that has it. */
  readonly owners = new Map<string, string>();
  private readonly ports = new Set<MacGuardPort>();
  private held = true;
  private timer: NodeJS.Timeout | undefined;

  add(port: MacGuardPort): void {
    this.ports.add(port);
  }

  remove(port: MacGuardPort): void {
    this.ports.delete(port);
    if (this.ports.size === 0) this.release();
    else this.check();
  }

  /** True while frames of learned ports are still held at the lab's start. */
  get holding(): boolean {
    return this.held;
  }

  /** A port began a run: the hold ends after MAC_HOLD_MS at the latest. */
  started(): void {
    if (this.held && this.timer === undefined)
      this.timer = setTimeout(() => this.release(), MAC_HOLD_MS);
  }

  /**
   * `from` drew a MAC in use while frames were held: every other instance whose frames were
   * held starts again, and the hold runs MAC_HOLD_MS more from now.
   */
  conflictWhileHeld(from: MacGuardPort): void {
    if (!this.held) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.release(), MAC_HOLD_MS);
    for (const p of this.ports) if (p !== from) p.restartIfHeld(from.node);
  }

  /** Ends the hold once every port has a MAC of its own. */
  check(): void {
    if (this.held && [...this.ports].every((p) => p.learnedMac !== undefined)) this.release();
  }

  private release(): void {
    this.held = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

const labs = new WeakMap<Fabric, LabMacs>();

function labOf(fabric: Fabric): LabMacs {
  let m = labs.get(fabric);
  if (m === undefined) {
    m = new LabMacs();
    labs.set(fabric, m);
  }
  return m;
}

/** What the guard tells its node: the MAC its instance sent, and who already has it. */
export type MacConflictHandler = (mac: string, owner: string) => void;

/** What the guard asks of its node when another instance starts again while frames are held. */
export type HeldRestartHandler = (peer: string) => void;

/**
 * The fabric port of a native-sim TAP: a TapPort that learns the instance's MAC from its first
 * unicast-sourced frame of each run and drops everything of a run whose MAC is taken.
 */
export class MacGuardPort extends TapPort {
  private state: 'learning' | 'ok' | 'conflict' = 'learning';
  private mac: string | undefined;
  /** True once a frame of this run was held at the lab's start. */
  private heldThisRun = false;
  private readonly lab: LabMacs;

  constructor(
    id: string,
    source: TapHandle,
    readonly node: string,
    fabric: Fabric,
    private readonly onConflict: MacConflictHandler,
    private readonly onHeldRestart: HeldRestartHandler,
  ) {
    super(id, source);
    this.lab = labOf(fabric);
    this.lab.add(this);
  }

  /** The MAC the instance uses in this run, once it sent a frame. */
  get learnedMac(): string | undefined {
    return this.state === 'ok' ? this.mac : undefined;
  }

  /** A new run of the instance: forget its MAC and learn it again from its first frame. */
  relearn(): void {
    this.forget();
    this.state = 'learning';
    this.heldThisRun = false;
    this.lab.started();
  }

  /** `peer` starts again at the lab's start: so does this instance, if its frames were held. */
  restartIfHeld(peer: string): void {
    if (this.heldThisRun && this.state !== 'conflict') this.onHeldRestart(peer);
  }

  private forget(): void {
    const owners = this.lab.owners;
    if (this.mac !== undefined && owners.get(this.mac) === this.node) owners.delete(this.mac);
    this.mac = undefined;
  }

  protected override receive(frames: readonly Buffer[]): void {
    if (this.state === 'learning') {
      const first = frames[0];
      // A multicast source bit means no station MAC: learn from a later frame.
      if (first !== undefined && first.length >= 14 && ((first[SRC_MAC_OFFSET] ?? 1) & 1) === 0)
        this.learn(formatMac(first));
    }
    if (this.state === 'conflict') {
      this.countExtra('mac-conflict', frames.length);
      return;
    }
    if (this.lab.holding) {
      this.heldThisRun = true;
      this.countExtra('mac-check', frames.length);
      return;
    }
    super.receive(frames);
  }

  private learn(mac: string): void {
    const owners = this.lab.owners;
    const owner = owners.get(mac);
    this.mac = mac;
    if (owner !== undefined && owner !== this.node) {
      this.state = 'conflict';
      this.onConflict(mac, owner);
      this.lab.conflictWhileHeld(this);
      return;
    }
    owners.set(mac, this.node);
    this.state = 'ok';
    this.lab.check();
  }

  override dispose(): void {
    this.forget();
    this.lab.remove(this);
    super.dispose();
  }
}
