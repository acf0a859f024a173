// Names from a topology file become parts of file names, namespace names and interface names,
// so they are held to a small safe character set.

/** Longest lab, node and link name: short enough to leave room in derived host object names. */
export const MAX_NAME_LENGTH = 32;

/** Longest interface name: Linux IFNAMSIZ (16) minus the terminating NUL. */
export const MAX_PORT_NAME_LENGTH = 15;

/** JSON Schema pattern for lab, node and link names. */
export const NAME_PATTERN = `^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_NAME_LENGTH - 1}}$`;

/**
 * Interface names Linux keeps for itself in every network namespace, so a port of that name
 * cannot be created: "." and ".." (the kernel refuses them), "lo" (each namespace's loopback),
 * "all" and "default" (the kernel refuses them: they are the per-interface sysctl folders
 * net.ipv4.conf.all and .default), and the fallback devices a tunnel module creates in every
 * new namespace once it is loaded (ipip, sit, ip_gre, ip_vti, ip6_tunnel, ip6_gre, ip6_vti).
 */
export const RESERVED_PORT_NAMES: readonly string[] = [
  '.',
  '..',
  'lo',
  'all',
  'default',
  'tunl0',
  'sit0',
  'gre0',
  'gretap0',
  'erspan0',
  'ip_vti0',
  'ip6tnl0',
  'ip6gre0',
  'ip6_vti0',
];

/**
 * Start of the interface names netweave gives its own bridges and TAPs (inside a native-sim
 * node "nwbr0" and "nwfab0", the lab's uplink "nwout0", a switch's default "nw1a2b3-sw"...),
 * so that a port never collides with one of them.
 */
export const ENGINE_PORT_PREFIX = 'nw';

function regexQuote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The lookahead that refuses reserved interface names; placed right before a port name in a
 * pattern (PORT_NAME_PATTERN, and the port part of an endpoint pattern).
 */
export const RESERVED_PORT_LOOKAHEAD = `(?!(?:${RESERVED_PORT_NAMES.map(regexQuote).join('|')})$)(?!${ENGINE_PORT_PREFIX})`;

/** JSON Schema pattern for interface (port) names; reserved names are refused. */
export const PORT_NAME_PATTERN = `^${RESERVED_PORT_LOOKAHEAD}[A-Za-z0-9_.-]{1,${MAX_PORT_NAME_LENGTH}}$`;

/** JSON Schema pattern for environment variable names. */
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

const NAME_RE = new RegExp(NAME_PATTERN);
const PORT_RE = new RegExp(PORT_NAME_PATTERN);
const ENV_RE = new RegExp(ENV_NAME_PATTERN);

function quoteList(chars: string[]): string {
  const q = chars.map((c) => JSON.stringify(c));
  return q.length === 1
    ? (q[0] ?? '')
    : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1] ?? ''}`;
}

function badChars(name: string, allowed: RegExp): string[] {
  return [...new Set([...name].filter((c) => !allowed.test(c)))];
}

/**
 * Checks a lab, node or link name (`what` is e.g. "node name"); returns undefined when valid,
 * else the whole explanation: what is wrong and which names are allowed.
 */
export function checkName(name: string, what: string): string | undefined {
  if (NAME_RE.test(name)) return undefined;
  const rule = `use 1-${MAX_NAME_LENGTH} letters, digits, "_" or "-", starting with a letter or digit`;
  if (name === '') return `${what} is empty; ${rule}`;
  const bad = badChars(name, /[A-Za-z0-9_-]/);
  const shown = JSON.stringify(name);
  if (bad.length > 0) return `${what} ${shown} contains ${quoteList(bad)}; ${rule}`;
  if (name.length > MAX_NAME_LENGTH) {
    return `${what} ${shown} is ${name.length} characters, over the limit of ${MAX_NAME_LENGTH}; shorten it`;
  }
  return `${what} ${shown} starts with ${JSON.stringify(name[0])}; ${rule}`;
}

/** Checks an interface (port) name; returns undefined when valid, else the explanation. */
export function checkPortName(name: string, what = 'interface name'): string | undefined {
  if (PORT_RE.test(name)) return undefined;
  const rule = `use 1-${MAX_PORT_NAME_LENGTH} letters, digits, "_", "." or "-"`;
  if (name === '') return `${what} is empty; ${rule}`;
  const shown = JSON.stringify(name);
  const bad = badChars(name, /[A-Za-z0-9_.-]/);
  if (bad.length > 0) return `${what} ${shown} contains ${quoteList(bad)}; ${rule}`;
  if (name.length > MAX_PORT_NAME_LENGTH) {
    return `${what} ${shown} is ${name.length} characters, over the Linux limit of ${MAX_PORT_NAME_LENGTH} (IFNAMSIZ); shorten it`;
  }
  if (name === 'lo') {
    return `${what} ${shown} is reserved: every network namespace already has its loopback interface "lo"; pick another name, e.g. "eth0"`;
  }
  if (name === '.' || name === '..' || name === 'all' || name === 'default') {
    return `${what} ${shown} is reserved: Linux refuses it as an interface name; pick another name, e.g. "eth0"`;
  }
  if (name.startsWith(ENGINE_PORT_PREFIX)) {
    return `${what} ${shown} is reserved: names starting with "${ENGINE_PORT_PREFIX}" are for the bridges and TAPs netweave creates itself; pick another name, e.g. "eth0"`;
  }
  return `${what} ${shown} is reserved: Linux creates a tunnel device of that name in every network namespace once its module is loaded; pick another name, e.g. "eth0"`;
}

/** Checks an environment variable name; returns undefined when valid, else the explanation. */
export function checkEnvName(name: string): string | undefined {
  if (ENV_RE.test(name)) return undefined;
  return `environment variable name ${JSON.stringify(name)} is not valid; use letters, digits and "_", not starting with a digit`;
}
