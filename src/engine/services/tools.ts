// Finding the system tools the segment services use (dnsmasq, nft, iptables, slirp4netns).
import { findExecutable } from '../process/executable.js';

/**
 * Folders searched after PATH: Debian installs dnsmasq, nft and iptables in /usr/sbin, which is
 * not on an ordinary user's PATH (isolated mode runs as that user).
 */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The full path of a tool, or undefined when it is not installed. */
export async function findTool(name: string): Promise<string | undefined> {
  const path = [process.env['PATH'] ?? '', ...SBIN_DIRS].filter(Boolean).join(':');
  const found = await findExecutable(name, '/', { PATH: path });
  return found.ok ? found.path : undefined;
}
