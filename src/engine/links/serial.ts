// What link kinds carried by a serial port (slip, ppp, uart-pipe-154) share: opening the fabric
// port of the node's serial port named by an endpoint, with the kind's codec, and the one
// sentence when the endpoint is not a serial port.
import { EngineError } from '../../shared/contract.js';
import { NODE_KIND_FACTS, type AnyNodeKindFacts } from '../../shared/topology/kinds/facts.js';
import { parseEndpoint } from '../../shared/topology/endpoint.js';
import { listChoices } from '../../shared/topology/text.js';
import type { Port } from '../fabric/index.js';
import type { NodeInstance, SerialPortOptions } from '../nodes/types.js';
import type { LinkEnv } from './types.js';

/** A serial port a link opened, with its node and port name (for setLink). */
export interface OpenedSerialPort {
  node: NodeInstance;
  name: string;
  port: Port;
}

/** Where serial ports are, for messages: "a qemu node's serial1, serial2, serial3". */
export function serialPortHint(): string {
  return (NODE_KIND_FACTS as readonly AnyNodeKindFacts[])
    .filter((k) => (k.serialPorts?.length ?? 0) > 0)
    .map((k) => `a ${k.kind} node's ${listChoices(k.serialPorts ?? [])}`)
    .join(' or ');
}

/** The one sentence when a serial link's endpoint is not a serial port. */
export function notASerialPort(kind: string, link: string, endpoint: string): EngineError {
  return new EngineError(
    'bad-request',
    `${kind} link ${link} starts at a serial port such as "z1:serial1", but "${endpoint}" is not one; use ${serialPortHint()}`,
  );
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
  const serial = node?.abilities.serial;
  if (ep?.port === undefined || node === undefined || serial === undefined) {
    throw notASerialPort(kind, options.link, endpoint);
  }
  const { up, ...portOptions } = options;
  const port = await serial.serialPort(ep.port, portOptions);
  if (!up) await node.setLink?.(ep.port, false);
  return { node, name: ep.port, port };
}
