// A native_sim build with a random MAC draws it from its seed, and only its last byte is random
// (02:00:5e:00:53:xx, measured on 3.5 and 4.3): two nodes with distinct seeds still draw the same
// MAC about once in 255 pairs, and then IPv6 DAD fails on one of them for good. The seed-to-MAC
// map depends on the build, so it cannot be computed beforehand. Instead each native-sim port
// learns its instance's MAC from the first frame the instance sends; a MAC another native-sim
// node of the lab already has is dropped before it reaches anyone (so the other node's DAD is
// never disturbed), and the node is started again with another seed.
import type { TapHandle } from '@netweave/tap';
import type { Fabric } from '../../fabric/index.js';
import { TapPort } from '../../fabric/index.js';

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

/** The MACs native-sim nodes of one lab drew, by MAC: the node that has it. */
const labMacs = new WeakMap<Fabric, Map<string, string>>();

function macsOf(fabric: Fabric): Map<string, string> {
  let m = labMacs.get(fabric);
  if (m === undefined) {
    m = new Map();
    labMacs.set(fabric, m);
  }
  return m;
}

/** What the guard tells its node: the MAC its instance sent, and who already has it. */
export type MacConflictHandler = (mac: string, owner: string) => void;

/**
 * The fabric port of a native-sim TAP: a TapPort that learns the instance's MAC from its first
 * unicast-sourced frame of each run and drops everything of a run whose MAC is taken.
 */
export class MacGuardPort extends TapPort {
  private state: 'learning' | 'ok' | 'conflict' = 'learning';
  private mac: string | undefined;

  constructor(
    id: string,
    source: TapHandle,
    private readonly node: string,
    private readonly fabric: Fabric,
    private readonly onConflict: MacConflictHandler,
  ) {
    super(id, source);
  }

  /** The MAC the instance uses in this run, once it sent a frame. */
  get learnedMac(): string | undefined {
    return this.state === 'ok' ? this.mac : undefined;
  }

  /** A new run of the instance: forget its MAC and learn it again from its first frame. */
  relearn(): void {
    this.forget();
    this.state = 'learning';
  }

  private forget(): void {
    const macs = macsOf(this.fabric);
    if (this.mac !== undefined && macs.get(this.mac) === this.node) macs.delete(this.mac);
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
    super.receive(frames);
  }

  private learn(mac: string): void {
    const macs = macsOf(this.fabric);
    const owner = macs.get(mac);
    this.mac = mac;
    if (owner !== undefined && owner !== this.node) {
      this.state = 'conflict';
      this.onConflict(mac, owner);
      return;
    }
    macs.set(mac, this.node);
    this.state = 'ok';
  }

  override dispose(): void {
    this.forget();
    super.dispose();
  }
}
