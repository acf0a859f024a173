// The `slirp` link kind: puts one NIC of a qemu node on QEMU's user network (NAT, DHCP and host
// forwards inside QEMU). Its frames never reach the fabric, so the link carries no fabric port.
import type { LinkStatus } from '../../../shared/contract.js';
import { linkId, parseEndpoint } from '../../../shared/topology/endpoint.js';
import type { SlirpLinkSpec } from '../../../shared/topology/links/index.js';
import { EngineError } from '../../../shared/contract.js';
import type { Port } from '../../fabric/index.js';
import type { LinkEnv, LinkInstance, LinkKind } from '../types.js';

/** A wired slirp link. */
export class SlirpLink implements LinkInstance {
  readonly kind = 'slirp';
  readonly id: string;
  readonly linkType = 'ethernet';
  readonly endpoints: LinkStatus['endpoints'];

  constructor(
    private readonly spec: SlirpLinkSpec,
    private readonly env: LinkEnv,
  ) {
    this.id = linkId(spec);
    this.endpoints = [spec.endpoints[0]];
  }

  wire(): Promise<void> {
    const [end] = this.spec.endpoints;
    const ep = parseEndpoint(end);
    const user = ep ? this.env.node(ep.node).abilities.userNetwork : undefined;
    if (!ep?.port || user === undefined) {
      return Promise.reject(
        new EngineError(
          'bad-request',
          `slirp link ${this.id} must attach to a qemu node's NIC, not "${end}"`,
        ),
      );
    }
    user.useUserNetwork(ep.port, this.id, this.spec);
    return Promise.resolve();
  }

  ports(): Port[] {
    return [];
  }

  dispose(): void {
    // QEMU owns the user network; it ends with the node.
  }
}

/** The `slirp` kind. */
export const slirpKind: LinkKind = {
  kind: 'slirp',
  instantiate: (spec, env) => {
    if (spec.kind !== 'slirp') throw new Error(`slirp link kind given a ${spec.kind} link`);
    return new SlirpLink(spec, env);
  },
};
