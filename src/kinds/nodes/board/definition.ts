// The "board" node kind: a real Zephyr board on USB. Its USB network interface (CDC-ECM, EEM,
// NCM or RNDIS: the host's cdc_ether, cdc_eem, cdc_ncm or rndis_host driver makes it, e.g.
// enx00005e005301) is the node's one port "usb0", and its serial console (/dev/ttyACM*,
// /dev/ttyUSB*) is the node's console. Both are found on the machine when not named.
import { z } from 'zod';
import {
  expected,
  intRange,
  portNameSchema,
  readySchema,
} from '../../../shared/topology/fields.js';
import { BOARD_NO_SERIAL, boardFacts, DEFAULT_BOARD_BAUD } from './facts.js';
import { defineNodeKind, type KindIssue } from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

/** A serial console path: absolute, without NUL, shorter than PATH_MAX (e.g. /dev/ttyACM0). */
function isSerialPath(s: string): boolean {
  return s.startsWith('/') && s.length < 4096 && !s.includes('\0');
}

/** Settings of a board node. */
export const boardSchema = z
  .strictObject({
    kind: z.literal('board'),
    interface: portNameSchema.optional().meta({
      description:
        "The board's USB network interface on the machine (e.g. enx00005e005301); when absent, the one interface driven by cdc_ether, cdc_ncm, rndis_host or cdc_eem.",
    }),
    serial: z
      .string({ error: expected('a tty path such as /dev/ttyACM0, or "none"') })
      .refine((s) => s === BOARD_NO_SERIAL || isSerialPath(s), {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a tty path; write an absolute path such as /dev/ttyACM0, or "none" for no console`,
      })
      .optional()
      .meta({
        description:
          'The serial console (e.g. /dev/ttyACM0), or "none"; when absent, /dev/ttyACM* then /dev/ttyUSB*, preferring the one on the same USB device as the network interface.',
      }),
    baud: intRange('baud rate', 50, 4_000_000, 'Console speed in bits per second.').default(
      DEFAULT_BOARD_BAUD,
    ),
    ready: readySchema(
      'When the board counts as ready: a console line matching pattern; default as soon as it is attached (a real board is already running).',
    ),
  })
  .meta({
    title: 'board',
    description: 'A real Zephyr board on USB: its USB network interface and serial console.',
  });

/** A board node as validated. */
export type BoardNodeSpec = z.output<typeof boardSchema>;

function check(spec: BoardNodeSpec): KindIssue[] {
  if (spec.serial === BOARD_NO_SERIAL && spec.ready?.pattern !== undefined) {
    return [
      {
        path: ['ready', 'pattern'],
        message:
          'a ready pattern is matched on the console, and "serial: none" gives the board none; remove the pattern or name the serial console',
      },
    ];
  }
  return [];
}

/** The board kind. */
export const boardKind = defineNodeKind({
  ...boardFacts,
  schema: boardSchema,
  check,
});
