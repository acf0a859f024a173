// What the lab engine needs of a fault timeline, without zod: its actions, times and pairs.

/** What a fault does to a link. */
export const LINK_FAULT_ACTIONS = ['down', 'up', 'impair', 'clear'] as const;

/** What a fault does to a node (kill: the crash its supervisor sees). */
export const NODE_FAULT_ACTIONS = ['stop', 'start', 'reset', 'kill'] as const;

export const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/** A time in the file ("500ms", "5s", "2m") in milliseconds; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000);
}

/** A sender -> receiver pair of a radio medium's members, as written in a fault. */
export const PAIR_RE = /^([A-Za-z0-9][\w-]*)->([A-Za-z0-9][\w-]*)$/;

/** A "SENDER->RECEIVER" pair of a radio medium's members; undefined when `text` is not one. */
export function parseMemberPair(text: string): { from: string; to: string } | undefined {
  const m = PAIR_RE.exec(text);
  return m ? { from: m[1] ?? '', to: m[2] ?? '' } : undefined;
}

/** The sender and receiver of a fault's `pair:`; undefined when it has none or is not one. */
export function faultPair(f: {
  pair?: string | undefined;
}): { from: string; to: string } | undefined {
  return f.pair !== undefined ? parseMemberPair(f.pair) : undefined;
}
