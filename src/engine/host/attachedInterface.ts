// A kernel interface the lab did not create but borrows (a board's USB interface): what it was
// like before the lab touched it, and how to give it back exactly so. The snapshot is journaled
// before the interface is changed, so `netweave down` after a kill -9 restores it too.
import { readFileSync, writeFileSync } from 'node:fs';
import { runChecked, runCommand } from '../process/run.js';

/** One address of an interface as `ip` shows it. */
export interface SavedAddress {
  /** "192.0.2.2/24" or "2001:db8::2/64". */
  cidr: string;
  broadcast?: string;
  /** Remaining lifetimes in seconds, for addresses that are not permanent. */
  validLft?: number;
  preferredLft?: number;
}

/** What an interface was like before a lab borrowed it. */
export interface InterfaceSnapshot {
  /** Administratively up. */
  up: boolean;
  /** The bridge (or bond) it was a port of. */
  master?: string;
  /** Its addresses, except IPv6 link-local and autoconfigured ones (the kernel remakes those). */
  addresses: SavedAddress[];
  /** net.ipv6.conf.<if>.disable_ipv6 before the lab set it. */
  disableIpv6?: string;
}

/** `ip -j addr show` as far as it is read here. */
interface IpAddrJson {
  ifname?: string;
  flags?: string[];
  master?: string;
  addr_info?: {
    family?: string;
    local?: string;
    prefixlen?: number;
    scope?: string;
    broadcast?: string;
    dynamic?: boolean;
    valid_life_time?: number;
    preferred_life_time?: number;
  }[];
}

/** The lifetime `ip` shows for a permanent address. */
const FOREVER = 4294967295;

function disableIpv6Path(ifname: string): string {
  return `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
}

function readDisableIpv6(ifname: string): string | undefined {
  try {
    return readFileSync(disableIpv6Path(ifname), 'utf8').trim();
  } catch {
    return undefined; // no IPv6 on this kernel
  }
}

/** Sets net.ipv6.conf.<if>.disable_ipv6 (a kernel without IPv6 has nothing to set). */
export function writeDisableIpv6(ifname: string, value: string): void {
  try {
    writeFileSync(disableIpv6Path(ifname), value);
  } catch {
    // no IPv6 on this kernel: nothing to quiet or restore
  }
}

/** True when the interface exists in the engine's namespace. */
export async function interfacePresent(ifname: string): Promise<boolean> {
  return (await runCommand(['ip', 'link', 'show', 'dev', ifname])).exitCode === 0;
}

/** Reads what the interface is like now. */
export async function snapshotInterface(ifname: string): Promise<InterfaceSnapshot> {
  const r = await runChecked(['ip', '-j', 'addr', 'show', 'dev', ifname]);
  const [link] = JSON.parse(r.stdout) as IpAddrJson[];
  const addresses: SavedAddress[] = [];
  for (const a of link?.addr_info ?? []) {
    if (a.local === undefined || a.prefixlen === undefined) continue;
    if (a.family !== 'inet' && a.family !== 'inet6') continue;
    if (a.family === 'inet6' && (a.scope === 'link' || a.dynamic === true)) continue;
    const finite = a.valid_life_time !== undefined && a.valid_life_time !== FOREVER;
    addresses.push({
      cidr: `${a.local}/${a.prefixlen}`,
      ...(a.broadcast !== undefined ? { broadcast: a.broadcast } : {}),
      ...(finite ? { validLft: a.valid_life_time, preferredLft: a.preferred_life_time ?? 0 } : {}),
    });
  }
  const disableIpv6 = readDisableIpv6(ifname);
  return {
    up: link?.flags?.includes('UP') ?? false,
    ...(link?.master !== undefined ? { master: link.master } : {}),
    addresses,
    ...(disableIpv6 !== undefined ? { disableIpv6 } : {}),
  };
}

/**
 * Makes the machine's own IP stack silent on the interface while it is a bridge port, so every
 * frame the board exchanges crosses the fabric: no addresses, no IPv6 (no RS, no MLD).
 */
export async function quietInterface(ifname: string): Promise<void> {
  writeDisableIpv6(ifname, '1');
  await runChecked(['ip', 'addr', 'flush', 'dev', ifname]);
}

/**
 * Gives the interface back as the snapshot says: out of the lab's bridge (into its former
 * master, if that still exists), its addresses and IPv6 setting, and its up/down state.
 * Resolves false when the interface is gone (the board was unplugged): nothing to restore.
 */
export async function restoreInterface(ifname: string, snap: InterfaceSnapshot): Promise<boolean> {
  if (!(await interfacePresent(ifname))) return false;
  const formerMaster =
    snap.master !== undefined && (await interfacePresent(snap.master)) ? snap.master : undefined;
  await runChecked(
    formerMaster !== undefined
      ? ['ip', 'link', 'set', 'dev', ifname, 'master', formerMaster]
      : ['ip', 'link', 'set', 'dev', ifname, 'nomaster'],
  );
  if (snap.disableIpv6 !== undefined) writeDisableIpv6(ifname, snap.disableIpv6);
  for (const a of snap.addresses) {
    await runChecked([
      'ip',
      'addr',
      'replace',
      a.cidr,
      ...(a.broadcast !== undefined ? ['broadcast', a.broadcast] : []),
      'dev',
      ifname,
      ...(a.validLft !== undefined
        ? ['valid_lft', String(a.validLft), 'preferred_lft', String(a.preferredLft ?? 0)]
        : []),
    ]);
  }
  await runChecked(['ip', 'link', 'set', 'dev', ifname, snap.up ? 'up' : 'down']);
  return true;
}
