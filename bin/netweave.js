#!/bin/sh
":" //; [ -z "${NODE_EXTRA_CA_CERTS+set}" ] || { NETWEAVE_DEFERRED_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export NETWEAVE_DEFERRED_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; }; exec node "$0" "$@"
// The two lines above are for sh, which runs this file when it is started as a program
// (`./bin/netweave.js`, `netweave` from npm's bin link); Node skips the first and reads the
// second as a string and a comment. sh starts Node on this same file without
// NODE_EXTRA_CA_CERTS (kept under NETWEAVE_DEFERRED_NODE_EXTRA_CA_CERTS and put back below):
// with it set, Node reads and parses the certificate file before any code runs, about 40 ms of
// every command on the machines we measured, and the CLI makes no TLS connection. sh stops
// reading at `exec`. `node bin/netweave.js` works as well, without that saving.
//
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
// The user's environment as it was, for what the CLI starts (the engine defers the variable again).
const DEFERRED = 'NETWEAVE_DEFERRED_NODE_EXTRA_CA_CERTS';
if (process.env[DEFERRED] !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env[DEFERRED];
  delete process.env[DEFERRED];
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
