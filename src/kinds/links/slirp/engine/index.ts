// The `slirp` link kind: puts one NIC of a qemu node on QEMU's user network (NAT, DHCP and host
// forwards inside QEMU). Its frames never reach the fabric, so the link carries no fabric port.
import { parseEndpoint } from '../../../../shared/topology/endpoint.js';
import type { SlirpLinkSpec } from '../../../../shared/topology/links/index.js';
import { EngineError } from '../../../../shared/contract.js';
import type { Port } from '../../../../engine/fabric/index.js';
import { LinkBase, type LinkKind } from '../../../../engine/links/types.js';

/** A wired slirp link. */
export class SlirpLink extends LinkBase<SlirpLinkSpec> {
  readonly kind = 'slirp';
  readonly linkType = 'ethernet';

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
}

/** The `slirp` kind. */
export const slirpKind: LinkKind<SlirpLinkSpec> = {
  instantiate: (spec, env) => new SlirpLink(spec, env),
};
