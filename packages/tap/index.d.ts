/// <reference types="node" />

/** A freshly created TAP: its file descriptor (non-blocking, close-on-exec) and kernel name. */
export interface TapHandle {
  /** File descriptor of /dev/net/tun bound to the interface; closing it deletes the interface. */
  readonly fd: number;
  /** The interface name the kernel assigned (equal to the requested one unless it had `%d`). */
  readonly name: string;
  /** True when the TAP was opened with offloads (a virtio-net header with every frame). */
  readonly offloads: boolean;
}

/** An Error from a failed system call, shaped like Node's own system errors. */
export interface TapError extends Error {
  /** Errno name, e.g. "EPERM". */
  code: string;
  /** Negative errno, as in Node's system errors. */
  errno: number;
  syscall: string;
}

/**
 * Creates a non-persistent TAP (IFF_TAP | IFF_NO_PI) named `name` (at most 15 bytes). With
 * `netnsPath` (e.g. "/run/netns/lab1") the calling thread enters that network namespace,
 * creates the TAP there and returns to its own namespace, also on error. Throws a TapError
 * naming the interface and the errno. With `tun` true the device is a TUN (IFF_TUN | IFF_NO_PI:
 * raw IP packets, no Ethernet header) instead. With `persist` true the device is made persistent
 * (TUNSETPERSIST, what `ip tuntap add` does) and its fd closed at once (the handle's fd is -1):
 * it stays until deleted, so that another process can open it by name. With `offloads` true (a
 * TAP only) the device carries a virtio-net header with every frame (IFF_VNET_HDR) and takes
 * checksum, TSO and (Linux 6.2 and later) USO offloads: the node's stack hands over super-frames
 * of up to 64 KB with partial checksums; give the handle's `offloads` to the TapDevice.
 */
export function open(
  name: string,
  netnsPath?: string | null,
  tun?: boolean,
  persist?: boolean,
  offloads?: boolean,
): TapHandle;

/** Same as open(); the name reads better where `open` is ambiguous. */
export function openTap(
  name: string,
  netnsPath?: string | null,
  tun?: boolean,
  persist?: boolean,
  offloads?: boolean,
): TapHandle;

/**
 * Frames from a TAP with offloads longer than this many bytes may be super-frames; shorter ones
 * are always wire frames with their checksums (the device segments a short GSO frame as it
 * reads it).
 */
export const superFrameThreshold: number;

/**
 * The wire frames of a super-frame (a TCP or UDP GSO frame from a TAP with offloads, `header`
 * being the 10-byte virtio-net header it came with): each at most the header's gso_size of
 * payload, with lengths, IPv4 ids, TCP sequence numbers and flags, and checksums as the
 * kernel's segmentation makes them. Null when the header is not one this can segment.
 */
export function segment(frame: Uint8Array, header: Uint8Array): Buffer[] | null;

/**
 * The calling thread enters the network namespace at `netnsPath` (a file such as
 * /run/netns/NAME); returns a handle for leaveNetns(). Processes spawned in between (Node's
 * spawn and node-pty fork from the calling thread) start in that namespace. Throws a TapError.
 */
export function enterNetns(netnsPath: string): number;

/** Returns the calling thread to the namespace enterNetns() left; the process aborts if it cannot. */
export function leaveNetns(handle: number): void;

/**
 * Creates a network namespace with loopback up and pins it with a bind mount on the existing
 * file `netnsPath` (like `unshare --net=PATH true` plus `ip link set lo up`). With `sharedDir`
 * (the file's folder, e.g. /run/netns) that folder is first made a mount point with shared
 * propagation, as `ip netns add` does. The calling thread stays where it was. Throws a TapError.
 */
export function createNetns(netnsPath: string, sharedDir?: string | null): void;

/** Sets interface `name` up (IFF_UP), inside the namespace at `netnsPath` if given. */
export function linkUp(name: string, netnsPath?: string | null): void;

/** The index of interface `name`, inside the namespace at `netnsPath` if given. Throws a TapError. */
export function ifIndex(name: string, netnsPath?: string | null): number;

/** A TapError for a netlink request the kernel refused. */
export interface RtnetlinkError extends TapError {
  /** Index of the refused request in the array given to rtnetlink(). */
  request: number;
  /** The kernel's own explanation (extended ack), or "" when it gave none. */
  detail: string;
}

/**
 * Sends each request (one complete netlink message: header and payload; length, sequence,
 * port id and the REQUEST and ACK flags are filled in) on a NETLINK_ROUTE socket of the
 * namespace at `netnsPath` (the caller's own if not given), in order, waiting for each answer.
 * Stops at the first request the kernel refuses and throws an RtnetlinkError.
 */
export function rtnetlink(requests: readonly Buffer[], netnsPath?: string | null): void;

/**
 * A non-blocking CLOCK_MONOTONIC timerfd, disarmed, for timers finer than Node's millisecond
 * ones. A TapDevice started on it calls its frames callback once per expiry (an 8-byte frame:
 * the expiration count); pause() it while nothing is armed so that it keeps no event loop alive.
 */
export function timerfd(): number;

/** Arms the timerfd to expire once, `delayUs` microseconds from now; a negative delay disarms it. */
export function setTimerfd(fd: number, delayUs: number): void;

/** Creates the named pipe `path` with permission bits `mode` (default 0o600). */
export function mkfifo(path: string, mode?: number): void;

/**
 * Called with every batch of frames read from the TAP (at most 256 reads per call). On a TAP
 * with offloads, `headers` is given when the batch has super-frames: headers[i] is the 10-byte
 * virtio-net header of frames[i] when that frame is one, undefined otherwise.
 */
export type FramesCallback = (frames: Buffer[], headers?: (Buffer | undefined)[]) => void;

/** Called once when reading fails for good (e.g. the interface was deleted); reading stops. */
export type ErrorCallback = (error: TapError) => void;

/** A TAP file descriptor with batched, readiness-driven reads and batched writes. */
export class TapDevice {
  /**
   * Takes ownership of `fd`: close() (or garbage collection) closes it. `offloads` says the TAP
   * was opened with offloads (the handle's `offloads`): frames come and go with a header.
   */
  constructor(fd: number, offloads?: boolean);
  /** The file descriptor, or -1 once closed. */
  readonly fd: number;
  /** True once close() has run. */
  readonly closed: boolean;
  /** True while the readiness poll is active (started, not paused, not closed). */
  readonly reading: boolean;
  /** True when frames come and go with a virtio-net header. */
  readonly offloads: boolean;
  /**
   * Why the last write() stopped before its last frame, as an errno name: "EAGAIN" (the TAP's
   * queue is full), "EIO" (the interface is down), "EINVAL" (a frame it cannot take), ...;
   * undefined when it wrote every frame.
   */
  readonly lastWriteError: string | undefined;
  /** Starts reading: every readable event drains the TAP and calls `onFrames` once. */
  start(onFrames: FramesCallback, onError?: ErrorCallback): void;
  /**
   * Writes each frame with one write() and returns how many the kernel accepted: frames[0] to
   * frames[result - 1]. Stops at the first frame the kernel refuses; lastWriteError says why.
   * On a TAP with offloads, headers[i] (when given) is the virtio-net header of frames[i], a
   * super-frame; other frames go with an empty header.
   */
  write(frames: readonly Uint8Array[], headers?: readonly (Uint8Array | undefined)[]): number;
  /** Stops reading until resume(); frames queue in the kernel meanwhile. */
  pause(): void;
  /** Resumes reading after pause(). */
  resume(): void;
  /** Stops the poll and closes the fd; the interface disappears. Idempotent. */
  close(): void;
}

/** Wraps `fd` in a TapDevice and starts delivering received frames to `onFrames`. */
export function start(fd: number, onFrames: FramesCallback, onError?: ErrorCallback): TapDevice;
