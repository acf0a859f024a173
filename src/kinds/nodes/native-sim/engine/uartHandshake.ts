// The handshake that lets the engine open zephyr.exe's UART pty before the firmware writes to
// it. native_sim prints "<uart> connected to pseudotty: /dev/pts/N" and then, when given
// -attach_uart_cmd, runs that command through system() and waits for it: the command netweave
// gives reads one line from a FIFO of the lab's runtime directory, and the engine writes that
// line only after it has opened the pty. So not a byte of the UART is printed before the engine
// reads it, on every release that has -attach_uart_cmd (3.5 and 4.3 both do).
import { closeSync, constants, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Disposable } from '../../../../shared/lifecycle.js';
import { netnsCalls } from '../../../../engine/process/inNetns.js';

/** Bytes drained from the FIFO per read when a run starts: a line per UART, so a few. */
const DRAIN_CHUNK = 64;

/** One node's FIFO; owns it and its descriptor, removes both on dispose. */
export class UartHandshake implements Disposable {
  private fd: number | undefined;

  private constructor(readonly path: string) {}

  /** Where a node's FIFO lives. */
  static pathFor(labDir: string, node: string): string {
    return join(labDir, `${node}.uart-attach`);
  }

  /**
   * The command for -attach_uart_cmd that waits on the FIFO at `path`. zephyr.exe formats it
   * with sprintf (so "%" is doubled) and runs it with system(), i.e. /bin/sh -c: the path is
   * single-quoted, every quote escaped. The path is the engine's own (lab runtime directory and
   * node name), never free text.
   */
  static commandFor(path: string): string {
    const quoted = `'${path.replace(/'/g, `'\\''`)}'`;
    return `read -r nw_uart < ${quoted}`.replace(/%/g, '%%');
  }

  /**
   * Creates the FIFO `<labDir>/<node>.uart-attach` and holds it open read-write (so writes never
   * block and a line waits in it until zephyr.exe's command reads it).
   */
  static create(labDir: string, node: string): UartHandshake {
    const h = new UartHandshake(UartHandshake.pathFor(labDir, node));
    rmSync(h.path, { force: true });
    // Node has no mkfifo(); the TAP addon's is the system call (no mkfifo process to start).
    netnsCalls().mkfifo(h.path, 0o600);
    h.fd = openSync(h.path, constants.O_RDWR | constants.O_NONBLOCK);
    return h;
  }

  /** Lets one waiting attach command return (the engine has opened that UART's pty). */
  release(): void {
    if (this.fd !== undefined) writeSync(this.fd, '\n');
  }

  /** Drops lines a previous run did not read (called when a run starts). */
  drain(): void {
    if (this.fd === undefined) return;
    const buf = Buffer.alloc(DRAIN_CHUNK);
    try {
      while (readSync(this.fd, buf, 0, buf.length, null) > 0) {
        // Discard.
      }
    } catch {
      // EAGAIN: empty.
    }
  }

  dispose(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}
