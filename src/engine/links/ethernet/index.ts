// The `ethernet` link kind: joins two node ports point to point, a node port to a switch, or
// two switches (through a pair of patch ports).
import type { LinkStatus } from '../../../shared/contract.js';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.js';
import { linkId, parseEndpoint, type LinkSpec } from '../../../shared/topology/index.js';
import { createPatchPair, type Port } from '../../fabric/index.js';
import type { NodeInstance } from '../../nodes/types.js';
import type { LinkEnv, LinkInstance, LinkKind } from '../types.js';

interface Segment extends NodeInstance {
  attach(port: Port): { dispose(): void };
}

function isSegment(n: NodeInstance): n is Segment {
  return n.isSegment && 'attach' in n;
}

/** A wired Ethernet link. */
export class EthernetLink implements LinkInstance {
  readonly kind = 'ethernet';
  readonly id: string;
  private readonly store = new DisposableStore();
  private readonly carried: Port[] = [];

  constructor(
    private readonly spec: LinkSpec,
    private readonly env: LinkEnv,
  ) {
    this.id = linkId(spec);
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
    const portOf = async (x: typeof a): Promise<Port | Segment> => {
      if (x.ep.port === undefined) {
        if (!isSegment(x.node)) throw new Error(`link ${this.id}: "${x.ep.node}" needs a port`);
        return x.node;
      }
      return x.node.port(x.ep.port);
    };
    const pa = await portOf(a);
    const pb = await portOf(b);
    const isPort = (p: Port | Segment): p is Port => !('attach' in p);
    if (isPort(pa) && isPort(pb)) {
      this.carried.push(pa, pb);
      this.store.add(fabric.connect(pa, pb));
    } else if (isPort(pa) && !isPort(pb)) {
      this.carried.push(pa);
      this.store.add(pb.attach(pa));
    } else if (!isPort(pa) && isPort(pb)) {
      this.carried.push(pb);
      this.store.add(pa.attach(pb));
    } else if (!isPort(pa) && !isPort(pb)) {
      // Two segments: a patch cable whose two ends are fabric ports of the link.
      const [x, y] = createPatchPair(`${a.ep.node}:${this.id}`, `${b.ep.node}:${this.id}`);
      fabric.addPort(x);
      fabric.addPort(y);
      this.store.add(toDisposable(() => fabric.removePort(x)));
      this.store.add(toDisposable(() => fabric.removePort(y)));
      this.carried.push(x, y);
      this.store.add(pa.attach(x));
      this.store.add(pb.attach(y));
    }
    if (this.spec.up === false) for (const p of this.carried) p.setUp(false);
  }

  ports(): Port[] {
    return [...this.carried];
  }

  status(): LinkStatus {
    return {
      id: this.id,
      kind: this.kind,
      linkType: this.carried[0]?.linkType ?? 'ethernet',
      endpoints: [...this.spec.endpoints],
      ports: this.carried.map((p) => p.id),
    };
  }

  async dispose(): Promise<void> {
    await this.store.dispose();
  }
}

/** The `ethernet` kind. */
export const ethernetKind: LinkKind = {
  kind: 'ethernet',
  instantiate: (spec, env) => new EthernetLink(spec, env),
};
