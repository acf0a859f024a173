// Bundles the two processes every `netweave up` starts, the CLI (dist/cli/main.js) and the lab
// engine (dist/engine/daemon.js), each into one file in place of tsc's output.
//
// Why: both processes are on the critical path of a lab's start, and Node spends much of their
// start-up resolving, reading and compiling a few hundred ES modules (ours, zod's, yaml's):
// about 200 ms per process unbundled against about 110 ms as one file on this machine kind, on
// top of the 100 ms Node itself needs (see `npm run bench`, zephyrStart). Everything else in
// dist/ stays as tsc wrote it.
//
// Each bundled module keeps its own location: `import.meta.url` in a module becomes the URL of
// the file tsc emitted for it (relative to the bundle, so a moved or unpacked install still
// works), so `new URL('../../package.json', import.meta.url)` means what it meant before.
// zod's error messages in other languages (a third of the bundle) are left out: netweave
// speaks English and only uses zod's default locale, `en`. Native addons (node-pty,
// @netweave/tap, serialport) and ws (optional native helpers; loaded by `serve` only) stay
// ordinary imports from node_modules.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(root, 'dist');
const ENTRIES = ['cli/main.js', 'engine/daemon.js'];
const EXTERNAL = ['node-pty', '@netweave/tap', 'serialport', 'ws'];
/** Marks a bundle so that running this script again does not bundle a bundle. */
const MARK = '// netweave: bundled by scripts/bundle.mjs';

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
        const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
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

for (const entry of ENTRIES) {
  const file = resolve(dist, entry);
  const text = await readFile(file, 'utf8');
  if (text.startsWith(MARK)) continue;
  await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    // CommonJS packages inside an ES module bundle call require() for Node built-ins.
    banner: {
      js: `${MARK}\nimport { createRequire as __nwRequire } from 'node:module';\nconst require = __nwRequire(import.meta.url);`,
    },
    plugins: [ownLocation(file), zodEnglishOnly],
  });
}
