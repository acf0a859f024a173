#!/usr/bin/env node
// Entry point of the `netweave` command: the compiled CLI lives in dist/ (built by `npm run build`,
// which `npm ci` and `npm install` run through the prepare script): the bundle's stub
// dist/cli/main.cjs (scripts/bundle.mjs), else tsc's dist/cli/main.js.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const bundled = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('netweave is not built yet: run `npm run build` in the netweave folder.\n');
  process.exit(1);
}
// `up`: start the lab's engine process now, while the CLI loads (see src/engine/warmEngine.ts).
const args = process.argv.slice(2);
if (args[0] === 'up') {
  try {
    const warm = await import(
      fileURLToPath(new URL('../dist/engine/warmEngine.js', import.meta.url))
    );
    warm.startWarmEngine(args.slice(1));
  } catch {
    // the launch starts the engine itself
  }
}
if (existsSync(bundled)) require(bundled);
else await import(main);
