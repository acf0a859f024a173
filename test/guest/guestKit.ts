// Builds (once, cached) the test guest of build-guest.sh and returns its kernel and initramfs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The test guest's files. */
export interface GuestKit {
  kernel: string;
  initrd: string;
}

/** The kit's build script. */
export const BUILD_GUEST = join(import.meta.dirname, 'build-guest.sh');

/** Building takes about 1 s; 2 minutes covers a cold, loaded machine. */
const BUILD_TIMEOUT_MS = 120_000;

let cached: Promise<GuestKit | string> | undefined;

/** The guest kit, or the one-sentence reason it cannot be built (e.g. the apt-get command). */
export function guestKit(): Promise<GuestKit | string> {
  cached ??= new Promise((resolve) => {
    execFile('bash', [BUILD_GUEST], { timeout: BUILD_TIMEOUT_MS }, (err, stdout, stderr) => {
      const kernel = /^KERNEL=(.*)$/m.exec(stdout)?.[1];
      const initrd = /^INITRD=(.*)$/m.exec(stdout)?.[1];
      if (err || kernel === undefined || initrd === undefined) {
        resolve(stderr.trim() || (err?.message ?? 'build-guest.sh printed no paths'));
        return;
      }
      resolve({ kernel, initrd });
    });
  });
  return cached;
}

/** The guest kit, for tests that need it: throws the reason when it cannot be built. */
export async function requireGuestKit(): Promise<GuestKit> {
  const k = await guestKit();
  if (typeof k === 'string') throw new Error(`the test guest cannot be built: ${k}`);
  return k;
}
