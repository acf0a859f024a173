// The facts of the "slip" link kind: its modes and MTUs. No zod here.
import type { LinkType } from '../../../shared/kinds.js';
import type { SlipLinkSpec } from './definition.js';

/** What a SLIP frame carries: whole Ethernet frames (tap) or raw IP packets (ip). */
export const SLIP_MODES = ['tap', 'ip'] as const;

/** A SLIP mode. */
export type SlipMode = (typeof SLIP_MODES)[number];

/** Zephyr's MTU per mode: 1500 with SLIP_TAP, 576 for legacy raw-IP SLIP. */
export const DEFAULT_SLIP_MTU: Readonly<Record<SlipMode, number>> = { tap: 1500, ip: 576 };

/** The IP MTU of a slip link. */
export function slipMtu(spec: Pick<SlipLinkSpec, 'mode' | 'mtu'>): number {
  return spec.mtu ?? DEFAULT_SLIP_MTU[spec.mode];
}

/** The fabric link type of a slip link's frames. */
export function slipLinkType(mode: SlipMode): LinkType {
  return mode === 'ip' ? 'raw-ip' : 'ethernet';
}
