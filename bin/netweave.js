#!/usr/bin/env node
// Entry point of the `netweave` command: the compiled CLI lives in dist/ (built by `npm run build`,
// which `npm ci` and `npm install` run through the prepare script): the bundle's stub
// dist/cli/main.cjs (scripts/bundle.mjs), else tsc's dist/cli/main.js.
//
// A CommonJS script (bin/package.json): Node starts one without setting up its ES module loader,
// about 20 ms sooner, and `up` starts its lab engine from here, before anything else loads.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = join(__dirname, '..', 'dist');
const bundled = join(dist, 'cli', 'main.cjs');
const main = join(dist, 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('netweave is not built yet: run `npm run build` in the netweave folder.\n');
  process.exit(1);
}
// `up`: start the lab's engine process now, while the CLI loads (see src/engine/warmEngine.ts).
const args = process.argv.slice(2);
const warm = join(dist, 'engine', 'warmEngine.cjs');
if (args[0] === 'up' && existsSync(warm)) {
  try {
    require(warm).startWarmEngine(args.slice(1));
  } catch {
    // the launch starts the engine itself
  }
}
if (existsSync(bundled)) require(bundled);
else void import(pathToFileURL(main).href);
