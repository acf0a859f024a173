// The `slip` link kind: a node's serial port (a chardev socket the engine owns) decoded as RFC
// 1055 SLIP into fabric frames. Mode tap carries Ethernet frames (Zephyr's SLIP-TAP): the far
// end is a switch, an Ethernet port, or another serial port. Mode ip carries raw IP packets
// (legacy SLIP): the far end is a host interface, opened as a TUN, or another serial port.
import { EngineError } from '../../../../shared/contract.js';
import type { LinkType } from '../../../../shared/kinds.js';
import {
  formatEndpoint,
  parseEndpoint,
  type Endpoint,
} from '../../../../shared/topology/endpoint.js';
import { findNodeKindFacts } from '../../../../shared/topology/kinds/facts.js';
import type { SlipLinkSpec } from '../../../../shared/topology/links/index.js';
import { slipLinkType, slipMtu } from '../facts.js';
import type { FrameCodec, Port } from '../../../../engine/fabric/index.js';
import type { NodeInstance } from '../../../../engine/nodes/types.js';
import { notASerialPort, openSerialPort } from '../../../../engine/links/serial.js';
import {
  LinkBase,
  segmentOf,
  type LinkEnv,
  type LinkKind,
} from '../../../../engine/links/types.js';
import { slipCodec } from './codec.js';

/** Ethernet header (14) plus one VLAN tag (4): an Ethernet frame's bytes beyond its IP MTU. */
const ETHERNET_OVERHEAD = 18;
/** An Ethernet frame without FCS has at least its 14-byte header. */
const MIN_ETHERNET_FRAME = 14;
/** An IP packet has at least IPv4's 20-byte header. */
const MIN_IP_PACKET = 20;

/** One resolved end of the link. */
interface End {
  ep: Endpoint;
  node: NodeInstance;
  /** True when the end is one of its node's serial ports. */
  serial: boolean;
}

/** A wired slip link. */
export class SlipLink extends LinkBase<SlipLinkSpec> {
  readonly kind = 'slip';
  readonly linkType: LinkType;
  /** Largest frame in the fabric: the IP MTU, plus the Ethernet header in mode tap. */
  private readonly frameMtu: number;
  private readonly codec: FrameCodec;
  private readonly carried: Port[] = [];

  constructor(spec: SlipLinkSpec, env: LinkEnv) {
    super(spec, env);
    this.linkType = slipLinkType(spec.mode);
    const tap = spec.mode === 'tap';
    this.frameMtu = slipMtu(spec) + (tap ? ETHERNET_OVERHEAD : 0);
    this.codec = slipCodec({
      maxFrame: this.frameMtu,
      minFrame: tap ? MIN_ETHERNET_FRAME : MIN_IP_PACKET,
    });
  }

  private end(text: string): End {
    const ep = parseEndpoint(text);
    if (!ep) throw new EngineError('bad-request', `slip link ${this.id}: bad endpoint "${text}"`);
    const node = this.env.node(ep.node);
    const spec = this.env.ctx.topology.nodes[ep.node];
    const serialPorts = (spec && findNodeKindFacts(spec.kind)?.serialPorts) ?? [];
    const serial = ep.port !== undefined && serialPorts.includes(ep.port);
    return { ep, node, serial };
  }

  private async serialPort(end: End): Promise<Port> {
    const endpoint = formatEndpoint(end.ep);
    if (!end.serial) throw notASerialPort(this.kind, this.id, endpoint);
    const { port } = await openSerialPort(this.env, this.kind, endpoint, {
      link: this.id,
      linkType: this.linkType,
      codec: this.codec,
      mtu: this.frameMtu,
      up: this.spec.up,
    });
    this.carried.push(port);
    return port;
  }

  /** The far end's port in the fabric, or undefined after attaching the serial port to a switch. */
  private async farPort(end: End, serial: Port): Promise<Port | undefined> {
    const far = formatEndpoint(end.ep);
    if (end.serial) return this.serialPort(end);
    if (end.ep.port === undefined) {
      const segment = segmentOf(this.id, end.node, 'ethernet');
      if (this.spec.mode === 'ip') {
        throw new EngineError(
          'bad-request',
          `slip link ${this.id} is in mode ip (raw IP packets), which cannot join switch "${far}"; end it at a host interface, or use mode: tap`,
        );
      }
      this.store.add(segment.attach(serial));
      return undefined;
    }
    if (this.spec.mode === 'ip') {
      const ip = end.node.abilities.ipPort;
      if (ip === undefined) {
        throw new EngineError(
          'bad-request',
          `slip link ${this.id} is in mode ip (raw IP packets), whose far end must be a host interface or a serial port, not "${far}"; use mode: tap for Ethernet`,
        );
      }
      return ip.ipPort(end.ep.port, slipMtu(this.spec));
    }
    const port = await end.node.port(end.ep.port);
    if (port.linkType !== 'ethernet') {
      throw new EngineError(
        'bad-request',
        `slip link ${this.id} carries Ethernet frames (mode tap) but "${far}" carries ${port.linkType}; connect it to an Ethernet port`,
      );
    }
    return port;
  }

  async wire(): Promise<void> {
    const [a, b] = this.spec.endpoints.map((e) => this.end(e)) as [End, End];
    const serial = await this.serialPort(a);
    const far = await this.farPort(b, serial);
    if (far !== undefined) {
      if (!b.serial) this.carried.push(far);
      this.store.add(this.env.ctx.fabric.connect(serial, far));
    }
  }

  ports(): Port[] {
    return [...this.carried];
  }
}

/** The `slip` kind. */
export const slipKind: LinkKind<SlipLinkSpec> = {
  instantiate: (spec, env) => new SlipLink(spec, env),
};
