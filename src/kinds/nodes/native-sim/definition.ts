// The "native-sim" node kind: Zephyr built for native_sim (zephyr.exe) as a Linux process. With
// `sockets: tap` (default) every port is a TAP the process opens by name (the Ethernet TAP
// driver, ETH_NATIVE_TAP, formerly ETH_NATIVE_POSIX); with `sockets: offloaded` (NSOS, Native
// Simulator Offloaded Sockets) Zephyr's sockets are host sockets of the node's own namespace,
// whose interfaces are set up like a host node's.
import { z } from 'zod';
import {
  cidrSchema,
  expected,
  intRange,
  ipSchema,
  macSchema,
  oneOf,
  portNameSchema,
  readySchema,
} from '../../../shared/topology/fields.js';
import { checkPortName } from '../../../shared/topology/names.js';
import { hostInterfaceSchema, hostKind, hostRouteSchema } from '../host/definition.js';
import {
  DEFAULT_NATIVE_TAP_NAME,
  nativeSimFacts,
  nativeSimPorts,
  nativeSimTapName,
  offloadedHostSpec,
} from './facts.js';
import { defineNodeKind, type KindIssue } from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

/** Option names of zephyr.exe: letters, digits, "_" and "-" (no "=", no spaces). */
const OPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Settings of one native-sim TAP port. */
export const nativeSimPortSchema = z
  .strictObject(
    {
      tap: portNameSchema.optional().meta({
        description:
          'Name of the TAP zephyr.exe opens (inside the node). Default: "zeth" for one port, "zeth0", "zeth1"... for several.',
      }),
      flag: z
        .string({ error: expected('an option name such as eth-if') })
        .regex(OPTION_NAME, {
          error: 'an option name is letters, digits, "_" and "-", without "--" or "=", e.g. eth-if',
        })
        .optional()
        .meta({
          description:
            'The zephyr.exe option (without "--") that names this TAP, e.g. "eth-if" or "eth1_eth-if"; by default netweave picks it from the options zephyr.exe --help lists.',
        }),
      dtNode: z
        .string({ error: expected('a devicetree node name such as eth1') })
        .regex(OPTION_NAME, { error: 'a devicetree node name is letters, digits, "_" and "-"' })
        .optional()
        .meta({
          description:
            'Zephyr 4.5 and later: the devicetree node of this interface; its TAP is passed as --<dtNode>_eth-if (default: the nodes --help lists, in order).',
        }),
    },
    {
      error: expected(
        'a map of port settings (tap, flag, dtNode)',
        undefined,
        'write {} for defaults',
      ),
    },
  )
  .meta({ description: 'A TAP port of a native-sim node.' });

/** Settings of a native-sim node. */
export const nativeSimSchema = z
  .strictObject({
    kind: z.literal('native-sim'),
    exe: z
      .string({
        error: expected(
          'the path of zephyr.exe',
          'exe: with the path of zephyr.exe, e.g. build/zephyr/zephyr.exe',
        ),
      })
      .min(1, {
        error: 'the path is empty; give the path of zephyr.exe, e.g. build/zephyr/zephyr.exe',
      })
      .meta({ description: "Path of zephyr.exe, relative to the topology file's folder." }),
    sockets: oneOf(
      ['tap', 'offloaded'],
      'socket mode',
      'tap (default): Ethernet TAP ports joined to the fabric. offloaded: NSOS, the node is a namespace with host-like interfaces.',
    ).default('tap'),
    drvName: portNameSchema
      .default(DEFAULT_NATIVE_TAP_NAME)
      .meta({ description: 'CONFIG_ETH_NATIVE_TAP_DRV_NAME of the build (default "zeth").' }),
    ports: z
      .record(portNameSchema, nativeSimPortSchema, {
        error: expected('a map of port name to settings, e.g. eth0: {}'),
      })
      .optional()
      .meta({ description: 'TAP ports (sockets: tap); default one port "eth0".' }),
    interfaces: z
      .record(portNameSchema, hostInterfaceSchema, {
        error: expected('a map of interface name to settings, e.g. eth0: {ipv4: [192.0.2.1/24]}'),
      })
      .optional()
      .meta({ description: "Interfaces of the node's namespace (sockets: offloaded)." }),
    routes: z
      .array(hostRouteSchema, { error: expected('a list of routes') })
      .optional()
      .meta({ description: "Static routes of the node's namespace (sockets: offloaded)." }),
    mac: macSchema
      .optional()
      .meta({ description: 'Passed as --mac-addr (honoured when the build has no random MAC).' }),
    ipv4: cidrSchema(4).optional().meta({
      description: 'Passed as --ipv4-addr and --ipv4-nm (added to the Kconfig addresses).',
    }),
    gateway: ipSchema.optional().meta({ description: 'Passed as --ipv4-gw.' }),
    rt: z
      .boolean({ error: expected('true or false') })
      .optional()
      .meta({ description: 'true: --rt (run in real time), false: --no-rt.' }),
    seed: intRange(
      'seed',
      0,
      4294967295,
      'Passed as --seed: the random seed, from which a build with a random MAC draws its MAC. Default: a seed of its own per node (so that nodes get distinct MACs).',
    ).optional(),
    args: z
      .array(z.string({ error: expected('a string (quote numbers and booleans)') }), {
        error: expected('a list of extra arguments for zephyr.exe'),
      })
      .optional()
      .meta({ description: 'Extra arguments for zephyr.exe, appended as given.' }),
    restart: oneOf(
      ['never', 'on-failure'],
      'restart policy',
      'Restart policy of zephyr.exe (default never).',
      'restart policies',
    ).optional(),
    ready: readySchema(
      "When the node counts as ready; default: Zephyr's boot banner, the shell prompt or net_config's first line, on stdout or a UART.",
    ),
  })
  .meta({
    title: 'native-sim',
    description: 'Zephyr native_sim (zephyr.exe) on TAPs or offloaded sockets.',
  });

/** A native-sim node as validated. */
export type NativeSimNodeSpec = z.output<typeof nativeSimSchema>;
/** A native-sim TAP port as validated. */
export type NativeSimPortSpec = z.output<typeof nativeSimPortSchema>;

function check(spec: NativeSimNodeSpec, node: string): KindIssue[] {
  const issues: KindIssue[] = [];
  if (spec.sockets === 'offloaded') {
    for (const key of ['ports', 'mac', 'ipv4', 'gateway'] as const) {
      if (spec[key] !== undefined) {
        issues.push({
          path: [key],
          message: `"${key}" configures the Ethernet TAP driver, which an offloaded-sockets (NSOS) build does not have; remove it or use "interfaces:" for the namespace's addresses`,
        });
      }
    }
    issues.push(...(hostKind.check?.(offloadedHostSpec(spec), node) ?? []));
    return issues;
  }
  for (const key of ['interfaces', 'routes'] as const) {
    if (spec[key] !== undefined) {
      issues.push({
        path: [key],
        message: `"${key}" is for "sockets: offloaded"; a TAP-mode node is addressed by Zephyr itself (Kconfig, or "ipv4:" and "gateway:")`,
      });
    }
  }
  const ports = nativeSimPorts(spec);
  if (spec.gateway !== undefined && spec.gateway.includes(':')) {
    issues.push({
      path: ['gateway'],
      message: `--ipv4-gw takes an IPv4 gateway, not ${spec.gateway}`,
    });
  }
  if (spec.mac !== undefined && ports.length > 1) {
    issues.push({
      path: ['mac'],
      message:
        'Zephyr refuses a static MAC with more than one TAP interface (ETH_NATIVE_TAP_INTERFACE_COUNT > 1); remove "mac" or keep one port',
    });
  }
  const seen = new Map<string, string>();
  ports.forEach(([name, port], i) => {
    const tap = nativeSimTapName(spec, port, i, ports.length);
    // A TAP named after drvName plus its number ("zeth0") must be a valid name too.
    const derived =
      port.tap === undefined && ports.length > 1 ? checkPortName(tap, 'TAP name') : undefined;
    if (derived !== undefined) {
      issues.push({
        path: ['drvName'],
        message: `drvName ${JSON.stringify(spec.drvName)} gives port ${JSON.stringify(name)} the TAP ${JSON.stringify(tap)}, but ${derived.replace(/; [^;]*$/, '')}; change drvName or give the port its own "tap:"`,
      });
    }
    const other = seen.get(tap);
    if (other !== undefined) {
      issues.push({
        path: ['ports', name, 'tap'],
        message: `TAP "${tap}" is already used by port "${other}"; give each port its own TAP`,
      });
    }
    seen.set(tap, name);
  });
  return issues;
}

/** The native-sim kind. */
export const nativeSimKind = defineNodeKind({
  ...nativeSimFacts,
  schema: nativeSimSchema,
  check,
});
