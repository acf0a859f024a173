// The "switch" node kind: a learning Ethernet switch in the engine's fabric. Links attach to it
// by its bare name, and each link gets an implicit port. A switch may also have the lab's own
// interface on the segment (`host`, Zephyr's "zeth with 192.0.2.2") and services on it (DHCPv4,
// router advertisements, DNS names, NAT to the outside).
import { z } from 'zod';
import {
  cidrContains,
  formatCidr,
  formatIp,
  networkOf,
  parseCidr,
  parseIp,
  type IpAddress,
} from '../../../shared/topology/address.js';
import {
  cidrSchema,
  expected,
  intRange,
  ipSchema,
  mtuSchema,
  oneOf,
  portNameSchema,
} from '../../../shared/topology/fields.js';
import {
  DEFAULT_SWITCH_AGING,
  DEFAULT_SWITCH_HOST_IPV4,
  DEFAULT_SWITCH_HOST_IPV6,
  SERVICE_SERVERS,
  switchFacts,
  switchHostAddresses,
} from './facts.js';
import { defineNodeKind, type KindIssue } from '../../../shared/topology/kinds/types.js';

export * from './facts.js';

const DNS_NAME_RE =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The lab's own interface on the segment. */
export const switchHostSchema = z
  .strictObject(
    {
      name: portNameSchema
        .optional()
        .meta({ description: 'Interface name; default derived from the lab id and switch name.' }),
      ipv4: cidrSchema(4).optional(),
      ipv6: cidrSchema(6).optional(),
    },
    {
      error: expected(
        'a map with name, ipv4, ipv6',
        undefined,
        'write {} for 192.0.2.2/24 and 2001:db8::2/64',
      ),
    },
  )
  .meta({
    description:
      "The lab's own interface on this segment (isolated: in the engine's namespace; host: on the machine). Without ipv4 and ipv6 it gets 192.0.2.2/24 and 2001:db8::2/64.",
  });

const dhcpSchema = z.union(
  [
    z.boolean(),
    z.strictObject({
      start: ipSchema.meta({ description: 'First address of the pool.' }),
      end: ipSchema.meta({ description: 'Last address of the pool.' }),
      lease: intRange('lease', 120, 31_536_000, 'Lease time in seconds.').optional(),
    }),
  ],
  { error: expected('true, false or {start, end, lease}') },
);

const raSchema = z.union(
  [
    z.boolean(),
    z.strictObject({
      prefix: cidrSchema(6).optional().meta({ description: 'Advertised /64 prefix.' }),
      mtu: mtuSchema.optional(),
    }),
  ],
  { error: expected('true, false or {prefix, mtu}') },
);

const dnsSchema = z.union(
  [
    z.boolean(),
    z.strictObject({
      names: z
        .record(
          z.string().regex(DNS_NAME_RE, {
            error: 'is not a DNS name; use letters, digits, "-" and dots, e.g. 4.zephyr.test',
          }),
          ipSchema,
          { error: expected('a map of name to address, e.g. {4.zephyr.test: 192.0.2.1}') },
        )
        .meta({ description: 'Names answered on this segment.' }),
    }),
  ],
  { error: expected('true, false or {names: {...}}') },
);

/** Services the lab runs on the segment, on its own interface. */
export const switchServicesSchema = z
  .strictObject(
    {
      dhcp: dhcpSchema
        .optional()
        .meta({ description: 'DHCPv4 server (default pool .16-.32 of the subnet).' }),
      ra: raSchema
        .optional()
        .meta({ description: 'IPv6 router advertisements (SLAAC) for the /64.' }),
      dns: dnsSchema
        .optional()
        .meta({ description: 'DNS names (default 4.zephyr.test and 6.zephyr.test).' }),
      nat: z
        .boolean({ error: expected('true or false') })
        .optional()
        .meta({ description: "NAT (masquerade) of this segment's IPv4 to the outside." }),
      server: oneOf(
        SERVICE_SERVERS,
        'server',
        'What answers dhcp, ra and dns: dnsmasq, or the engine itself (builtin); default dnsmasq when installed, else builtin.',
      ).optional(),
    },
    { error: expected('a map with dhcp, ra, dns, nat, server') },
  )
  .meta({ description: 'Services on this segment; they need `host`.' });

/** Settings of a switch node. */
export const switchSchema = z
  .strictObject({
    kind: z.literal('switch'),
    aging: intRange('aging', 1, 86400, 'Seconds a learned MAC address stays in the table.').default(
      DEFAULT_SWITCH_AGING,
    ),
    mtu: mtuSchema.optional(),
    host: switchHostSchema.optional(),
    services: switchServicesSchema.optional(),
  })
  .meta({
    title: 'switch',
    description: 'A learning Ethernet switch; link to it by its bare name.',
  });

/** A switch node as validated. */
export type SwitchNodeSpec = z.output<typeof switchSchema>;
/** The `host` setting of a switch as validated. */
export type SwitchHostSpec = z.output<typeof switchHostSchema>;

function checkSwitch(spec: SwitchNodeSpec, node: string): KindIssue[] {
  const s = spec.services;
  if (!s) return [];
  const on = (['dhcp', 'ra', 'dns', 'nat'] as const).filter(
    (k) => s[k] !== undefined && s[k] !== false,
  );
  if (on.length === 0) return [];
  if (!spec.host) {
    return [
      {
        path: ['services'],
        message: `services run on the lab's own interface on switch "${node}"; add \`host: {}\` to the switch (192.0.2.2/24 and 2001:db8::2/64) or remove the services`,
      },
    ];
  }
  const issues: KindIssue[] = [];
  const addrs = switchHostAddresses(spec.host);
  const v4 = addrs.ipv4 !== undefined ? parseCidr(addrs.ipv4, 4) : undefined;
  const v6 = addrs.ipv6 !== undefined ? parseCidr(addrs.ipv6, 6) : undefined;
  for (const [svc, family] of [
    ['dhcp', 4],
    ['nat', 4],
    ['ra', 6],
  ] as const) {
    if (!on.includes(svc)) continue;
    if ((family === 4 ? v4 : v6) === undefined) {
      issues.push({
        path: ['services', svc],
        message: `${svc} needs an IPv${family} address on the switch's own interface; add host.ipv${family} (e.g. ${family === 4 ? DEFAULT_SWITCH_HOST_IPV4 : DEFAULT_SWITCH_HOST_IPV6})`,
      });
    }
  }
  if (typeof s.dhcp === 'object' && v4?.ok) {
    const subnet = formatCidr(networkOf(v4.value));
    const start = parseIp(s.dhcp.start);
    const end = parseIp(s.dhcp.end);
    for (const [key, ip] of [
      ['start', start],
      ['end', end],
    ] as const) {
      if (ip.ok && !cidrContains(v4.value, ip.value)) {
        issues.push({
          path: ['services', 'dhcp', key],
          message: `${formatIp(ip.value)} is not in the switch's subnet ${subnet}; use an address of ${subnet}`,
        });
      }
    }
    if (start.ok && end.ok && start.value.family === 4 && end.value.family === 4) {
      const n = (a: IpAddress): number => a.bytes.reduce((x, b) => x * 256 + b, 0);
      if (n(start.value) > n(end.value)) {
        issues.push({
          path: ['services', 'dhcp', 'end'],
          message: `the pool ends at ${s.dhcp.end}, before its start ${s.dhcp.start}; swap them`,
        });
      }
    }
  }
  if (typeof s.ra === 'object' && s.ra.prefix !== undefined && v6?.ok) {
    const p = parseCidr(s.ra.prefix, 6);
    if (p.ok && p.value.prefix !== 64) {
      issues.push({
        path: ['services', 'ra', 'prefix'],
        message: `SLAAC needs a /64 prefix, not /${p.value.prefix}; write e.g. 2001:db8::/64`,
      });
    } else if (p.ok && !cidrContains(p.value, v6.value.address)) {
      issues.push({
        path: ['services', 'ra', 'prefix'],
        message: `the switch's own address ${addrs.ipv6 ?? ''} is not in ${s.ra.prefix}; advertise its /64 or change host.ipv6`,
      });
    }
  }
  return issues;
}

/** The switch kind. */
export const switchKind = defineNodeKind({
  ...switchFacts,
  schema: switchSchema,
  check: checkSwitch,
});
