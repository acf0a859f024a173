// Link endpoints ("node:port" or a bare switch name) and link ids.
import type { Parsed } from './address.js';
import { checkName, checkPortName } from './names.js';

/** One end of a link: a node and, unless the node is a switch, one of its ports. */
export interface Endpoint {
  node: string;
  port?: string;
}

/** Checks "node:port" or a bare node name; the reason, when invalid, includes the fix. */
export function checkEndpoint(text: string): Parsed<Endpoint> {
  const colon = text.indexOf(':');
  const node = colon < 0 ? text : text.slice(0, colon);
  const nodeProblem = checkName(node, 'node name');
  if (nodeProblem) return { ok: false, reason: `endpoint ${JSON.stringify(text)}: ${nodeProblem}` };
  if (colon < 0) return { ok: true, value: { node } };
  const port = text.slice(colon + 1);
  if (port === '') {
    return {
      ok: false,
      reason: `endpoint ${JSON.stringify(text)} has an empty port; write node:port (e.g. ${node}:eth0) or a bare switch name`,
    };
  }
  const portProblem = checkPortName(port, 'port name');
  if (portProblem) return { ok: false, reason: `endpoint ${JSON.stringify(text)}: ${portProblem}` };
  return { ok: true, value: { node, port } };
}

/** Parses "node:port" or a bare node name; undefined when the text is not a valid endpoint. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const checked = checkEndpoint(text);
  return checked.ok ? checked.value : undefined;
}

/** Formats an endpoint back to its text form. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.port === undefined ? endpoint.node : `${endpoint.node}:${endpoint.port}`;
}

/**
 * The id of a link: its name when given, else "<A>--<B>" from the endpoint strings, or
 * "<A>--<kind>" for a single-endpoint link (e.g. "g1:eth0--slirp").
 */
export function linkId(link: {
  name?: string | undefined;
  kind?: string | undefined;
  endpoints: readonly [string, string] | readonly [string];
}): string {
  if (link.name !== undefined) return link.name;
  return link.endpoints.length === 1
    ? `${link.endpoints[0]}--${link.kind ?? 'link'}`
    : `${link.endpoints[0]}--${link.endpoints[1]}`;
}
