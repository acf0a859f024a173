// Loader for the native addon built by `node-gyp rebuild` (the package's install script).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function load() {
  const errors = [];
  for (const candidate of ['./build/Release/tap.node', './build/Debug/tap.node']) {
    try {
      return require(candidate);
    } catch (err) {
      errors.push(err);
    }
  }
  throw new Error(
    '@netweave/tap: the native addon is not built; run `npm rebuild @netweave/tap` ' +
      '(needs python3, make and a C compiler)',
    { cause: errors[0] },
  );
}

const native = load();

/** Creates a non-persistent TAP, optionally inside the network namespace at `netnsPath`. */
export const open = native.open;

/** Same as open(); the name reads better where `open` is ambiguous. */
export const openTap = native.open;

/** A TAP file descriptor with batched, readiness-driven reads and batched writes. */
export const TapDevice = native.TapDevice;

/** Wraps `fd` in a TapDevice and starts delivering received frames to `onFrames`. */
export function start(fd, onFrames, onError) {
  const device = new TapDevice(fd);
  try {
    device.start(onFrames, onError);
  } catch (err) {
    device.close();
    throw err;
  }
  return device;
}
