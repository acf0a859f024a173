// Hashes for names, seeds and cache keys. node:crypto is loaded on first use, not with the lab
// engine: requiring it compiles some fifteen of Node's internal modules, about 6 ms of every
// engine start on this machine kind, and a lab that needs no long name hashed never uses it.
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

let crypto: typeof Crypto | undefined;

/** node:crypto, loaded on first use. */
export function nodeCrypto(): typeof Crypto {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto;
  return crypto;
}

/** The SHA-256 of `text` (UTF-8), in hex. */
export function sha256Hex(text: string): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}

/** FNV-1a, 32 bits, of `text` (UTF-8): stable and cheap, for seeds and cache keys. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
