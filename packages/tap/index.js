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

/**
 * The calling thread enters the network namespace at `netnsPath`; returns a handle for
 * leaveNetns. Processes spawned in between start in that namespace.
 */
export const enterNetns = native.enterNetns;

/** Returns the calling thread to the namespace enterNetns left (fatal if it cannot). */
export const leaveNetns = native.leaveNetns;

/** A new network namespace with loopback up, bind-mounted on the existing file `netnsPath`. */
export const createNetns = native.createNetns;

/** Sets interface `name` up, inside the namespace at `netnsPath` if given. */
export const linkUp = native.linkUp;

/** Creates the named pipe `path` with permission bits `mode` (default 0o600). */
export const mkfifo = native.mkfifo;

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
