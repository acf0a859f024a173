// The Chromium the UI benchmark and the e2e tests drive through playwright-core: the system's,
// never a downloaded browser.

/** The Chromium binary (Debian's package; /usr/bin/chromium is a wrapper script). */
export const CHROMIUM = process.env['NETWEAVE_CHROMIUM'] ?? '/usr/lib/chromium/chromium';

/** Flags for a quiet, network-free Chromium in a container (DEVELOPERS.md). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
