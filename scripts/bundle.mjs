// Bundles the two processes every `netweave up` starts, the CLI (dist/cli/main.js) and the lab
// engine (dist/engine/daemon.js), each into one CommonJS file beside tsc's output, with a V8
// code cache and a small entry stub: dist/cli/main.cjs and dist/engine/daemon.cjs.
//
// Why: both processes are on the critical path of a lab's start, and Node spends much of their
// start-up resolving, reading and compiling a few hundred ES modules (ours, zod's, yaml's):
// about 200 ms per process unbundled against about 75 ms as one ES module on this machine kind,
// and about 15 ms as one CommonJS script compiled from its code cache (loadBundle.cjs says how),
// on top of the 20 to 40 ms Node itself needs (see `npm run bench`, zephyrStart). tsc's output
// stays as it was: bin/netweave.js falls back to dist/cli/main.js when there is no bundle.
//
// Each bundled module keeps its own location: `import.meta.url` in a module becomes the URL of
// the file tsc emitted for it (relative to the bundle, so a moved or unpacked install still
// works), so `new URL('../../package.json', import.meta.url)` means what it meant before.
// zod's error messages in other languages (a third of the bundle) are left out: netweave
// speaks English and only uses zod's default locale, `en`. Native addons (node-pty,
// @netweave/tap, serialport) and ws (optional native helpers; loaded by `serve` only) stay
// ordinary requires from node_modules.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(root, 'dist');
const ENTRIES = ['cli/main.js', 'engine/daemon.js'];
/** Arguments of each bundle's first run (see below): nothing is started or changed. */
const FIRST_RUN_ARGS = {
  'cli/main.js': ['validate', resolve(root, 'examples/two-hosts.yaml')],
  'engine/daemon.js': ['--first-run'],
};
const EXTERNAL = ['node-pty', '@netweave/tap', 'serialport', 'ws'];
/** First line of every file this script writes. */
const MARK = '// netweave: written by scripts/bundle.mjs';
/** The bundle's own URL, which `import.meta.url` of each bundled module is relative to. */
const BUNDLE_URL = '__nwBundleUrl';

/** Rewrites `import.meta.url` in dist/ modules to their own file's URL, relative to `out`. */
function ownLocation(out) {
  return {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.js$/, namespace: 'file' }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!args.path.startsWith(`${dist}/`) || !text.includes('import.meta.url')) {
          return { contents: text, loader: 'js' };
        }
        const rel = relative(dirname(out), args.path).split('\\').join('/');
        const own = `new URL(${JSON.stringify(rel)}, ${BUNDLE_URL}).href`;
        return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
      });
    },
  };
}

/** zod's `locales` namespace holding `en` alone (the locale zod configures itself with). */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: resolve(dirname(args.importer), '../locales'), namespace: 'zod-en' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: args.path,
      loader: 'js',
    }));
  },
};

/**
 * Packages an entry's start must not load: the lab engine deploys a topology the CLI or the app
 * validated, and building zod and the topology schemas (with the YAML readers) was about 45 ms
 * of every engine start on this machine kind. The engine reaches them only through import()
 * (the params checks of its socket, a topology file it must read itself), which esbuild turns
 * into modules initialized on first use.
 */
const NOT_AT_START = { 'engine/daemon.js': /^node_modules\/(zod|yaml|js-yaml)\// };

/** The chain of static imports from `entry` to the first input matching `banned`, if any. */
function startChain(metafile, entry, banned) {
  const from = new Map([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const at = queue.shift();
    for (const i of metafile.inputs[at]?.imports ?? []) {
      if (i.kind === 'dynamic-import' || from.has(i.path)) continue;
      from.set(i.path, at);
      if (banned.test(i.path)) {
        const chain = [i.path];
        for (let p = at; p !== undefined; p = from.get(p)) chain.unshift(p);
        return chain;
      }
      queue.push(i.path);
    }
  }
  return undefined;
}

/** Bundles dist/`entry` into one CommonJS file `out`. */
async function bundle(entry, out) {
  const { metafile } = await build({
    entryPoints: [resolve(dist, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    // import() of an external becomes require(): a script run through vm.Script (loadBundle.cjs)
    // has no loader for dynamic imports, and the external packages all offer CommonJS.
    supported: { 'dynamic-import': false },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: {
      js: `${MARK}\nconst ${BUNDLE_URL} = require('node:url').pathToFileURL(__filename).href;`,
    },
    plugins: [ownLocation(out), zodEnglishOnly],
    metafile: true,
  });
  const banned = NOT_AT_START[entry];
  const chain = banned && startChain(metafile, `dist/${entry}`, banned);
  if (chain) {
    throw new Error(
      `bundle.mjs: dist/${entry} loads ${chain.at(-1)} at start, through ${chain.join(' -> ')}; import what it needs from a module without it (e.g. the kinds' *.facts.ts), or load it with import() where it is used`,
    );
  }
  return readFile(out, 'utf8');
}

await copyFile(resolve(root, 'scripts/loadBundle.cjs'), resolve(dist, 'loadBundle.cjs'));
for (const entry of ENTRIES) {
  const stem = resolve(dist, entry).replace(/\.js$/, '');
  const out = `${stem}.bundle.cjs`;
  const source = await bundle(entry, out);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  // Caches of earlier builds go; this build's is written by a first run of the stub below.
  for (const f of await readdir(dirname(out))) {
    if (f.startsWith(`${basename(out)}.`) && f.endsWith('.v8cache'))
      await rm(resolve(dirname(out), f));
  }
  const loader = relative(dirname(stem), resolve(dist, 'loadBundle.cjs')).split('\\').join('/');
  await writeFile(
    `${stem}.cjs`,
    [
      MARK,
      `'use strict';`,
      `require('${loader.startsWith('.') ? loader : `./${loader}`}').loadBundle(`,
      `  require('node:path').join(__dirname, '${basename(out)}'),`,
      `  '${hash}',`,
      `);`,
      '',
    ].join('\n'),
  );
  // The first run: loadBundle.cjs finds no cache and writes one as the process exits, holding
  // every function the run compiled (more than compiling alone would: about 15 ms less of each
  // later start). The CLI validates an example (the start of every `up`); the engine loads
  // what it otherwise loads on first use, and exits.
  spawnSync(process.execPath, [`${stem}.cjs`, ...FIRST_RUN_ARGS[entry]], { stdio: 'ignore' });
  if (!(await readdir(dirname(out))).some((f) => f.startsWith(`${basename(out)}.${hash}.`)))
    throw new Error(`bundle.mjs: the first run of ${stem}.cjs wrote no code cache`);
}
// What bin/netweave.js runs before the CLI for `up` (it starts the lab engine): one small
// CommonJS file, so that the engine starts before Node has loaded anything else.
await bundle('engine/warmEngine.js', resolve(dist, 'engine/warmEngine.cjs'));
