// Names from a topology file become parts of file names, namespace names and interface names,
// so they are held to a small safe character set.

/** Longest lab, node and link name: short enough to leave room in derived host object names. */
export const MAX_NAME_LENGTH = 32;

/** Longest interface name: Linux IFNAMSIZ (16) minus the terminating NUL. */
export const MAX_PORT_NAME_LENGTH = 15;

/** JSON Schema pattern for lab, node and link names. */
export const NAME_PATTERN = `^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_NAME_LENGTH - 1}}$`;

/** JSON Schema pattern for interface (port) names; "." and ".." are refused. */
export const PORT_NAME_PATTERN = `^(?!\\.\\.?$)[A-Za-z0-9_.-]{1,${MAX_PORT_NAME_LENGTH}}$`;

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
  return `${what} ${shown} is reserved; pick another name`;
}

/** Checks an environment variable name; returns undefined when valid, else the explanation. */
export function checkEnvName(name: string): string | undefined {
  if (ENV_RE.test(name)) return undefined;
  return `environment variable name ${JSON.stringify(name)} is not valid; use letters, digits and "_", not starting with a digit`;
}
