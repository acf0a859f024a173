// Entry point of the `netweave` command.
import { run } from './commands.js';

const code = await run(process.argv.slice(2));
// Long-running commands (console, stats --watch, capture) resolve only when they are done;
// exit explicitly so that a lingering socket or stdin handle never keeps the process alive.
process.exit(code);
