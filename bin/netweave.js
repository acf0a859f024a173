#!/usr/bin/env node
// Entry point of the `netweave` command: the compiled CLI lives in dist/ (built by `npm run build`,
// which `npm ci` and `npm install` run through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('netweave is not built yet: run `npm run build` in the netweave folder.\n');
  process.exit(1);
}
await import(main);
