// Capability checks for host network mode.
import { readFileSync } from 'node:fs';

/** Linux capability numbers netweave cares about. */
export const CAP = { NET_ADMIN: 12, SYS_ADMIN: 21 } as const;

/** The effective capability mask of this process. */
export function effectiveCaps(): bigint {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    return m?.[1] ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

/** True when the effective set holds the capability. */
export function hasCap(cap: number): boolean {
  return (effectiveCaps() & (1n << BigInt(cap))) !== 0n;
}

/**
 * Why host network mode cannot run here, as one sentence with the fix, or undefined when it can.
 * Host mode creates named network namespaces (a mount: CAP_SYS_ADMIN) and interfaces
 * (CAP_NET_ADMIN) in the machine's own namespaces.
 */
export function hostModeRefusal(): string | undefined {
  if (hasCap(CAP.NET_ADMIN) && hasCap(CAP.SYS_ADMIN)) return undefined;
  return (
    'network mode "host" needs CAP_NET_ADMIN and CAP_SYS_ADMIN on this machine; ' +
    'run it as root (`sudo netweave up FILE`) or use the default `network: isolated`, which needs no privileges'
  );
}
