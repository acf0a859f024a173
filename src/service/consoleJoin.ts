// Joining a console's scrollback with the live output that arrived while it was fetched.

/**
 * The number of leading characters of `live` already contained at the end of `scrollback`:
 * the longest prefix of `live` that is a suffix of `scrollback`.
 */
export function scrollbackOverlap(scrollback: string, live: string): number {
  for (let m = Math.min(scrollback.length, live.length); m > 0; m--) {
    if (scrollback.endsWith(live.slice(0, m))) return m;
  }
  return 0;
}
