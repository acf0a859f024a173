// The "host" node kind: a Linux network namespace with interfaces, routes and a shell.
import { z } from 'zod';
import {
  formatCidr,
  formatIp,
  hasHostBits,
  isLinkLocalIPv6,
  networkOf,
  parseCidr,
  parseIp,
  type Cidr,
  type IpAddress,
} from '../../../shared/topology/address.js';
import {
  addressListSchema,
  argvSchema,
  envNameSchema,
  expected,
  ipSchema,
  macSchema,
  mtuSchema,
  oneOf,
  portNameSchema,
  readySchema,
  routeDestinationSchema,
} from '../../../shared/topology/fields.js';
import { listChoices, listSome, MAX_LISTED, someChoices } from '../../../shared/topology/text.js';
import { addressList, DEFAULT_HOST_SHELL, hostFacts } from './facts.js';
import { defineNodeKind, type KindIssue } from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

/** Settings of one host interface. */
export const hostInterfaceSchema = z
  .strictObject(
    {
      ipv4: addressListSchema(4).optional(),
      ipv6: addressListSchema(6).optional(),
      mac: macSchema.optional(),
      mtu: mtuSchema.optional(),
    },
    {
      error: expected(
        'a map of interface settings (ipv4, ipv6, mac, mtu)',
        undefined,
        'write {} for an interface without settings',
      ),
    },
  )
  .meta({ description: 'Interface settings.' });

/** One static route of a host. */
export const hostRouteSchema = z
  .strictObject(
    {
      to: routeDestinationSchema,
      via: ipSchema,
      dev: portNameSchema.optional(),
    },
    { error: expected('a route such as {to: default, via: 192.0.2.254}') },
  )
  .meta({ description: 'A static route.' });

/** Settings of a host node. */
export const hostSchema = z
  .strictObject({
    kind: z.literal('host'),
    interfaces: z
      .record(portNameSchema, hostInterfaceSchema, {
        error: expected('a map of interface name to settings, e.g. eth0: {ipv4: [192.0.2.1/24]}'),
      })
      .optional()
      .meta({ description: 'Interfaces by name; link them as "node:interface".' }),
    routes: z
      .array(hostRouteSchema, { error: expected('a list of routes') })
      .optional()
      .meta({ description: 'Static routes, added after the interfaces are up.' }),
    setup: z
      .array(argvSchema, { error: expected(`a list of commands, each a list of arguments`) })
      .optional()
      .meta({ description: 'Commands run in the node after it starts, in order.' }),
    shell: argvSchema
      .default(() => [...DEFAULT_HOST_SHELL])
      .meta({ description: 'Command for terminals opened in the node.' }),
    env: z
      .record(
        envNameSchema,
        z.string({ error: expected('a string (quote numbers and booleans)') }),
        {
          error: expected('a map of variable name to value'),
        },
      )
      .optional()
      .meta({ description: 'Environment for the setup commands and the shell.' }),
    restart: oneOf(
      ['never', 'on-failure'],
      'restart policy',
      "Restart policy of the node; when absent the engine picks the kind's default.",
      'restart policies',
    ).optional(),
    ready: readySchema('When the node counts as ready: a console line matching pattern.'),
  })
  .meta({ title: 'host', description: 'A Linux network namespace with interfaces and routes.' });

/** A host node as validated. */
export type HostNodeSpec = z.output<typeof hostSchema>;
/** A host interface as validated. */
export type HostInterfaceSpec = z.output<typeof hostInterfaceSchema>;
/** A host route as validated. */
export type HostRouteSpec = z.output<typeof hostRouteSchema>;

/** The subnets of some interfaces in one family, for "is the gateway on a connected subnet". */
class Subnets {
  /** The network (canonical text) of each subnet, by prefix length. */
  private readonly byPrefix = new Map<number, Set<string>>();
  /** The first MAX_LISTED networks, for messages. */
  readonly shown: string[] = [];
  /** How many distinct subnets were added. */
  size = 0;

  add(cidr: Cidr): void {
    let networks = this.byPrefix.get(cidr.prefix);
    if (!networks) {
      networks = new Set();
      this.byPrefix.set(cidr.prefix, networks);
    }
    const network = formatCidr(networkOf(cidr));
    if (networks.has(network)) return;
    networks.add(network);
    this.size++;
    if (this.shown.length < MAX_LISTED) this.shown.push(network);
  }

  /** True when `addr` is inside one of the subnets: one lookup per prefix length. */
  contains(addr: IpAddress): boolean {
    for (const [prefix, networks] of this.byPrefix) {
      if (networks.has(formatCidr(networkOf({ address: addr, prefix })))) return true;
    }
    return false;
  }
}

function checkRoutes(spec: HostNodeSpec, node: string): KindIssue[] {
  const issues: KindIssue[] = [];
  const ports = Object.keys(spec.interfaces ?? {});
  const portSet = new Set(ports);
  // The subnets of one family on one interface or on all of them, built when a route first
  // needs them.
  const subnetsOf = new Map<string, Subnets>();
  const subnets = (family: 4 | 6, dev: string | undefined): Subnets => {
    const key = `${family}:${dev ?? ''}`;
    let found = subnetsOf.get(key);
    if (!found) {
      found = new Subnets();
      for (const port of dev !== undefined ? [dev] : ports) {
        const itf = spec.interfaces?.[port];
        for (const text of addressList(family === 4 ? itf?.ipv4 : itf?.ipv6)) {
          const c = parseCidr(text);
          if (c.ok) found.add(c.value);
        }
      }
      subnetsOf.set(key, found);
    }
    return found;
  };
  const seen = new Map<string, number>();
  (spec.routes ?? []).forEach((route, i) => {
    const at = (key: string): KindIssue['path'] => ['routes', i, key];
    const via = parseIp(route.via);
    if (!via.ok) return;
    const family = via.value.family;
    let dest: Cidr | undefined;
    if (route.to !== 'default') {
      const parsed = parseCidr(route.to);
      if (!parsed.ok) return;
      dest = parsed.value;
      if (dest.address.family !== family) {
        issues.push({
          path: at('via'),
          message: `gateway ${route.via} is IPv${family} but the destination ${route.to} is IPv${dest.address.family}; use an IPv${dest.address.family} gateway`,
        });
        return;
      }
      if (hasHostBits(dest)) {
        issues.push({
          path: at('to'),
          message: `destination ${route.to} has host bits set; write the network ${formatCidr(networkOf(dest))}`,
        });
        return;
      }
    }
    const key = dest ? formatCidr(dest) : `default/${family}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        path: at('to'),
        message: `a route to ${route.to} (IPv${family}) is already defined at routes[${first}]; keep one of them`,
      });
      return;
    }
    seen.set(key, i);
    if (route.dev !== undefined && !portSet.has(route.dev)) {
      issues.push({
        path: at('dev'),
        message: `host "${node}" has no interface "${route.dev}"; use one of ${listSome(ports)}`,
        choices: someChoices(ports),
      });
      return;
    }
    if (isLinkLocalIPv6(via.value)) {
      if (route.dev === undefined) {
        issues.push({
          path: at('via'),
          message: `link-local gateway ${route.via} needs "dev:" to name the interface it is on`,
        });
      }
      return;
    }
    const connected = subnets(family, route.dev);
    if (!connected.contains(via.value)) {
      const where = route.dev !== undefined ? `${node}:${route.dev}` : `any interface of ${node}`;
      const known = connected.shown;
      const more = connected.size > known.length ? ', ...' : '';
      issues.push({
        path: at('via'),
        message: `gateway ${formatIp(via.value)} is not on a subnet of ${where}${known.length > 0 ? ` (${listChoices(known)}${more})` : ''}; use a gateway on a connected subnet or add an address in its subnet`,
      });
    }
  });
  return issues;
}

/** The host kind. */
export const hostKind = defineNodeKind({
  ...hostFacts,
  schema: hostSchema,
  check: checkRoutes,
});
