// MAC addresses of QEMU NICs: distinct per NIC, deterministic per lab. QEMU gives every NIC
// 52:54:00:12:34:56 unless told otherwise, so two guests on one segment would collide.
import { formatMac, parseMac } from '../../../../shared/topology/address.js';
import { findNodeKindFacts } from '../../../../shared/topology/kinds/facts.js';
import type { Topology } from '../../../../shared/topology/schema.js';

/** The documentation MAC block Zephyr's samples use (RFC 7042): 00:00:5e:00:53:00-ff. */
export const MAC_BLOCK_PREFIX = '00:00:5e:00:53';
/**
 * Addresses handed out: :00 to :fe. :ff is the host side of Zephyr's address plan
 * (ZEPHYR-NETWORKING.md), so it is never given to a guest.
 */
export const MAC_POOL_SIZE = 0xff;

/**
 * Assigns a MAC to every qemu NIC of the lab that the file leaves without one, in node order
 * then NIC order, skipping every MAC the file sets anywhere. Returns "node:port" -> MAC, or a
 * one-sentence problem when the block is exhausted.
 */
export function allocateMacs(topology: Topology): Map<string, string> | string {
  const taken = new Set<string>();
  for (const spec of Object.values(topology.nodes)) {
    for (const a of findNodeKindFacts(spec.kind)?.addresses?.(spec) ?? []) {
      if (a.type !== 'mac') continue;
      const mac = parseMac(a.value);
      if (mac.ok) taken.add(formatMac(mac.value));
    }
  }
  const out = new Map<string, string>();
  let next = 0;
  for (const [node, spec] of Object.entries(topology.nodes)) {
    if (spec.kind !== 'qemu') continue;
    for (const [port, nic] of Object.entries(spec.nics ?? {})) {
      if (nic.mac !== undefined) {
        const mac = parseMac(nic.mac);
        out.set(`${node}:${port}`, mac.ok ? formatMac(mac.value) : nic.mac);
        continue;
      }
      let mac: string | undefined;
      while (next < MAC_POOL_SIZE) {
        const candidate = `${MAC_BLOCK_PREFIX}:${next.toString(16).padStart(2, '0')}`;
        next++;
        if (!taken.has(candidate)) {
          mac = candidate;
          break;
        }
      }
      if (mac === undefined) {
        return `the lab has more QEMU NICs than the ${MAC_POOL_SIZE} addresses of ${MAC_BLOCK_PREFIX}:00-fe; set mac: on some NICs`;
      }
      out.set(`${node}:${port}`, mac);
    }
  }
  return out;
}
