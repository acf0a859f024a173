// Entry point of the `netweave` command.
import { run } from './commands.js';
import { discardWarmEngine } from '../engine/warmEngine.js';
import { flushed } from './flush.js';

// A reader that went away (`netweave stats --watch | head`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
}

/** No top-level await: this module is also bundled as a CommonJS script (scripts/bundle.mjs). */
async function main(): Promise<void> {
  const code = await run(process.argv.slice(2));
  // A warm engine `up` did not hand a lab to (invalid file, lab busy, ...) goes with the command.
  await discardWarmEngine();
  // Long-running commands (console, stats --watch, capture) resolve only when they are done;
  // exit explicitly so that a lingering socket or stdin handle never keeps the process alive,
  // once the output has reached the reader.
  await flushed([process.stdout, process.stderr]);
  process.exit(code);
}

void main();
