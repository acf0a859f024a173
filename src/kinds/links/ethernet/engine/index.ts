// The `ethernet` link kind: joins two node ports point to point, a node port to a switch, or
// two switches (through a pair of patch ports).
import type { LinkType } from '../../../../shared/kinds.js';
import { toDisposable } from '../../../../shared/lifecycle.js';
import type { LinkSpec } from '../../../../shared/topology/index.js';
import { parseEndpoint } from '../../../../shared/topology/endpoint.js';
import { createPatchPair, type Port } from '../../../../engine/fabric/index.js';
import type { NodeInstance, SegmentAbility } from '../../../../engine/nodes/types.js';
import { LinkBase, segmentOf, type LinkKind } from '../../../../engine/links/types.js';

/** One end of the link in the fabric: a node's port, or a segment the other end joins. */
type Side = { port: Port; segment?: undefined } | { port?: undefined; segment: SegmentAbility };

/** A wired Ethernet link. */
export class EthernetLink extends LinkBase<LinkSpec> {
  readonly kind = 'ethernet';
  private readonly carried: Port[] = [];

  get linkType(): LinkType {
    return this.carried[0]?.linkType ?? 'ethernet';
  }

  async wire(): Promise<void> {
    const [a, b] = this.spec.endpoints.map((e) => {
      const ep = parseEndpoint(e);
      if (!ep) throw new Error(`link ${this.id}: bad endpoint "${e}"`);
      return { ep, node: this.env.node(ep.node) };
    }) as [
      { ep: { node: string; port?: string }; node: NodeInstance },
      { ep: { node: string; port?: string }; node: NodeInstance },
    ];
    const fabric = this.env.ctx.fabric;
    const side = async (x: typeof a): Promise<Side> =>
      x.ep.port === undefined
        ? { segment: segmentOf(this.id, x.node, 'ethernet') }
        : { port: await x.node.port(x.ep.port) };
    const sa = await side(a);
    const sb = await side(b);
    if (sa.port && sb.port) {
      this.carried.push(sa.port, sb.port);
      this.store.add(fabric.connect(sa.port, sb.port));
    } else if (sa.segment && sb.segment) {
      // Two segments: a patch cable whose two ends are fabric ports of the link.
      const [x, y] = createPatchPair(`${a.ep.node}:${this.id}`, `${b.ep.node}:${this.id}`);
      fabric.addPort(x);
      fabric.addPort(y);
      this.store.add(toDisposable(() => fabric.removePort(x)));
      this.store.add(toDisposable(() => fabric.removePort(y)));
      this.carried.push(x, y);
      this.store.add(sa.segment.attach(x));
      this.store.add(sb.segment.attach(y));
    } else {
      // A port and a segment: the port joins it.
      const port = sa.port ?? sb.port;
      const segment = sa.segment ?? sb.segment;
      if (port === undefined || segment === undefined) throw new Error('unreachable');
      this.carried.push(port);
      this.store.add(segment.attach(port));
    }
    if (this.spec.up === false) for (const p of this.carried) p.setUp(false);
  }

  ports(): Port[] {
    return [...this.carried];
  }
}

/** The `ethernet` kind. */
export const ethernetKind: LinkKind<LinkSpec> = {
  instantiate: (spec, env) => new EthernetLink(spec, env),
};
