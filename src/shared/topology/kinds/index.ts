// The node kind registry: the one place where node kinds are listed. To add a kind, write
// kinds/<kind>.ts with its schema and hooks and add it to NODE_KINDS.
import type { z } from 'zod';
import { kindUnion } from '../fields.js';
import { describeValue, listChoices } from '../text.js';
import { boardKind } from './board.js';
import { fvpKind } from './fvp.js';
import { hostKind } from './host.js';
import { nativeSimKind } from './nativeSim.js';
import { qemuKind } from './qemu.js';
import { radio154Kind } from './radio154.js';
import { switchKind } from './switch.js';
import type { NodeKindDefinition, NodeKindSchema } from './types.js';

/** Every node kind, in palette order. */
export const NODE_KINDS = [
  hostKind,
  switchKind,
  nativeSimKind,
  fvpKind,
  qemuKind,
  boardKind,
  radio154Kind,
] as const;

/** A node kind name. */
export type NodeKindName = (typeof NODE_KINDS)[number]['kind'];

/** Every node kind name, in palette order. */
export const NODE_KIND_NAMES: readonly NodeKindName[] = NODE_KINDS.map((k) => k.kind);

/** Settings of one node: a union discriminated by `kind`. */
export const nodeSpecSchema = kindUnion(
  NODE_KINDS,
  (input) =>
    `expected a map with "kind:" (${listChoices(NODE_KIND_NAMES)}) and its settings, got ${describeValue(input)}`,
  (kind) =>
    kind === undefined
      ? `required key is missing; add kind: with one of ${listChoices(NODE_KIND_NAMES)}`
      : `unknown kind ${describeValue(kind)}; valid kinds are ${listChoices(NODE_KIND_NAMES)}`,
).meta({ description: 'A node: "kind" and the settings of that kind.' });

/** Settings of one node as validated. */
export type NodeSpec = z.output<typeof nodeSpecSchema>;

/** A node kind definition with its spec type erased, for generic code. */
export type AnyNodeKind = NodeKindDefinition<string, NodeKindSchema>;

/** Looks up a node kind by name. */
export function findNodeKind(kind: string): AnyNodeKind | undefined {
  return (NODE_KINDS as readonly AnyNodeKind[]).find((k) => k.kind === kind);
}

export type { HostInterfaceSpec, HostNodeSpec, HostRouteSpec } from './host.js';
export type { SwitchNodeSpec } from './switch.js';
export type { NativeSimNodeSpec, NativeSimPortSpec } from './nativeSim.js';
export type { FvpFamily, FvpForward, FvpNodeSpec } from './fvp.js';
export type { Radio154NodeSpec, RadioDelivery } from './radio154.js';
export {
  MAX_RADIO_SEED,
  RADIO_DELIVERY_MODELS,
  RADIO_LINK_KIND,
  radio154Kind,
} from './radio154.js';
export type {
  AttachedLink,
  KindIssue,
  NodeKindDefinition,
  NodeKindIcon,
  NodeKindSchema,
  PortAddress,
} from './types.js';
export { addressList, DEFAULT_HOST_SHELL, hostKind } from './host.js';
export { DEFAULT_SWITCH_AGING, switchKind } from './switch.js';
export {
  DEFAULT_NATIVE_SIM_PORT,
  DEFAULT_NATIVE_TAP_NAME,
  nativeSimKind,
  nativeSimPorts,
  nativeSimTapName,
  offloadedHostSpec,
} from './nativeSim.js';
export {
  duplicateForwards,
  formatFvpForward,
  FVP_FAMILIES,
  fvpKind,
  parseFvpForward,
} from './fvp.js';
export type { QemuBoard, QemuBoardName, QemuNicAttach, QemuNicSpec, QemuNodeSpec } from './qemu.js';
export {
  DEFAULT_QEMU_READY_TIMEOUT_S,
  nicAttach,
  nicModel,
  ON_BOARD_NIC_MODELS,
  QEMU_BOARD_NAMES,
  QEMU_BOARDS,
  QEMU_SERIAL_PORTS,
  qemuBoard,
  qemuKind,
  ZEPHYR_BOOT_BANNER,
} from './qemu.js';
export type { BoardNodeSpec } from './board.js';
export { BOARD_NO_SERIAL, BOARD_PORT, boardKind, DEFAULT_BOARD_BAUD } from './board.js';
export { defineNodeKind } from './types.js';
