// The `switch` node kind: an Ethernet segment, a learning switch in the fabric.
import type { NodeStatus } from '../../../shared/contract.js';
import type { Disposable } from '../../../shared/lifecycle.js';
import type { SwitchNodeSpec } from '../../../shared/topology/index.js';
import type { EthernetSwitch, Port } from '../../fabric/index.js';
import type { LabContext, NodeInstance, NodeKind } from '../types.js';

/** Default MAC aging of a switch, as in IEEE 802.1D. */
export const DEFAULT_AGING_SECONDS = 300;

/** A running switch node. */
export class SwitchNode implements NodeInstance {
  readonly kind = 'switch';
  readonly isSegment = true;
  private sw: EthernetSwitch | undefined;
  private readonly attached: Port[] = [];

  constructor(
    readonly name: string,
    private readonly spec: SwitchNodeSpec,
    private readonly ctx: LabContext,
  ) {}

  create(): Promise<void> {
    this.sw = this.ctx.fabric.addSwitch(this.name, {
      agingMs: (this.spec.aging ?? DEFAULT_AGING_SECONDS) * 1000,
    });
    return Promise.resolve();
  }

  /** Joins a port to this segment. */
  attach(port: Port): Disposable {
    if (!this.sw) throw new Error(`switch ${this.name} is not created yet`);
    this.attached.push(port);
    return this.sw.attach(port);
  }

  port(name: string): Promise<Port> {
    return Promise.reject(
      new Error(
        `switch "${this.name}" has no named ports; link to it as "${this.name}", not "${this.name}:${name}"`,
      ),
    );
  }

  wire(): Promise<void> {
    return Promise.resolve();
  }

  start(): Promise<void> {
    this.ctx.nodeState(this.name, 'ready');
    return Promise.resolve();
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  status(): NodeStatus {
    return {
      name: this.name,
      kind: this.kind,
      state: this.sw ? 'ready' : 'stopped',
      hasConsole: false,
      ports: this.attached.map((p) => ({ id: p.id, linkType: p.linkType, up: p.up })),
    };
  }

  dispose(): void {
    this.sw?.dispose();
    this.sw = undefined;
  }
}

/** The `switch` kind. */
export const switchKind: NodeKind<SwitchNodeSpec> = {
  kind: 'switch',
  instantiate: (name, spec, ctx) => new SwitchNode(name, spec, ctx),
};
