// The `uart-pipe-154` link kind: a node's serial port (a chardev socket the engine owns) decoded
// as Zephyr's UART pipe radio framing (codec.ts) into 802.15.4 frames, and made a member of a
// radio-154 medium. The link carries one fabric port: the member's serial port, so capturing
// the link records what that radio sent (inbound) and heard (outbound).
import { EngineError } from '../../../../shared/contract.js';
import type { UartPipe154LinkSpec } from '../../../../shared/topology/links/index.js';
import type { Port } from '../../../../engine/fabric/index.js';
import { openSerialPort } from '../../../../engine/links/serial.js';
import { LinkBase, type LinkKind } from '../../../../engine/links/types.js';
import { UART_PIPE_MAX_FRAME, uartPipeCodec } from './codec.js';

/** A wired uart-pipe-154 link. */
export class UartPipe154Link extends LinkBase<UartPipe154LinkSpec> {
  readonly kind = 'uart-pipe-154';
  readonly linkType = 'ieee802154';
  private carried: Port | undefined;

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
}

/** The `uart-pipe-154` kind. */
export const uartPipe154Kind: LinkKind<UartPipe154LinkSpec> = {
  instantiate: (spec, env) => new UartPipe154Link(spec, env),
};
