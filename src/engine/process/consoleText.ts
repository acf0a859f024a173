// Turning raw console output into readable lines for failure reports.

/** How many lines an ExitInfo carries: enough to show a panic or an assertion with context. */
export const EXIT_LAST_LINES = 20;

/** How many lines a one-sentence failure reason quotes: the rest is in ExitInfo.lastLines. */
export const REASON_LAST_LINES = 5;

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), two-byte escapes (ESC + one char), and C0
// controls other than tab, newline and carriage return.
const ANSI_PATTERN =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** Removes ANSI escape sequences and control characters (keeps tab, newline, carriage return). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/** The last `count` non-empty lines of console output, escape sequences stripped, right-trimmed. */
export function lastLines(text: string, count: number = EXIT_LAST_LINES): string[] {
  const lines: string[] = [];
  for (const line of stripAnsi(text).split(/\r\n|\n|\r/)) {
    const trimmed = line.trimEnd();
    if (trimmed.length > 0) lines.push(trimmed);
  }
  return lines.slice(-count);
}

/** Formats lines for the end of a one-sentence reason: "a | b | c", or "(no output)". */
export function quoteLines(lines: readonly string[], count: number = REASON_LAST_LINES): string {
  const tail = lines.slice(-count);
  return tail.length === 0 ? '(no output)' : tail.join(' | ');
}

/** Milliseconds as seconds for messages: 30000 -> "30 s", 500 -> "0.5 s". */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
