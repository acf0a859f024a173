// The "qemu" node kind: a QEMU machine running a Zephyr board (a known board table) or any guest
// (generic mode: binary, machine, kernel...). Each NIC is a port of the fabric; the facts come
// from ZEPHYR-NETWORKING.md section 2.
import { z } from 'zod';
import {
  argvSchema,
  expected,
  intRange,
  macSchema,
  oneOf,
  portNameSchema,
  readySchema,
} from '../../../shared/topology/fields.js';
import { listChoices } from '../../../shared/topology/text.js';
import { QEMU_BOARD_NAMES, qemuBoard, qemuFacts } from './facts.js';
import { defineNodeKind, type KindIssue } from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

const SAFE_VALUE = /^[A-Za-z0-9_.+,=-]+$/;

/** A QEMU option value (model, machine, cpu): no spaces, nothing a shell or QEMU's parser splits oddly. */
function qemuValue(what: string, example: string, description: string) {
  return z
    .string({ error: expected(`${what}, e.g. ${example}`) })
    .regex(SAFE_VALUE, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid ${what}; use letters, digits and _ . + , = - only, e.g. ${example}`,
    })
    .meta({ description });
}

/** A path to a file (kernel, initrd, disk); relative paths resolve against the topology file. */
function pathField(description: string) {
  return z
    .string({ error: expected('a file path') })
    .min(1, { error: 'the path is empty; give a file path' })
    .meta({ description });
}

/** Settings of one NIC. */
export const qemuNicSchema = z
  .strictObject(
    {
      model: qemuValue(
        'NIC model',
        'e1000',
        "QEMU NIC model; default the board's first supported model (e1000 for a generic guest).",
      ).optional(),
      mac: macSchema.optional(),
    },
    { error: expected('a map of NIC settings (model, mac)', undefined, 'write {} for defaults') },
  )
  .meta({ description: 'NIC settings.' });

/** Settings of a qemu node. */
export const qemuSchema = z
  .strictObject({
    kind: z.literal('qemu'),
    board: oneOf(
      QEMU_BOARD_NAMES,
      'board',
      'Zephyr board: picks the QEMU binary, machine, CPU and NIC model.',
    ).optional(),
    binary: z
      .string({ error: expected('a qemu-system binary, e.g. qemu-system-x86_64') })
      .min(1, { error: 'the binary is empty; name a qemu-system binary' })
      .optional()
      .meta({ description: 'qemu-system binary (name on PATH or path); overrides the board.' }),
    machine: qemuValue('machine', 'q35', 'QEMU -machine; overrides the board.').optional(),
    cpu: qemuValue('CPU model', 'qemu64', 'QEMU -cpu; overrides the board.').optional(),
    memory: z
      .union(
        [
          intRange('memory', 1, 1024 * 1024, 'Memory in MiB.'),
          z.string().regex(/^[0-9]+[MG]?$/, { error: 'write memory as 256, 256M or 1G' }),
        ],
        { error: expected('memory such as 256 (MiB), 256M or 1G') },
      )
      .optional()
      .meta({ description: 'Guest memory (QEMU -m): MiB, or a number with M or G.' }),
    smp: intRange('smp', 1, 64, 'Number of virtual CPUs (QEMU -smp).').optional(),
    kernel: pathField('Kernel: zephyr.elf of a Zephyr build, or a Linux bzImage.').optional(),
    initrd: pathField('Initial ramdisk of a Linux guest.').optional(),
    append: z
      .string({ error: expected('a kernel command line') })
      .optional()
      .meta({ description: 'Kernel command line of a Linux guest.' }),
    disk: pathField('Disk image attached as a virtio or IDE drive (-drive).').optional(),
    accel: oneOf(
      ['tcg', 'kvm'],
      'accelerator',
      'QEMU accelerator; tcg (default) works everywhere.',
    ).default('tcg'),
    extraArgs: argvSchema
      .optional()
      .meta({ description: 'More QEMU arguments, appended as given (no shell).' }),
    nics: z
      .record(portNameSchema, qemuNicSchema, {
        error: expected('a map of port name to NIC settings, e.g. eth0: {model: e1000}'),
      })
      .optional()
      .meta({ description: 'NICs by port name; link them as "node:port".' }),
    restart: oneOf(
      ['never', 'on-failure'],
      'restart policy',
      'Restart policy; default never, so a crash stays visible.',
      'restart policies',
    ).optional(),
    ready: readySchema("When the node is ready: a console match (default Zephyr's boot banner)."),
  })
  .meta({
    title: 'qemu',
    description: 'A QEMU machine: a Zephyr board or any guest, each NIC a port of the lab.',
  });

/** A qemu node as validated. */
export type QemuNodeSpec = z.output<typeof qemuSchema>;
/** One NIC as validated. */
export type QemuNicSpec = z.output<typeof qemuNicSchema>;

function checkQemu(spec: QemuNodeSpec): KindIssue[] {
  const issues: KindIssue[] = [];
  const board = spec.board !== undefined ? qemuBoard(spec.board) : undefined;
  if (spec.board === undefined) {
    if (spec.binary === undefined) {
      issues.push({
        path: ['binary'],
        message: `a qemu node needs "board:" (one of ${listChoices(QEMU_BOARD_NAMES)}) or, for any other guest, "binary:" and "machine:"`,
        choices: [...QEMU_BOARD_NAMES],
      });
    } else if (spec.machine === undefined) {
      issues.push({
        path: ['machine'],
        message: 'a generic qemu node needs "machine:", e.g. q35 or virt',
      });
    }
  }
  if (spec.kernel === undefined && spec.disk === undefined) {
    issues.push({
      path: ['kernel'],
      message:
        'required key is missing; add kernel: with the path of zephyr.elf (or a Linux kernel), or disk: with an image',
    });
  }
  if ((spec.initrd !== undefined || spec.append !== undefined) && spec.kernel === undefined) {
    issues.push({
      path: [spec.initrd !== undefined ? 'initrd' : 'append'],
      message: 'initrd and append need kernel:; add the kernel they belong to',
    });
  }
  const nics = Object.entries(spec.nics ?? {});
  if (board !== undefined && nics.length > board.maxNics) {
    issues.push({
      path: ['nics'],
      message: `board ${spec.board ?? ''} has ${board.maxNics} NIC${board.maxNics === 1 ? '' : 's'} but ${nics.length} are declared; remove ${nics.length - board.maxNics}`,
    });
  }
  for (const [port, nic] of nics) {
    if (board === undefined || nic.model === undefined) continue;
    if (board.nicAttach === 'on-board' && !board.nicModels.includes(nic.model)) {
      issues.push({
        path: ['nics', port, 'model'],
        message: `board ${spec.board ?? ''} has the on-board NIC ${board.nicModels[0]} only, so model ${JSON.stringify(nic.model)} cannot be added; remove model: or use ${board.nicModels[0]}`,
        choices: [...board.nicModels],
      });
    }
  }
  return issues;
}

/** The qemu kind. */
export const qemuKind = defineNodeKind({
  ...qemuFacts,
  schema: qemuSchema,
  check: checkQemu,
});
