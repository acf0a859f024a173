// Starting a process inside a lab's network namespace without `nsenter`: the engine's main
// thread enters the namespace (setns, @netweave/tap), spawns, and returns at once. A child
// starts in the namespace of the thread that forks it, and Node's spawn and node-pty both fork
// from the calling thread, synchronously. One process less per command: nsenter's exec and
// start cost about 4 ms, a lab's start runs a dozen such commands.
import { createRequire } from 'node:module';
import type * as Tap from '@netweave/tap';

type NetnsAddon = Pick<
  typeof Tap,
  'enterNetns' | 'leaveNetns' | 'createNetns' | 'linkUp' | 'mkfifo' | 'ifIndex' | 'rtnetlink'
>;

let addon: NetnsAddon | undefined;

/**
 * The namespace and FIFO calls of @netweave/tap, loaded on first use: the CLI imports modules
 * that use them (cleanup, the launcher) and should not load a native addon it rarely needs.
 */
export function netnsCalls(): NetnsAddon {
  addon ??= createRequire(import.meta.url)('@netweave/tap') as NetnsAddon;
  return addon;
}

/**
 * Calls `spawn` (which must start its process synchronously and not await) with the calling
 * thread inside the network namespace at `netns` (a file such as /run/netns/NAME), or as it is
 * when `netns` is undefined. Throws when the namespace cannot be entered (it is gone).
 */
export function spawnInNetns<T>(netns: string | undefined, spawn: () => T): T {
  if (netns === undefined) return spawn();
  const calls = netnsCalls();
  const back = calls.enterNetns(netns);
  try {
    return spawn();
  } finally {
    calls.leaveNetns(back);
  }
}
