// The facts of the "fvp" node kind (see NodeKindFacts): its port forwards. No zod here.
import { parseIPv4 } from '../../../shared/topology/address.js';
import type { FvpNodeSpec } from './definition.js';
import { defineNodeKindFacts } from '../../../shared/topology/kinds/types.js';

/** FVP families netweave knows: Base/BaseR (parameters under "bp.") and Corstone (MPS3). */
export const FVP_FAMILIES = ['base', 'base-r', 'corstone-300', 'corstone-310'] as const;

/** An FVP family. */
export type FvpFamily = (typeof FVP_FAMILIES)[number];

/** Highest TCP port number. */
export const MAX_TCP_PORT = 65535;

/** One port forward `[host-ip:]hostport=[model-ip:]modelport`, parsed. */
export interface FvpForward {
  hostIp?: string;
  hostPort: number;
  modelIp?: string;
  modelPort: number;
}

/** The result of parsing a forward: the forward, or the end of a sentence saying what is wrong. */
export type ForwardParse = { ok: true; value: FvpForward } | { ok: false; reason: string };

export const FORWARD_HELP =
  '[host-ip:]hostport=[model-ip:]modelport, e.g. 8022=22 or 127.0.0.1:5080=80';

function parseSide(text: string, side: 'host' | 'model'): { ip?: string; port: number } | string {
  const colon = text.lastIndexOf(':');
  const ipText = colon >= 0 ? text.slice(0, colon) : undefined;
  const portText = colon >= 0 ? text.slice(colon + 1) : text;
  if (ipText !== undefined) {
    const ip = parseIPv4(ipText);
    if (!ip.ok) return `the ${side} address ${JSON.stringify(ipText)} ${ip.reason}`;
  }
  if (!/^[0-9]{1,5}$/.test(portText))
    return `the ${side} port ${JSON.stringify(portText)} is not a number`;
  const port = Number(portText);
  if (port < 1 || port > MAX_TCP_PORT)
    return `the ${side} port ${port} is outside 1-${MAX_TCP_PORT}`;
  return ipText !== undefined ? { ip: ipText, port } : { port };
}

/** Parses one forward as the FVP's hostbridge.userNetPorts takes it. */
export function parseFvpForward(text: string): ForwardParse {
  const parts = text.split('=');
  if (parts.length !== 2) return { ok: false, reason: `is not ${FORWARD_HELP}` };
  const host = parseSide(parts[0] ?? '', 'host');
  if (typeof host === 'string') return { ok: false, reason: host };
  const model = parseSide(parts[1] ?? '', 'model');
  if (typeof model === 'string') return { ok: false, reason: model };
  return {
    ok: true,
    value: {
      ...(host.ip !== undefined ? { hostIp: host.ip } : {}),
      hostPort: host.port,
      ...(model.ip !== undefined ? { modelIp: model.ip } : {}),
      modelPort: model.port,
    },
  };
}

/** Formats a forward the way the model takes it. */
export function formatFvpForward(f: FvpForward): string {
  const host = f.hostIp !== undefined ? `${f.hostIp}:${f.hostPort}` : String(f.hostPort);
  const model = f.modelIp !== undefined ? `${f.modelIp}:${f.modelPort}` : String(f.modelPort);
  return `${host}=${model}`;
}

/** The fvp kind's facts. */
export const fvpFacts = defineNodeKindFacts<FvpNodeSpec>()({
  kind: 'fvp',
  icon: 'sim',
  description: 'An Arm FVP running Zephyr with user-mode networking.',
  attach: 'port',
  declaredPorts: () => [],
});
