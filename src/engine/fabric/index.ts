// The userspace frame fabric: ports, switching, counters and capture (DESIGN.md, "The data
// plane: every frame crosses the fabric").
export { Capture, DEFAULT_CAPTURE_MAX_BUFFERED, type CaptureOptions } from './capture.js';
export { DirectionCounter } from './counters.js';
export { EgressPipeline, type EgressContext, type EgressNext, type EgressStage } from './egress.js';
export {
  DEFAULT_AGING_MS,
  EthernetSwitch,
  type EthernetSwitchOptions,
  type MacTableEntry,
} from './ethernetSwitch.js';
export {
  DEFAULT_COUNTER_INTERVAL_MS,
  Fabric,
  type FabricOptions,
  type PortImpairment,
} from './fabric.js';
export {
  ImpairmentStage,
  ManualScheduler,
  TimerfdScheduler,
  frameNote,
  systemScheduler,
  type ImpairmentScheduler,
  type ImpairmentStageOptions,
} from './impair/index.js';
export { MemoryPort, type MemoryPortOptions, type MemoryTransmit } from './memoryPort.js';
export {
  DEFAULT_SNAPLEN,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_EPB,
  PCAPNG_IDB,
  PCAPNG_SHB,
  PcapngWriter,
  encodeInterfaceDescription,
  encodeSectionHeader,
  enhancedPacketSize,
  writeEnhancedPacket,
  type PcapngDirection,
  type PcapngInterface,
  type PcapngOutput,
} from './pcapng.js';
export {
  PATCH_QUEUE_FRAMES,
  PatchPort,
  createPatchPair,
  type PatchPairOptions,
} from './patchPair.js';
export { PointToPointLink } from './pointToPointLink.js';
export {
  DEFAULT_MTU,
  Port,
  type Direction,
  type FrameHandler,
  type PortObserver,
  type PortOptions,
  type SetImpairmentOptions,
} from './port.js';
export {
  encodeStreamFrames,
  LENGTH_PREFIX_CODEC,
  MAX_STREAM_FRAME,
  StreamFramer,
  StreamSocketPort,
  type CodecEventCounter,
  type FrameCodec,
  type FrameDecoder,
  type StreamSocketPortOptions,
} from './streamSocketPort.js';
export {
  SUPER_FRAME_THRESHOLD,
  markSuperFrame,
  segmentSuperFrame,
  superFrameHeader,
  toWireFrames,
} from './superFrame.js';
export { TapPort, type TapPortOpenOptions, type TapPortOptions } from './tapPort.js';
