// What link kinds carried by a serial port (slip, ppp, uart-pipe-154) share: opening the fabric
// port of the node's serial port named by an endpoint, with the kind's codec, and the one
// sentence when the endpoint is not a serial port.
import { EngineError } from '../../shared/contract.js';
import type { LinkType } from '../../shared/kinds.js';
import { parseEndpoint } from '../../shared/topology/index.js';
import type { FrameCodec, Port } from '../fabric/index.js';
import type { NodeInstance } from '../nodes/types.js';
import type { LinkEnv } from './types.js';

/** How a serial link asks a node for one of its serial ports. */
export interface SerialPortOptions {
  /** Id of the link that claims the port. */
  link: string;
  linkType: LinkType;
  codec: FrameCodec;
  /** Largest frame in the fabric. */
  mtu?: number;
}

/** A node with serial ports a link can claim (qemu today). */
export interface SerialPortOwner extends NodeInstance {
  serialPort(name: string, options: SerialPortOptions): Promise<Port>;
}

/** True when the node offers serial ports to links. */
export function hasSerialPorts(n: NodeInstance): n is SerialPortOwner {
  return typeof (n as Partial<SerialPortOwner>).serialPort === 'function';
}

/** A serial port a link opened, with its node and port name (for setLink). */
export interface OpenedSerialPort {
  node: SerialPortOwner;
  name: string;
  port: Port;
}

/**
 * Opens the serial port `endpoint` names ("z1:serial1") for a link of `kind`, or rejects with
 * one sentence when the endpoint is not a serial port. A link written with `up: false` takes the
 * port down through the node, so that the node's start does not bring it back.
 */
export async function openSerialPort(
  env: LinkEnv,
  kind: string,
  endpoint: string,
  options: SerialPortOptions & { up: boolean },
): Promise<OpenedSerialPort> {
  const ep = parseEndpoint(endpoint);
  const node = ep ? env.node(ep.node) : undefined;
  if (ep?.port === undefined || node === undefined || !hasSerialPorts(node)) {
    throw new EngineError(
      'bad-request',
      `${kind} link ${options.link} starts at a serial port such as "z1:serial1", but "${endpoint}" is not one; use a qemu node's serial1-serial3`,
    );
  }
  const { up, ...portOptions } = options;
  const port = await node.serialPort(ep.port, portOptions);
  if (!up) await node.setLink?.(ep.port, false);
  return { node, name: ep.port, port };
}
