// Topology file format v1: schemas, types, validation and helpers. Pure: usable in the engine
// and in the renderer.
export {
  cidrContains,
  formatCidr,
  formatIp,
  formatMac,
  hasHostBits,
  isLinkLocalIPv6,
  networkOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseIp,
  parseMac,
  type Cidr,
  type IpAddress,
  type IpFamily,
  type Parsed,
} from './address.js';
export { checkEndpoint, formatEndpoint, linkId, parseEndpoint, type Endpoint } from './endpoint.js';
export { durationSeconds } from './fields.js';
export {
  addressList,
  DEFAULT_HOST_SHELL,
  DEFAULT_SWITCH_AGING,
  defineNodeKind,
  findNodeKind,
  hostKind,
  NODE_KIND_NAMES,
  NODE_KINDS,
  nodeSpecSchema,
  switchKind,
  type AnyNodeKind,
  type HostInterfaceSpec,
  type HostNodeSpec,
  type HostRouteSpec,
  type KindIssue,
  type NodeKindName,
  type NodeKindDefinition,
  type NodeKindSchema,
  type NodeSpec,
  type PortAddress,
  type SwitchNodeSpec,
} from './kinds/index.js';
export {
  DEFAULT_LINK_KIND,
  defineLinkKind,
  ethernetLinkKind,
  findLinkKind,
  impairTexts,
  LINK_DIRECTIONS,
  LINK_KIND_NAMES,
  LINK_KINDS,
  linkSpecSchema,
  type ImpairSpec,
  type LinkDirection,
  type LinkKindName,
  type LinkKindDefinition,
  type LinkSpec,
} from './links/index.js';
export {
  emptyLayout,
  formatLayout,
  LAYOUT_VERSION,
  layoutSchema,
  validateLayoutText,
  type Layout,
  type LayoutResult,
} from './layout.js';
export {
  checkName,
  checkPortName,
  ENGINE_PORT_PREFIX,
  MAX_NAME_LENGTH,
  MAX_PORT_NAME_LENGTH,
  RESERVED_PORT_NAMES,
} from './names.js';
export { FILE_LEVEL, fileProblem, formatProblem, isFileLevel } from './problem.js';
export { MAX_ALIASED_VALUES, MAX_NESTING_DEPTH } from './source.js';
export { NETWORK_MODES, topologySchema, type Topology, type TopologyInput } from './schema.js';
export { describeSegment, resolveSegments, type Segment } from './segments.js';
export { formatPath, oneLine } from './text.js';
export { MAX_TOPOLOGY_TEXT_LENGTH, validateTopologyText, type TopologyResult } from './validate.js';
export {
  faultPair,
  faultSchema,
  LINK_FAULT_ACTIONS,
  NODE_FAULT_ACTIONS,
  parseDurationMs,
  parseMemberPair,
  type FaultSpec,
} from './faults.js';
