// Loader for the native addon built by `node-gyp rebuild` (the package's install script).
//
// CommonJS: the lab engine is one CommonJS bundle that requires this package, and requiring
// an ES module from CommonJS sets up Node's ES module loader first (a few milliseconds of every
// lab's start).
'use strict';

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
exports.open = native.open;

/** Same as open(); the name reads better where `open` is ambiguous. */
exports.openTap = native.open;

/**
 * The calling thread enters the network namespace at `netnsPath`; returns a handle for
 * leaveNetns. Processes spawned in between start in that namespace.
 */
exports.enterNetns = native.enterNetns;

/** Returns the calling thread to the namespace enterNetns left (fatal if it cannot). */
exports.leaveNetns = native.leaveNetns;

/** A new network namespace with loopback up, bind-mounted on the existing file `netnsPath`. */
exports.createNetns = native.createNetns;

/** Sets interface `name` up, inside the namespace at `netnsPath` if given. */
exports.linkUp = native.linkUp;

/** The index of interface `name`, inside the namespace at `netnsPath` if given. */
exports.ifIndex = native.ifIndex;

/** Sends netlink route requests in order, in the namespace at `netnsPath` if given. */
exports.rtnetlink = native.rtnetlink;

/** A non-blocking CLOCK_MONOTONIC timerfd, disarmed; start a TapDevice on it to hear expiries. */
exports.timerfd = native.timerfd;

/** Arms the timerfd to expire once, `delayUs` microseconds from now; negative disarms it. */
exports.setTimerfd = native.setTimerfd;

/** Creates the named pipe `path` with permission bits `mode` (default 0o600). */
exports.mkfifo = native.mkfifo;

/** Frames from a TAP with offloads longer than this may be super-frames. */
exports.superFrameThreshold = native.superFrameThreshold;

/** The wire frames of a super-frame from a TAP with offloads, given its virtio-net header. */
exports.segment = native.segment;

/** A TAP file descriptor with batched, readiness-driven reads and batched writes. */
exports.TapDevice = native.TapDevice;

/** Wraps `fd` in a TapDevice and starts delivering received frames to `onFrames`. */
exports.start = function start(fd, onFrames, onError) {
  const device = new exports.TapDevice(fd);
  try {
    device.start(onFrames, onError);
  } catch (err) {
    device.close();
    throw err;
  }
  return device;
};
