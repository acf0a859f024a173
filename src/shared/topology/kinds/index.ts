// The node kinds' definitions, in palette order. A kind lives in its folder,
// src/kinds/nodes/<kind>/ (definition.ts, facts.ts, engine/); add its definition here, its
// facts to kinds/facts.ts and its engine side to src/engine/nodes/registry.ts.
import type { z } from 'zod';
import { kindUnion } from '../fields.js';
import { describeValue, listChoices } from '../text.js';
import { boardKind } from '../../../kinds/nodes/board/definition.js';
import { fvpKind } from '../../../kinds/nodes/fvp/definition.js';
import { hostKind } from '../../../kinds/nodes/host/definition.js';
import { nativeSimKind } from '../../../kinds/nodes/native-sim/definition.js';
import { qemuKind } from '../../../kinds/nodes/qemu/definition.js';
import { radio154Kind } from '../../../kinds/nodes/radio-154/definition.js';
import { switchKind } from '../../../kinds/nodes/switch/definition.js';
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

export type {
  HostInterfaceSpec,
  HostNodeSpec,
  HostRouteSpec,
} from '../../../kinds/nodes/host/definition.js';
export type { SwitchNodeSpec } from '../../../kinds/nodes/switch/definition.js';
export type {
  NativeSimNodeSpec,
  NativeSimPortSpec,
} from '../../../kinds/nodes/native-sim/definition.js';
export type { FvpFamily, FvpForward, FvpNodeSpec } from '../../../kinds/nodes/fvp/definition.js';
export type { Radio154NodeSpec, RadioDelivery } from '../../../kinds/nodes/radio-154/definition.js';
export {
  MAX_RADIO_SEED,
  RADIO_DELIVERY_MODELS,
  RADIO_LINK_KIND,
  radio154Kind,
} from '../../../kinds/nodes/radio-154/definition.js';
export type {
  AttachedLink,
  KindIssue,
  NodeKindDefinition,
  NodeKindIcon,
  NodeKindSchema,
  PortAddress,
} from './types.js';
export { addressList, DEFAULT_HOST_SHELL, hostKind } from '../../../kinds/nodes/host/definition.js';
export { DEFAULT_SWITCH_AGING, switchKind } from '../../../kinds/nodes/switch/definition.js';
export {
  DEFAULT_NATIVE_SIM_PORT,
  DEFAULT_NATIVE_TAP_NAME,
  nativeSimKind,
  nativeSimPorts,
  nativeSimTapName,
  offloadedHostSpec,
} from '../../../kinds/nodes/native-sim/definition.js';
export {
  duplicateForwards,
  formatFvpForward,
  FVP_FAMILIES,
  fvpKind,
  parseFvpForward,
} from '../../../kinds/nodes/fvp/definition.js';
export type {
  QemuBoard,
  QemuBoardName,
  QemuNicAttach,
  QemuNicSpec,
  QemuNodeSpec,
} from '../../../kinds/nodes/qemu/definition.js';
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
} from '../../../kinds/nodes/qemu/definition.js';
export type { BoardNodeSpec } from '../../../kinds/nodes/board/definition.js';
export {
  BOARD_NO_SERIAL,
  BOARD_PORT,
  boardKind,
  DEFAULT_BOARD_BAUD,
} from '../../../kinds/nodes/board/definition.js';
export { defineNodeKind } from './types.js';
