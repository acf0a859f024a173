// The "fvp" node kind: an Arm Fixed Virtual Platform running a Zephyr image with the model's
// user-mode networking (SMSC 91C111 NIC + hostbridge, like QEMU's SLIRP). It has no fabric port:
// the model reaches the lab's host through NAT and is reached through port forwards, which are
// checked here because a model silently ignores a bad parameter.
import { z } from 'zod';
import { cidrSchema, expected, oneOf, readySchema } from '../../../shared/topology/fields.js';
import { FORWARD_HELP, FVP_FAMILIES, fvpFacts, parseFvpForward } from './facts.js';
import { defineNodeKind, type KindIssue } from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

const forwardSchema = z
  .string({ error: expected(`a port forward ${FORWARD_HELP}`) })
  .superRefine((value, ctx) => {
    const parsed = parseFvpForward(value);
    if (!parsed.ok) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} ${parsed.reason.startsWith('is ') ? parsed.reason : `is wrong: ${parsed.reason}`}; write ${FORWARD_HELP}`,
      });
    }
  })
  .meta({
    description: `TCP port forward ${FORWARD_HELP}.`,
    pattern: '^([0-9.]+:)?[0-9]{1,5}=([0-9.]+:)?[0-9]{1,5}$',
  });

/** Settings of an fvp node. */
export const fvpSchema = z
  .strictObject({
    kind: z.literal('fvp'),
    family: oneOf(
      FVP_FAMILIES,
      'FVP family',
      'Model family: base (FVP_Base_RevC-2xAEMvA), base-r (FVP_BaseR_AEMv8R), corstone-300, corstone-310.',
      'FVP families',
    ).default('base'),
    elf: z
      .string({ error: expected('the path of zephyr.elf', 'elf: with the path of zephyr.elf') })
      .min(1, { error: 'the path is empty; give the path of zephyr.elf' })
      .meta({ description: "Image loaded with -a, relative to the topology file's folder." }),
    path: z
      .string({ error: expected('a folder or a model binary') })
      .min(1, { error: 'the path is empty; remove it or give the folder of the model' })
      .optional()
      .meta({
        description: 'Folder of the model (like ARMFVP_BIN_PATH) or the model binary itself.',
      }),
    model: z
      .string({ error: expected('a model binary name such as FVP_Base_RevC-2xAEMvA') })
      .regex(/^[A-Za-z0-9_.+-]+$/, {
        error: 'a model name is a file name without "/", e.g. FVP_Base_RevC-2xAEMvA',
      })
      .optional()
      .meta({ description: 'Model binary name; default per family.' }),
    forwards: z
      .array(forwardSchema, { error: expected('a list of port forwards such as [8022=22]') })
      .optional()
      .meta({
        description: 'hostbridge.userNetPorts: TCP forwards from the lab host to the model.',
      }),
    subnet: cidrSchema(4)
      .optional()
      .meta({ description: 'hostbridge.userNetSubnet (default 172.20.51.0/24).' }),
    networking: z
      .boolean({ error: expected('true or false') })
      .default(true)
      .meta({
        description: 'Enable the SMSC 91C111 NIC with user-mode networking (default true).',
      }),
    args: z
      .array(z.string({ error: expected('a string (quote numbers and booleans)') }), {
        error: expected('a list of extra model arguments (like ARMFVP_EXTRA_FLAGS)'),
      })
      .optional()
      .meta({ description: 'Extra model arguments, appended as given.' }),
    restart: oneOf(
      ['never', 'on-failure'],
      'restart policy',
      'Restart policy of the model (default never).',
      'restart policies',
    ).optional(),
    ready: readySchema("When the node counts as ready; default Zephyr's boot banner."),
  })
  .meta({ title: 'fvp', description: 'An Arm FVP running Zephyr with user-mode networking.' });

/** An fvp node as validated. */
export type FvpNodeSpec = z.output<typeof fvpSchema>;

/**
 * Finds forwards that claim the same host port twice: two forwards listen on the same host
 * socket when their ports are equal and their addresses are equal or one is unset (an unset
 * address is every address).
 */
export function duplicateForwards(forwards: readonly string[]): KindIssue[] {
  const issues: KindIssue[] = [];
  // Earlier forwards by host port: the first of any address, the first on all addresses, and
  // the first per address, so each forward finds the first one it clashes with at once.
  const byPort = new Map<number, { first: number; any?: number; byIp: Map<string, number> }>();
  forwards.forEach((text, i) => {
    const r = parseFvpForward(text);
    if (!r.ok) return;
    const { hostPort, hostIp } = r.value;
    let earlier = byPort.get(hostPort);
    const clash =
      earlier === undefined
        ? undefined
        : hostIp === undefined
          ? earlier.first
          : Math.min(earlier.any ?? Infinity, earlier.byIp.get(hostIp) ?? Infinity);
    if (clash !== undefined && clash !== Infinity) {
      issues.push({
        path: ['forwards', i],
        message: `host port ${hostPort} is already forwarded by forwards[${clash}] (${forwards[clash]}); use another host port`,
      });
    }
    if (!earlier) {
      earlier = { first: i, byIp: new Map() };
      byPort.set(hostPort, earlier);
    }
    if (hostIp === undefined) earlier.any ??= i;
    else if (!earlier.byIp.has(hostIp)) earlier.byIp.set(hostIp, i);
  });
  return issues;
}

function check(spec: FvpNodeSpec): KindIssue[] {
  const issues = duplicateForwards(spec.forwards ?? []);
  if (!spec.networking) {
    for (const key of ['forwards', 'subnet'] as const) {
      if (spec[key] !== undefined) {
        issues.push({
          path: [key],
          message: `"${key}" needs user-mode networking; remove it or set networking: true`,
        });
      }
    }
  }
  return issues;
}

/** The fvp kind. */
export const fvpKind = defineNodeKind({
  ...fvpFacts,
  schema: fvpSchema,
  check: (spec) => check(spec),
});
