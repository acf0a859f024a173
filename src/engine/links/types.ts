// What every link kind implements.
import { EngineError, type LinkStatus } from '../../shared/contract.js';
import type { LinkType } from '../../shared/kinds.js';
import { DisposableStore, type Disposable } from '../../shared/lifecycle.js';
import { linkId } from '../../shared/topology/endpoint.js';
import type { LinkSpec } from '../../shared/topology/index.js';
import type { Port } from '../fabric/index.js';
import type { LabContext, NodeInstance, SegmentAbility } from '../nodes/types.js';

/** What a link gets from its lab when it is wired. */
export interface LinkEnv {
  ctx: LabContext;
  /** The node of a given name (created already). */
  node(name: string): NodeInstance;
}

/**
 * The segment (switch, radio medium) an endpoint without a port names, carrying `linkType`, or
 * an EngineError of one sentence for link `link` when the node is no such segment.
 */
export function segmentOf(link: string, node: NodeInstance, linkType: LinkType): SegmentAbility {
  const segment = node.abilities.segment;
  if (segment === undefined) {
    throw new EngineError('bad-request', `link ${link}: "${node.name}" needs a port`);
  }
  if (segment.linkType !== linkType) {
    throw new EngineError(
      'bad-request',
      `link ${link} carries ${linkType} frames, but ${node.kind} "${node.name}" carries ${segment.linkType}`,
    );
  }
  return segment;
}

/** A wired link. */
export interface LinkInstance extends Disposable {
  readonly id: string;
  readonly kind: string;
  /** Joins the endpoints' ports in the fabric. */
  wire(): Promise<void>;
  /** The fabric ports that carry the link's frames. */
  ports(): Port[];
  /** What its frames are. */
  readonly linkType: LinkType;
  /** Its endpoints as written (one for a link whose far end is not a node). */
  readonly endpoints: LinkStatus['endpoints'];
}

/** A link kind's engine side: src/kinds/links/<kind>/engine, registered in registry.ts. */
export interface LinkKind<Spec = LinkSpec> {
  instantiate(spec: Spec, env: LinkEnv): LinkInstance;
  /**
   * Checks what the link needs from the machine (binaries, kernel support) before anything of
   * the lab is created; rejects with an EngineError of one sentence.
   */
  preflight?(spec: Spec, ctx: LabContext): Promise<void>;
}

/** What every link has: its id and endpoints from its spec, and the joins it made (store). */
export abstract class LinkBase<Spec extends LinkSpec> implements LinkInstance {
  abstract readonly kind: string;
  abstract readonly linkType: LinkType;
  readonly id: string;
  readonly endpoints: LinkStatus['endpoints'];
  /**
   * What wiring made (joins, fabric ports it added); dispose() undoes it. The ports of nodes
   * belong to the fabric and their nodes, not to the link.
   */
  protected readonly store = new DisposableStore();

  /** A link whose far end is not a node (slirp, ppp) has one endpoint in its spec, and here. */
  constructor(
    protected readonly spec: Spec,
    protected readonly env: LinkEnv,
  ) {
    this.id = linkId(spec);
    this.endpoints = spec.endpoints;
  }

  abstract wire(): Promise<void>;
  abstract ports(): Port[];

  async dispose(): Promise<void> {
    await this.store.dispose();
  }
}
