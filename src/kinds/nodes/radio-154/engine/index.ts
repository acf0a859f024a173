// The `radio-154` node kind: an IEEE 802.15.4 medium in the fabric. uart-pipe-154 links make
// their serial ports members (attach); the delivery model and a seeded PRNG decide who hears
// each frame (medium.ts). The medium's monitor port "<node>:monitor" hears every frame once:
// `netweave capture air:monitor` records the whole medium as LINKTYPE_IEEE802_15_4_NOFCS.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, type NodeStatus } from '../../../../shared/contract.js';
import type { Disposable } from '../../../../shared/lifecycle.js';
import { parseImpairment } from '../../../../shared/impairment.js';
import type { Layout } from '../../../../shared/topology/index.js';
import { parseEndpoint } from '../../../../shared/topology/endpoint.js';
import { parseMemberPair } from '../../../../shared/topology/faults.facts.js';
import type { Radio154NodeSpec } from '../../../../shared/topology/kinds/index.js';
import { MAX_RADIO_SEED, RADIO_LINK_KIND } from '../facts.js';
import { MemoryPort, type Port } from '../../../../engine/fabric/index.js';
import { nodeCrypto } from '../../../../engine/hash.js';
import type {
  LabContext,
  NodeAbilities,
  NodeInstance,
  NodeKind,
} from '../../../../engine/nodes/types.js';
import { nodeStatus } from '../../../../engine/nodes/types.js';
import { RadioMedium } from './medium.js';
import {
  deliveryProbability,
  describeDelivery,
  mulberry32,
  resolvePositions,
  type Position,
} from './model.js';

/** The port name of a medium's monitor ("air:monitor"). */
export const RADIO_MONITOR_PORT = 'monitor';

/** The members of medium `name` in the lab: the nodes its uart-pipe-154 links start at. */
export function mediumMembers(ctx: Pick<LabContext, 'topology'>, name: string): string[] {
  const members: string[] = [];
  for (const link of ctx.topology.links) {
    if (link.kind !== RADIO_LINK_KIND || link.endpoints[1] !== name) continue;
    const node = parseEndpoint(link.endpoints[0])?.node;
    if (node !== undefined && !members.includes(node)) members.push(node);
  }
  return members;
}

/** The lab's layout (node positions on the canvas), or undefined without a topology file. */
async function labLayout(ctx: LabContext): Promise<Layout | undefined> {
  if (ctx.topologyFile === undefined) return undefined;
  // Loaded when needed: the layout's schema and YAML reader are no part of the engine's start.
  const { readLayoutFile } = await import('../../../../engine/topology/layoutFile.js');
  const read = await readLayoutFile(ctx.topologyFile);
  if (read.ok) return read.layout;
  const first = read.problems[0];
  throw new EngineError(
    'bad-request',
    `the layout file next to the topology cannot be read for radio positions (${first?.message ?? 'invalid'}); fix or delete it, or write positions: under the radio-154 node`,
  );
}

/** Member positions for delivery: range (empty for other models); one sentence when missing. */
async function memberPositions(
  name: string,
  spec: Radio154NodeSpec,
  ctx: LabContext,
): Promise<Map<string, Position>> {
  if (spec.delivery !== 'range') return new Map();
  const members = mediumMembers(ctx, name);
  const written = members.every((m) => spec.positions?.[m] !== undefined);
  const positions = resolvePositions(
    name,
    spec,
    members,
    written ? undefined : await labLayout(ctx),
  );
  if (typeof positions === 'string') throw new EngineError('bad-request', positions);
  return positions;
}

/** A running radio-154 node. */
export class RadioNode implements NodeInstance {
  readonly kind = 'radio-154';
  readonly abilities: NodeAbilities = {
    segment: { linkType: 'ieee802154', attach: (port) => this.attach(port) },
    impairableMedium: {
      setImpairment: (pair, impairment) => {
        if (!this.medium) throw new Error(`radio ${this.name} is not created yet`);
        this.medium.setImpairment(pair, impairment);
      },
    },
  };
  private medium: RadioMedium | undefined;
  private monitor: MemoryPort | undefined;
  private monitorSub: Disposable | undefined;
  private seedUsed: number | undefined;

  constructor(
    readonly name: string,
    private readonly spec: Radio154NodeSpec,
    private readonly ctx: LabContext,
  ) {}

  /** The seed of this run's random numbers (the spec's, or a random one, logged). */
  get seed(): number | undefined {
    return this.seedUsed;
  }

  async create(): Promise<void> {
    const positions = await memberPositions(this.name, this.spec, this.ctx);
    const probability = deliveryProbability(this.spec, positions);
    const seed = this.spec.seed ?? nodeCrypto().randomInt(0, MAX_RADIO_SEED + 1);
    this.seedUsed = seed;
    const monitor = new MemoryPort({
      id: `${this.name}:${RADIO_MONITOR_PORT}`,
      linkType: 'ieee802154',
    });
    this.monitor = this.ctx.fabric.addPort(monitor);
    // The monitor only listens: its frames go nowhere, and are not counted as undeliverable.
    this.monitorSub = monitor.connect(() => undefined);
    this.medium = new RadioMedium({
      name: this.name,
      probability,
      random: mulberry32(seed),
      monitor,
      seed,
    });
    // The file's per-pair impairments (validated: pairs of members, netem's settings).
    for (const [key, text] of Object.entries(this.spec.impair ?? {})) {
      const pair = parseMemberPair(key);
      const parsed = parseImpairment(text);
      if (pair !== undefined && parsed.ok) this.medium.setImpairment(pair, parsed.value);
    }
    const members = mediumMembers(this.ctx, this.name);
    const lines = [
      `radio-154 ${this.name}: delivery ${this.spec.delivery}, seed ${seed}${this.spec.seed === undefined ? ` (random; write seed: ${seed} under nodes.${this.name} to repeat this run)` : ''}`,
      ...(this.spec.delivery === 'range'
        ? [
            `  range ${this.spec.range ?? 0}; positions ${[...positions].map(([m, [x, y]]) => `${m} [${x}, ${y}]`).join(', ')}`,
          ]
        : []),
      ...describeDelivery(members, probability),
      ...this.medium.describeImpairments().map((l) => `  impairment ${l}`),
    ];
    await appendFile(join(this.ctx.logDir, `${this.name}.log`), `${lines.join('\n')}\n`);
  }

  /** Makes a port (a member's serial port) a member of this medium. */
  attach(port: Port): Disposable {
    if (!this.medium) throw new Error(`radio ${this.name} is not created yet`);
    return this.medium.attach(port);
  }

  port(name: string): Promise<Port> {
    return Promise.reject(
      new EngineError(
        'bad-request',
        `radio-154 "${this.name}" has no named ports; join it as "${this.name}" with a ${RADIO_LINK_KIND} link, not "${this.name}:${name}"`,
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
    const ports = [...(this.monitor ? [this.monitor] : []), ...(this.medium?.ports ?? [])];
    const impairments = this.medium?.describeImpairments().map((l) => `impairment ${l}`) ?? [];
    return nodeStatus(this, {
      state: this.medium ? 'ready' : 'stopped',
      hasConsole: false,
      ports: ports.map((p) => p.status()),
      detail:
        this.seedUsed !== undefined
          ? [`delivery ${this.spec.delivery}, seed ${this.seedUsed}`, ...impairments].join(', ')
          : undefined,
    });
  }

  dispose(): void {
    this.medium?.dispose();
    this.medium = undefined;
    void this.monitorSub?.dispose();
    if (this.monitor) this.ctx.fabric.removePort(this.monitor);
    this.monitor = undefined;
  }
}

/** The `radio-154` kind. */
export const radio154Kind: NodeKind<Radio154NodeSpec> = {
  instantiate: (name, spec, ctx) => new RadioNode(name, spec, ctx),
  preflight: async (name, spec, ctx) => {
    await memberPositions(name, spec, ctx);
  },
};
