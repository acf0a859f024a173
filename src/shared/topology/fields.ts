// Reusable zod field schemas. Every error message here is the part after "path: ": what is
// wrong and how to fix it. Checks that JSON Schema cannot express run as refinements, and the
// JSON Schema gets a pattern and description through .meta().
import { z } from 'zod';
import { parseCidr, parseIp, parseMac, type IpFamily } from './address.js';
import { checkEndpoint } from './endpoint.js';
import {
  ENV_NAME_PATTERN,
  NAME_PATTERN,
  PORT_NAME_PATTERN,
  RESERVED_PORT_LOOKAHEAD,
  checkEnvName,
  checkName,
  checkPortName,
} from './names.js';
import { describeValue, listChoices, oneLine } from './text.js';

/** A zod error map that returns a message for some issues and defers (undefined) for others. */
export type ErrorMessage = (issue: z.core.$ZodRawIssue) => string | undefined;

/**
 * Error map for a value of the wrong type: "expected <what>, got <value>[; <fix>]", or, when
 * the key is absent, "required key is missing; add <missing>".
 */
export function expected(what: string, missing?: string, fix?: string): ErrorMessage {
  return (issue) => {
    if (issue.code !== 'invalid_type' && issue.code !== 'invalid_union') return undefined;
    if (issue.input === undefined) return `required key is missing; add ${missing ?? what}`;
    return `expected ${what}, got ${describeValue(issue.input)}${fix !== undefined ? `; ${fix}` : ''}`;
  };
}

/** A string validated by `check`, which returns the whole message when the value is invalid. */
function checkedString(
  what: string,
  check: (value: string) => string | undefined,
  meta: { description: string; pattern?: string },
  missing?: string,
): z.ZodString {
  return z
    .string({ error: expected(what, missing) })
    .superRefine((value, ctx) => {
      const problem = check(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta(meta);
}

/** A lab name, required at the top level. */
export const labNameSchema = checkedString(
  'a lab name',
  (s) => checkName(s, 'lab name'),
  {
    description:
      'Lab name: 1-32 letters, digits, "_" or "-", starting with a letter or digit. It becomes part of host object names.',
    pattern: NAME_PATTERN,
  },
  'a lab name at the top of the file, e.g. "name: my-lab"',
);

/** A node name (used as the key of `nodes`). */
export const nodeNameSchema = checkedString('a node name', (s) => checkName(s, 'node name'), {
  description: 'Node name: 1-32 letters, digits, "_" or "-", starting with a letter or digit.',
  pattern: NAME_PATTERN,
});

/** An optional link name; it becomes the link id. */
export const linkNameSchema = checkedString('a link name', (s) => checkName(s, 'link name'), {
  description:
    'Link name (the link id): 1-32 letters, digits, "_" or "-". Defaults to "<A>--<B>" from the endpoints.',
  pattern: NAME_PATTERN,
});

/** An interface (port) name, at most 15 characters (IFNAMSIZ). */
export const portNameSchema = checkedString('an interface name', (s) => checkPortName(s), {
  description:
    'Interface name: 1-15 letters, digits, "_", "." or "-" (Linux IFNAMSIZ); not a name Linux reserves (".", "..", "lo", "all", "default", tunnel fallback devices such as "sit0") nor one starting with "nw" (the interfaces netweave creates).',
  pattern: PORT_NAME_PATTERN,
});

/** An environment variable name. */
export const envNameSchema = checkedString('a variable name', checkEnvName, {
  description: 'Environment variable name.',
  pattern: ENV_NAME_PATTERN,
});

/** One link endpoint: "node:port", or the bare name of a switch. */
export const endpointSchema = checkedString(
  'an endpoint "node:port" or a switch name',
  (s) => {
    const parsed = checkEndpoint(s);
    return parsed.ok ? undefined : parsed.reason;
  },
  {
    description: 'Link endpoint: "node:port", or the bare name of a switch node.',
    pattern: `^[A-Za-z0-9][A-Za-z0-9_-]{0,31}(:${RESERVED_PORT_LOOKAHEAD}[A-Za-z0-9_.-]{1,15})?$`,
  },
);

const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4_PATTERN = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}`;
const EXAMPLE: Record<IpFamily, string> = { 4: '192.0.2.1/24', 6: '2001:db8::1/64' };

/** An interface address with prefix length in one family, e.g. 192.0.2.1/24. */
export function cidrSchema(family: IpFamily): z.ZodString {
  const name = family === 4 ? 'IPv4' : 'IPv6';
  return checkedString(
    `an ${name} address with prefix length, e.g. ${EXAMPLE[family]}`,
    (s) => {
      const parsed = parseCidr(s, family);
      if (parsed.ok) return undefined;
      return `${JSON.stringify(s)} ${parsed.reason}; write an ${name} address with its prefix length, e.g. ${EXAMPLE[family]}`;
    },
    family === 4
      ? {
          description: 'IPv4 address with prefix length.',
          pattern: `^${IPV4_PATTERN}/(3[0-2]|[12]?[0-9])$`,
        }
      : {
          description: 'IPv6 address with prefix length.',
          pattern: '^[0-9A-Fa-f:.]+/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$',
        },
  );
}

/** One address or a list of addresses of one family. */
export function addressListSchema(family: IpFamily) {
  const name = family === 4 ? 'IPv4' : 'IPv6';
  const item = cidrSchema(family);
  return z
    .union([item, z.array(item, { error: expected(`a list of ${name} addresses`) })], {
      error: expected(
        `an ${name} address with prefix length (e.g. ${EXAMPLE[family]}) or a list of them`,
      ),
    })
    .meta({ description: `${name} addresses of the interface, each with its prefix length.` });
}

/** An IP address without prefix (a gateway). */
export const ipSchema = checkedString(
  'an IP address, e.g. 192.0.2.254',
  (s) => {
    if (s.includes('/')) {
      return `${JSON.stringify(s)} has a prefix length; a gateway is a plain address, e.g. 192.0.2.254`;
    }
    const parsed = parseIp(s);
    return parsed.ok
      ? undefined
      : `${JSON.stringify(s)} ${parsed.reason}; write an IP address, e.g. 192.0.2.254 or 2001:db8::fe`;
  },
  { description: 'IPv4 or IPv6 address without prefix length.' },
);

/** A route destination: "default" or a network with prefix length. */
export const routeDestinationSchema = checkedString(
  'a destination: default or a network such as 198.51.100.0/24',
  (s) => {
    if (s === 'default') return undefined;
    const parsed = parseCidr(s);
    return parsed.ok
      ? undefined
      : `${JSON.stringify(s)} ${parsed.reason}; write "default" or a network with prefix length, e.g. 198.51.100.0/24`;
  },
  { description: '"default", or an IPv4 or IPv6 network with prefix length.' },
);

/** A unicast MAC address, six colon-separated pairs of hex digits. */
export const macSchema = checkedString(
  'a MAC address, e.g. 00:00:5e:00:53:01',
  (s) => {
    const parsed = parseMac(s);
    return parsed.ok
      ? undefined
      : `${JSON.stringify(s)} ${parsed.reason}; write a unicast MAC address, e.g. 00:00:5e:00:53:01`;
  },
  {
    description: 'Unicast MAC address, e.g. 00:00:5e:00:53:01.',
    pattern: '^[0-9A-Fa-f][02468ACEace](:[0-9A-Fa-f]{2}){5}$',
  },
);

/** A whole number in [min, max]; `what` names it in the message, e.g. "MTU". */
export function intRange(what: string, min: number, max: number, description: string): z.ZodNumber {
  const message = (issue: z.core.$ZodRawIssue): string =>
    issue.input === undefined
      ? `required key is missing; add ${what}, a whole number from ${min} to ${max}`
      : `${what} must be a whole number from ${min} to ${max}, got ${describeValue(issue.input)}`;
  return z
    .int({ error: message })
    .min(min, { error: message })
    .max(max, { error: message })
    .meta({ description });
}

/** A link or interface MTU in bytes. */
export const mtuSchema = intRange(
  'MTU',
  68,
  65535,
  'MTU in bytes (68-65535; IPv4 needs at least 68).',
);

/**
 * One of a fixed set of strings; `noun` names the set in the message, e.g. "network mode"
 * ("valid network modes are ..."), with `plural` when adding "s" is wrong.
 */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  noun: string,
  description: string,
  plural = `${noun}s`,
) {
  return z
    .enum(values, {
      error: (issue) =>
        issue.input === undefined
          ? `required key is missing; add one of ${listChoices(values)}`
          : `unknown ${noun} ${describeValue(issue.input)}; valid ${plural} are ${listChoices(values)}`,
    })
    .meta({ description });
}

const ARGV_EXAMPLE = '[ip, link, set, eth0, up]';

/** A command as an argv array; commands never go through a shell. */
export const argvSchema = z
  .array(z.string({ error: expected('a string (quote numbers and booleans)') }), {
    error: expected(
      `a command as a list of arguments, e.g. ${ARGV_EXAMPLE} (commands never run through a shell)`,
    ),
  })
  .min(1, { error: `the command is empty; give at least the program, e.g. ${ARGV_EXAMPLE}` })
  .meta({ description: 'A command as a list of arguments; it is run without a shell.' });

/** Text form of a duration: a number with unit ms, s or m. */
const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m)$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const DURATION_HELP = 'a duration such as 500ms, 30s or 2m, or a number of seconds';

/** Converts a duration as written ("500ms", "30s", "2m" or a number of seconds) to seconds. */
export function durationSeconds(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const m = /^([0-9.]+)(ms|s|m)$/.exec(duration);
  const value = Number(m?.[1] ?? NaN);
  const unit = m?.[2];
  return unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : value;
}

/**
 * A duration, written as "500ms", "30s", "2m" or a positive number of seconds; validated
 * values are numbers of seconds.
 */
export const durationSchema = z
  .union(
    [
      z.number().positive({ error: `a duration must be positive; write ${DURATION_HELP}` }),
      z.string().regex(DURATION_RE, {
        error: (issue) => `${describeValue(issue.input)} is not ${DURATION_HELP}`,
      }),
    ],
    { error: expected(DURATION_HELP) },
  )
  .meta({ description: 'Duration: "500ms", "30s", "2m", or a number of seconds.' })
  .transform(durationSeconds);

/** A JavaScript regular expression (matched against console output). */
export const regexSchema = checkedString(
  'a regular expression',
  (s) => {
    try {
      new RegExp(s);
      return undefined;
    } catch (err) {
      // V8's message repeats the pattern as written, newlines included.
      const detail = oneLine(err instanceof Error ? err.message : String(err));
      return `${JSON.stringify(s)} is not a valid regular expression (${detail}); fix or quote it`;
    }
  },
  { description: 'JavaScript regular expression matched against each console line.' },
);

/**
 * The `ready` setting every process-backed kind shares: a console pattern and a timeout.
 * `description` says what the kind's default is.
 */
export function readySchema(description: string) {
  return z
    .strictObject(
      {
        pattern: regexSchema.optional(),
        timeout: durationSchema
          .optional()
          .meta({ description: 'How long to wait for the pattern (seconds, or "30s", "2m").' }),
      },
      { error: expected('a map with pattern and timeout') },
    )
    .optional()
    .meta({ description });
}

/** The schemas of a list of kinds, as a tuple (for a discriminated union). */
type SchemasOf<T extends readonly { schema: unknown }[]> = {
  -readonly [I in keyof T]: T[I]['schema'];
};

/**
 * The schemas of `kinds` as one union discriminated by `kind:`, whose errors are one sentence:
 * `notAMap` when the value is not a map, `badKind` (given what `kind:` was) when no kind fits.
 */
export function kindUnion<
  const T extends readonly [
    { schema: z.core.$ZodTypeDiscriminable },
    ...{ schema: z.core.$ZodTypeDiscriminable }[],
  ],
>(
  kinds: T,
  notAMap: (input: unknown) => string,
  badKind: (kind: unknown) => string,
): z.ZodDiscriminatedUnion<SchemasOf<T>> {
  const schemas = kinds.map((k) => k.schema) as unknown as SchemasOf<T>;
  return z.discriminatedUnion('kind', schemas, {
    error: (issue: z.core.$ZodRawIssue) => {
      if (issue.code === 'invalid_type') return notAMap(issue.input);
      if (issue.code !== 'invalid_union') return undefined;
      const input: unknown = issue.input;
      return badKind(
        typeof input === 'object' && input !== null
          ? (input as { kind?: unknown }).kind
          : undefined,
      );
    },
  });
}
