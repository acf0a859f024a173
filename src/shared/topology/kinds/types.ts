// What a node kind declares: its settings schema and the facts the cross-checks need.
import type { z } from 'zod';
import type { PathIssue } from '../issues.js';
import type { DocPath } from '../text.js';

/** The settings schema of a node kind: a strict object whose `kind` is the kind's literal. */
export type NodeKindSchema<K extends string = string> = z.ZodObject<
  { kind: z.ZodLiteral<K> } & z.core.$ZodShape,
  z.core.$strict
>;

/** An address or MAC configured on one port of a node, and where it is written. */
export interface PortAddress {
  port: string;
  /** 'mac-seed': the seed a native_sim build draws its random MAC from (same seed, same MAC). */
  type: 'ipv4' | 'ipv6' | 'mac' | 'mac-seed';
  /** As written (IPv4/IPv6 with prefix length). */
  value: string;
  /** Where it is written, relative to the node. */
  path: DocPath;
}

/** A problem a kind found in one node's settings; `path` is relative to the node. */
export interface KindIssue {
  path: DocPath;
  /** The message after "path: ": what is wrong and how to fix it. */
  message: string;
  choices?: string[];
}

/** The icons the UI has for node kinds. */
export type NodeKindIcon = 'host' | 'switch' | 'radio' | 'sim' | 'board';

/**
 * What a node kind is, apart from its settings schema and checks: plain data and functions on a
 * validated spec, with no zod at run time, so that the lab engine (which deploys topologies the
 * CLI or the app validated) can use them without building a schema. Each kind writes its facts
 * in src/kinds/nodes/<kind>/facts.ts, listed in kinds/facts.ts; its definition spreads them.
 */
export interface NodeKindFacts<K extends string = string, Spec = { kind: string }> {
  readonly kind: K;
  /** The canvas and palette icon: emulated boards share one, simulators another. */
  readonly icon: NodeKindIcon;
  /** One line for the JSON Schema and the UI palette. */
  readonly description: string;
  /**
   * How links attach: "port" nodes are linked as "node:port"; "bare" nodes (switches) are
   * linked by name and get one implicit port per link.
   */
  readonly attach: 'port' | 'bare';
  /** The settings key under which ports are declared (e.g. "interfaces"), for messages. */
  readonly portsKey?: string;
  /** Ports declared in the settings, or undefined when any valid port name is accepted. */
  declaredPorts?(spec: Spec): readonly string[] | undefined;
  /**
   * The link kind every link to this node uses (e.g. "uart-pipe-154" for a radio medium): the
   * editor writes it when a link to the node is drawn, and picks a serial port on the other end
   * when that kind is carried by a serial port.
   */
  readonly linkKind?: string;
  /**
   * Serial ports a serial link kind (slip, ppp, uart-pipe-154) may attach to as "node:port";
   * other link kinds never see them.
   */
  readonly serialPorts?: readonly string[];
  /** Addresses and MACs configured on the node's ports, for the per-segment duplicate check. */
  addresses?(spec: Spec): PortAddress[];
}

/** One node kind: its facts, its settings schema and its checks. Register it in kinds/index.ts. */
export interface NodeKindDefinition<
  K extends string = string,
  S extends NodeKindSchema<K> = NodeKindSchema<K>,
> extends NodeKindFacts<K, z.output<S>> {
  readonly schema: S;
  /** Kind-specific consistency checks that need more than one field. */
  check?(spec: z.output<S>, node: string): KindIssue[];
  /**
   * Checks of a bare-attached node against the links that join it by name and passed the link
   * checks (e.g. a radio medium's members); issue paths start at the document root.
   */
  checkAttached?(spec: z.output<S>, node: string, links: readonly AttachedLink[]): PathIssue[];
}

/** A link that names a bare-attached node as an endpoint, for NodeKindDefinition.checkAttached. */
export interface AttachedLink {
  /** Index in the document's `links`. */
  index: number;
  kind: string;
  endpoints: readonly string[];
}

/** Declares a node kind's facts for the spec type `Spec` (keeps the literal types). */
export function defineNodeKindFacts<Spec>() {
  return <const K extends string>(facts: NodeKindFacts<K, Spec>): NodeKindFacts<K, Spec> => facts;
}

/** Declares a node kind (identity function that keeps the literal types). */
export function defineNodeKind<const K extends string, S extends NodeKindSchema<K>>(
  definition: NodeKindDefinition<K, S>,
): NodeKindDefinition<K, S> {
  return definition;
}
