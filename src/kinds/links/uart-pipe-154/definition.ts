// The "uart-pipe-154" link kind: a node's serial port joined to a radio-154 medium. Zephyr's UART
// pipe radio (CONFIG_IEEE802154_UPIPE, ZEPHYR-NETWORKING.md section 9) writes each 802.15.4 frame
// on the second serial port as 0xF0, a length byte (at most 127) and the MAC frame without FCS.
import { z } from 'zod';
import type { KindIssue } from '../../../shared/topology/kinds/types.js';
import {
  defineLinkKind,
  impairSchema,
  linkBaseShape,
  type LinkEnd,
} from '../../../shared/topology/links/types.js';

/** Settings of a uart-pipe-154 link. */
export const uartPipe154LinkSchema = z
  .strictObject({
    name: linkBaseShape.name,
    kind: z.literal('uart-pipe-154'),
    endpoints: linkBaseShape.endpoints.meta({
      description:
        'The serial port of the radio ("z1:serial1"), then the bare name of the radio-154 medium.',
    }),
    up: linkBaseShape.up,
    impair: impairSchema.optional(),
  })
  .meta({
    title: 'uart-pipe-154 link',
    description:
      "Zephyr's UART pipe 802.15.4 radio on a serial port, joined to a radio-154 medium.",
  });

/** A uart-pipe-154 link as validated. */
export type UartPipe154LinkSpec = z.output<typeof uartPipe154LinkSchema>;

/** The medium end must be a radio-154 node (the serial end is checked for every serial kind). */
function checkUartPipe154(_link: UartPipe154LinkSpec, ends: readonly LinkEnd[]): KindIssue[] {
  const medium = ends[1];
  if (!medium || medium.spec.kind === 'radio-154') return [];
  const what =
    medium.port !== undefined
      ? `${JSON.stringify(medium.text)} is a port of ${medium.spec.kind} ${JSON.stringify(medium.node)}`
      : `${JSON.stringify(medium.text)} is a ${medium.spec.kind}`;
  return [
    {
      path: ['endpoints', 1],
      message: `a uart-pipe-154 link joins a serial port to a radio-154 medium, but ${what}; add a node of kind radio-154 (e.g. "air") and write its bare name here`,
    },
  ];
}

/** The uart-pipe-154 link kind. */
export const uartPipe154LinkKind = defineLinkKind({
  kind: 'uart-pipe-154',
  description: "Zephyr's UART pipe 802.15.4 radio on a serial port, joined to a radio-154 medium.",
  linkType: 'ieee802154',
  schema: uartPipe154LinkSchema,
  serial: true,
  check: checkUartPipe154,
});
