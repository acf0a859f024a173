// Seeds of native_sim nodes. A build with a random MAC (CONFIG_ETH_NATIVE_TAP_RANDOM_MAC, formerly
// _POSIX_) draws it from its entropy source, which -seed seeds; with the default seed every
// instance draws the same MAC, IPv6 DAD fails and the instances cannot talk (measured on real
// 3.5 and 4.3 builds). So every native-sim node without a seed of its own gets one: derived
// from its name (the same lab gets the same seeds every run, so runs replay),
// distinct from every other seed of the lab.
import { macSeed } from '../facts.js';
import { fnv1a } from '../../../../engine/hash.js';
import type { Topology } from '../../../../shared/topology/schema.js';

/**
 * Seeds are kept below 2^31: native_sim parses -seed as a 32-bit integer, and some releases
 * read it as signed. 0 and 1 are the same seed (macSeed), so derived seeds start at 2.
 */
const SEED_SPACE = 0x7fff_fffe;
const SEED_BASE = 2;

/**
 * The seed each native-sim node in TAP mode runs with when it sets no `seed`, by node name. Deterministic; never equal to another node's seed (given or derived).
 */
export function allocateSeeds(topology: Topology): Map<string, number> {
  const taken = new Set<number>();
  const wanting: string[] = [];
  for (const [name, spec] of Object.entries(topology.nodes)) {
    if (spec.kind !== 'native-sim' || spec.sockets !== 'tap') continue;
    if (spec.seed !== undefined) taken.add(macSeed(spec.seed));
    // Also with a "mac": a build with a random MAC ignores --mac-addr and draws from the seed.
    else wanting.push(name);
  }
  const out = new Map<string, number>();
  for (const name of wanting.sort()) out.set(name, deriveSeed(name, taken));
  return out;
}

/** A seed for `node` from its name, not in `taken` (which it is added to). */
export function deriveSeed(node: string, taken: Set<number>): number {
  let seed = SEED_BASE + (fnv1a(node) % SEED_SPACE);
  while (taken.has(seed)) seed = SEED_BASE + ((seed - SEED_BASE + 1) % SEED_SPACE);
  taken.add(seed);
  return seed;
}
