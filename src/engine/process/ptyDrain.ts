// Keeping the last console output of a process that exits.
//
// Measured here (Linux 6.1, node-pty 1.1.0, 2 cores under load): in about two runs out of three
// the pty master reports end-of-file while the child's last few KiB are still in the kernel;
// libuv stops reading at EOF and node-pty closes the fd, so that output is lost. node-pty also
// destroys the socket 200 ms after the child exits even if it is paused by flow control. Both
// paths go through the socket's destroy() without an error; this hook reads what the fd still
// holds, synchronously, before the fd is closed.
import { readSync } from 'node:fs';
import type { IPty } from 'node-pty';

/** Read size for draining: the kernel hands out at most about 4 KiB of pty data per read. */
const DRAIN_READ_BYTES = 64 * 1024;

/**
 * Upper bound on what one drain reads: a pty holds a few KiB when its writer is gone; the bound
 * only matters if a leftover process is still writing, so the event loop is never held long.
 */
const DRAIN_MAX_BYTES = 1024 * 1024;

/** The node-pty UnixTerminal fields the hook needs (private, so checked at run time). */
interface UnixTerminalInternals {
  _fd?: unknown;
  _socket?: { destroy?: unknown };
}

/** Reads whatever the pty master `fd` holds until it reports EAGAIN, EIO or end-of-file. */
function drainFd(fd: number, onBytes: (bytes: Buffer) => void): void {
  const buf = Buffer.alloc(DRAIN_READ_BYTES);
  let total = 0;
  while (total < DRAIN_MAX_BYTES) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      return; // EAGAIN (nothing buffered), EIO (slave closed and empty) or EBADF
    }
    if (n === 0) return;
    total += n;
    onBytes(Buffer.from(buf.subarray(0, n)));
  }
}

/**
 * Makes the pty deliver its buffered output to `onBytes` before node-pty closes it. Returns
 * false if this node-pty version does not have the expected internals (nothing is changed).
 */
export function drainBeforeDestroy(pty: IPty, onBytes: (bytes: Buffer) => void): boolean {
  const internals = pty as unknown as UnixTerminalInternals;
  const socket = internals._socket;
  const fd = internals._fd;
  if (typeof fd !== 'number' || socket === undefined || typeof socket.destroy !== 'function') {
    return false;
  }
  const destroy = socket.destroy as (this: unknown, ...args: unknown[]) => unknown;
  let drained = false;
  socket.destroy = function (this: unknown, ...args: unknown[]): unknown {
    // destroy(error) comes from a failed read (EIO): the fd has been read to its end already.
    if (!drained && args[0] === undefined) {
      drained = true;
      drainFd(fd, onBytes);
    }
    return destroy.apply(this, args);
  };
  return true;
}
