// The `uart-pipe-154` link kind: a node's serial port (a chardev socket the engine owns) decoded
// as Zephyr's UART pipe radio framing (codec.ts) into 802.15.4 frames, and made a member of a
// radio-154 medium. The link carries one fabric port: the member's serial port, so capturing
// the link records what that radio sent (inbound) and heard (outbound).
import { EngineError, type LinkStatus } from '../../../shared/contract.js';
import { DisposableStore } from '../../../shared/lifecycle.js';
import { linkId } from '../../../shared/topology/endpoint.js';
import type { UartPipe154LinkSpec } from '../../../shared/topology/links/index.js';
import type { Port } from '../../fabric/index.js';
import { openSerialPort } from '../serial.js';
import type { LinkEnv, LinkInstance, LinkKind } from '../types.js';
import { UART_PIPE_MAX_FRAME, uartPipeCodec } from './codec.js';

/** A wired uart-pipe-154 link. */
export class UartPipe154Link implements LinkInstance {
  readonly kind = 'uart-pipe-154';
  readonly id: string;
  readonly linkType = 'ieee802154';
  readonly endpoints: LinkStatus['endpoints'];
  private readonly store = new DisposableStore();
  private carried: Port | undefined;

  constructor(
    private readonly spec: UartPipe154LinkSpec,
    private readonly env: LinkEnv,
  ) {
    this.id = linkId(spec);
    this.endpoints = spec.endpoints;
  }

  async wire(): Promise<void> {
    const [radioEnd, mediumEnd] = this.spec.endpoints;
    const node = this.env.node(mediumEnd);
    const medium = node.abilities.segment;
    if (medium?.linkType !== 'ieee802154') {
      throw new EngineError(
        'bad-request',
        `uart-pipe-154 link ${this.id} ends at a radio-154 medium, but "${mediumEnd}" is a ${node.kind}; write the bare name of a radio-154 node`,
      );
    }
    const { port } = await openSerialPort(this.env, this.kind, radioEnd, {
      link: this.id,
      linkType: 'ieee802154',
      codec: uartPipeCodec(),
      mtu: UART_PIPE_MAX_FRAME,
      up: this.spec.up,
    });
    this.carried = port;
    this.store.add(medium.attach(port));
  }

  ports(): Port[] {
    return this.carried ? [this.carried] : [];
  }

  async dispose(): Promise<void> {
    // The serial port belongs to its node (which disposes it); the link owns the membership.
    await this.store.dispose();
  }
}

/** The `uart-pipe-154` kind. */
export const uartPipe154Kind: LinkKind = {
  kind: 'uart-pipe-154',
  instantiate: (spec, env) => {
    if (spec.kind !== 'uart-pipe-154') {
      throw new Error(`uart-pipe-154 link kind given a ${spec.kind} link`);
    }
    return new UartPipe154Link(spec, env);
  },
};
