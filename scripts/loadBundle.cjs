// Loads one of the bundles scripts/bundle.mjs writes (the CLI, the lab engine) with V8's code
// cache, copied by bundle.mjs to dist/loadBundle.cjs.
//
// Why: both processes are on the critical path of `netweave up`, and compiling a 1 MB bundle
// costs about 30 ms of each start on this machine kind, against about 9 ms with the cache
// (measured with performance.now() around the compile). Node 20 has no compile cache of its own
// for user code (module.enableCompileCache came in Node 22), so the bundle is a CommonJS script
// compiled here through vm.Script with `cachedData`.
//
// The cache file's name carries a hash of the bundle's text, written into the entry stub by
// bundle.mjs: V8 checks a cache against its own version and flags and the source's length, not
// its content, so a rebuilt bundle must never meet an older cache. A cache V8 rejects (another
// Node or Electron, other V8 flags) only costs the compile; a fresh one is then written, best
// effort, when the process exits (the install folder may be read-only).
'use strict';
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/**
 * Runs the CommonJS bundle `file` as the main program, with the code cache named by `hash`.
 * @param {string} file absolute path of the bundle
 * @param {string} hash the bundle's content hash (bundle.mjs)
 */
function loadBundle(file, hash) {
  const source = readFileSync(file, 'utf8');
  // Per V8 too: the Electron app runs the engine under Electron's V8, the CLI under Node's.
  const cacheFile = `${file}.${hash}.${process.versions.v8}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // After the run, so that the functions it compiled are in the cache too.
    process.once('exit', () => writeCache(script, cacheFile));
  }
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  mod.loaded = true;
  const compiled = script.runInThisContext();
  compiled.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
}

/** Writes the code cache next to the bundle (through a temporary name); never throws. */
function writeCache(script, cacheFile) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}

module.exports = { loadBundle };
