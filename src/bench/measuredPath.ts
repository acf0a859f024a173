// What the fabric benchmark needs from each of the paths it compares (the fabric, a kernel
// bridge): two hosts to run commands in, one of them able to run a server in the background.

/** The two hosts of every path: h1 is 192.0.2.1, h2 is 192.0.2.2. */
export type Host = 'h1' | 'h2';

/** A command running in the background. */
export interface Background {
  /** Resolves when it ended: undefined when it exited 0, else why it did not. Never rejects. */
  readonly done: Promise<string | undefined>;
  /** Kills it if it is still running. */
  stop(): void;
}

/** One path between h1 and h2. */
export interface MeasuredPath {
  /** The name the JSON gives it. */
  readonly name: string;
  /** Runs a command to completion; rejects with one sentence when it does not exit 0. */
  run(host: Host, argv: string[], timeoutMs: number): Promise<string>;
  /** Starts a command that runs until it ends by itself, is stopped, or times out. */
  start(host: Host, argv: string[], timeoutMs: number): Background;
  /** The offload settings of the path's interfaces, as `ethtool -k` read them back. */
  readonly offloads: Record<string, string>;
  /** Removes everything the path created; safe to call twice. */
  dispose(): Promise<void>;
}

/** The offloads the comparison turns off, by `ethtool -K` name and `ethtool -k` label. */
export const OFFLOADS = {
  tso: 'tcp-segmentation-offload',
  gso: 'generic-segmentation-offload',
  gro: 'generic-receive-offload',
  tx: 'tx-checksumming',
  rx: 'rx-checksumming',
} as const;

/** An `ethtool -K` name of an offload. */
export type Offload = keyof typeof OFFLOADS;

/** `ethtool -K DEV` arguments that turn every offload of OFFLOADS off. */
export const OFFLOADS_OFF_ARGS: string[] = Object.keys(OFFLOADS).flatMap((k) => [k, 'off']);

/** Reads `ethtool -k` output: each offload of OFFLOADS on (true), off (false) or not listed. */
export function parseOffloads(text: string): Record<Offload, boolean | undefined> {
  const out = {} as Record<Offload, boolean | undefined>;
  for (const [key, label] of Object.entries(OFFLOADS) as [Offload, string][]) {
    const m = new RegExp(`^${label}:\\s*(on|off)\\b`, 'm').exec(text);
    out[key] = m ? m[1] === 'on' : undefined;
  }
  return out;
}

/** "tso off, gso off, ..." for the JSON; "?" for an offload ethtool did not list. */
export function offloadSummary(state: Record<Offload, boolean | undefined>): string {
  return (Object.keys(OFFLOADS) as Offload[])
    .map((k) => `${k} ${state[k] === undefined ? '?' : state[k] ? 'on' : 'off'}`)
    .join(', ');
}

/** The offloads of OFFLOADS that are not off (unlisted ones count as not off). */
export function offloadsNotOff(state: Record<Offload, boolean | undefined>): Offload[] {
  return (Object.keys(OFFLOADS) as Offload[]).filter((k) => state[k] !== false);
}

/** Keeps the summary of `ethtool -k` output as offloads[label]; returns the offloads not off. */
export function recordOffloads(
  offloads: Record<string, string>,
  label: string,
  ethtoolK: string,
): Offload[] {
  const state = parseOffloads(ethtoolK);
  offloads[label] = offloadSummary(state);
  return offloadsNotOff(state);
}
