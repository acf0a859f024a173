// Output that must reach a pipe before the CLI exits: process.exit() drops whatever a piped
// stdout still holds (Node writes to pipes asynchronously), so `netweave console NODE </dev/null
// | less` would lose all but the first 64 KiB of the scrollback.

/** Resolves once everything written to the streams so far has left them (or they failed). */
export function flushed(streams: readonly NodeJS.WritableStream[]): Promise<void> {
  return Promise.all(
    streams.map(
      (s) =>
        new Promise<void>((resolve) => {
          // Writes complete in order: the callback of an empty write runs after every earlier one.
          // A destroyed stream calls back with an error; there is nothing left to wait for then.
          if (!s.writable) resolve();
          else s.write('', () => resolve());
        }),
    ),
  ).then(() => undefined);
}
