// The "slip" link kind: RFC 1055 SLIP on a qemu node's serial port (ZEPHYR-NETWORKING.md
// section 1, and section 8's QEMU-to-QEMU pipes). Mode tap (Zephyr's CONFIG_SLIP_TAP, the
// default of its QEMU targets) carries whole Ethernet frames, so the far end is anything
// Ethernet: a switch, a NIC, a host interface (what `tunslip6 -T` gives). Mode ip (legacy SLIP)
// carries raw IP packets, so the far end is a host interface, which becomes a TUN that the host
// routes to its other interfaces, or another serial port.
import { z } from 'zod';
import { mtuSchema, oneOf } from '../../../shared/topology/fields.js';
import type { KindIssue } from '../../../shared/topology/kinds/types.js';
import { DEFAULT_SLIP_MTU, SLIP_MODES, slipMtu } from './facts.js';
import {
  defineLinkKind,
  impairSchema,
  linkBaseShape,
  type LinkEnd,
} from '../../../shared/topology/links/types.js';

/** Settings of a slip link. */
export const slipLinkSchema = z
  .strictObject({
    name: linkBaseShape.name,
    kind: z.literal('slip'),
    endpoints: linkBaseShape.endpoints,
    mode: oneOf(
      SLIP_MODES,
      'SLIP mode',
      "tap (default): Ethernet frames inside SLIP, as Zephyr's CONFIG_SLIP_TAP sends them (MTU 1500). ip: legacy raw IP packets (MTU 576); the far end is a host interface (a TUN) or another serial port.",
    ).default('tap'),
    mtu: mtuSchema
      .optional()
      .meta({ description: 'IP MTU of the link; default 1500 in mode tap, 576 in mode ip.' }),
    up: linkBaseShape.up,
    impair: impairSchema.optional(),
  })
  .meta({
    title: 'slip link',
    description:
      'SLIP (RFC 1055) on a serial port: Ethernet frames (mode tap) or raw IP (mode ip).',
  });

/** A slip link as validated. */
export type SlipLinkSpec = z.output<typeof slipLinkSchema>;

/** What a far end is, for messages. */
function describeEnd(end: LinkEnd): string {
  if (end.port === undefined) return `${JSON.stringify(end.text)} is a ${end.spec.kind}`;
  return `${JSON.stringify(end.text)} is a port of ${end.spec.kind} node ${JSON.stringify(end.node)}`;
}

/** Mode ip needs a host interface (it becomes a TUN) or a serial port at the far end. */
/** The smallest MTU IPv6 runs on (RFC 8200); Linux removes IPv6 from an interface below it. */
const IPV6_MIN_MTU = 1280;

function checkSlip(link: SlipLinkSpec, ends: readonly LinkEnd[]): KindIssue[] {
  const far = ends[1];
  if (link.mode !== 'ip' || far === undefined || far.serial) return [];
  const at: KindIssue['path'] = ['endpoints', 1];
  if (far.spec.kind !== 'host' || far.port === undefined) {
    return [
      {
        path: at,
        message: `a slip link in mode ip carries raw IP packets, which only a host interface (it becomes a TUN, e.g. "h1:sl0") or another serial port can take, but ${describeEnd(far)}; end the link at a host interface, or use mode: tap for Ethernet`,
      },
    ];
  }
  const itf = far.spec.interfaces?.[far.port];
  const where = `nodes.${far.node}.interfaces.${far.port}`;
  if (itf?.mac !== undefined) {
    return [
      {
        path: at,
        message: `${JSON.stringify(far.text)} becomes a raw-IP (TUN) interface on this mode ip slip link, which has no MAC address; remove mac from ${where}`,
      },
    ];
  }
  const mtu = slipMtu(link);
  const effective = itf?.mtu ?? mtu;
  const v6 = itf?.ipv6;
  const hasV6 = typeof v6 === 'string' || (Array.isArray(v6) && v6.length > 0);
  if (hasV6 && effective < IPV6_MIN_MTU) {
    return [
      {
        path: at,
        message: `${where} has an IPv6 address, but IPv6 needs an MTU of at least ${IPV6_MIN_MTU} and this raw-IP slip link's MTU is ${effective} (legacy SLIP's default is ${DEFAULT_SLIP_MTU.ip}); drop the ipv6 address or set the link's mtu to ${IPV6_MIN_MTU} to match a Zephyr build with that MTU`,
      },
    ];
  }
  if (itf?.mtu !== undefined && itf.mtu > mtu) {
    return [
      {
        path: at,
        message: `${where} has mtu ${itf.mtu}, larger than this slip link's MTU ${mtu}; lower the interface's mtu or set the link's mtu to ${itf.mtu}`,
      },
    ];
  }
  return [];
}

/** The slip link kind. */
export const slipLinkKind = defineLinkKind({
  kind: 'slip',
  description: 'SLIP (RFC 1055) on a serial port: Ethernet frames (mode tap) or raw IP (mode ip).',
  linkType: 'ethernet',
  schema: slipLinkSchema,
  serial: true,
  check: checkSlip,
});
