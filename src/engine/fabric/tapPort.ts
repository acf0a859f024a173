import { closeSync } from 'node:fs';
import { open, TapDevice, type TapHandle } from '@netweave/tap';
import { Port } from './port.js';
import { markSuperFrame, superFrameHeader } from './superFrame.js';

/** Options of a TapPort. */
export interface TapPortOptions {
  /** Largest frame accepted (interface MTU + 14); default DEFAULT_MTU.ethernet. */
  mtu?: number;
  /** 'raw-ip' for a TUN device (IP packets without an Ethernet header); default 'ethernet'. */
  linkType?: 'ethernet' | 'raw-ip';
}

/** Options of TapPort.open(). */
export interface TapPortOpenOptions {
  /** "node:port". */
  id: string;
  /** Interface name, at most 15 bytes. */
  ifname: string;
  /** Network namespace to create the TAP in, e.g. "/run/netns/lab1-h1". */
  netnsPath?: string;
  /** Largest frame accepted (interface MTU + 14); default DEFAULT_MTU.ethernet. */
  mtu?: number;
  /** Opens a TUN (raw IP, link type 'raw-ip') instead of a TAP. */
  tun?: boolean;
  /**
   * Opens the TAP with offloads (checksum, TSO, USO): the node's stack hands over super-frames
   * of up to 64 KB, which the fabric carries whole (superFrame.ts). Ignored for a TUN.
   */
  offloads?: boolean;
}

/**
 * An Ethernet port whose device is a kernel TAP: frames are read in batches when the fd is
 * readable and written in batches. The port owns the fd: dispose closes it, which deletes the
 * (non-persistent) interface.
 */
export class TapPort extends Port {
  /** Interface name as the kernel knows it. */
  readonly ifname: string;
  private readonly device: TapDevice;

  /** Creates a TAP (in a network namespace if given) and a port around it. */
  static open(options: TapPortOpenOptions): TapPort {
    return new TapPort(
      options.id,
      () =>
        open(
          options.ifname,
          options.netnsPath,
          options.tun === true,
          false,
          options.offloads === true && options.tun !== true,
        ),
      {
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
        ...(options.tun === true ? { linkType: 'raw-ip' as const } : {}),
      },
    );
  }

  /**
   * Wraps a TAP: `source` is an open TAP from @netweave/tap's open() (the port takes over its
   * fd, and closes it if this constructor fails) or a function that opens one.
   */
  constructor(id: string, source: TapHandle | (() => TapHandle), options: TapPortOptions = {}) {
    super({
      id,
      linkType: options.linkType ?? 'ethernet',
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    });
    const handle = typeof source === 'function' ? source() : source;
    this.ifname = handle.name;
    let device: TapDevice | undefined;
    try {
      device = new TapDevice(handle.fd, handle.offloads);
      device.start(
        (frames, headers) => {
          if (headers !== undefined) {
            headers.forEach((header, i) => {
              if (header !== undefined) markSuperFrame(frames[i] as Buffer, header);
            });
          }
          this.receive(frames);
        },
        // Reading failed for good (the interface was deleted, ...): the port is down, and says
        // why in status and counters.
        (err) => {
          this.fail(`interface ${handle.name} stopped working: ${err.message}`);
        },
      );
    } catch (err) {
      if (device !== undefined) device.close();
      else closeSync(handle.fd);
      throw err;
    }
    this.device = device;
    this.takesSuperFrames = device.offloads;
  }

  /** True when the TAP was opened with offloads. */
  get offloads(): boolean {
    return this.device.offloads;
  }

  /** Stops reading from the TAP (frames queue in the kernel, then it drops them). */
  pauseReading(): void {
    this.device.pause();
  }

  /** Resumes reading after pauseReading(). */
  resumeReading(): void {
    this.device.resume();
  }

  protected override transmit(frames: readonly Buffer[]): number {
    const device = this.device;
    if (device.closed) return 0;
    if (!device.offloads) return device.write(frames);
    // A super-frame goes with its header; the rest get an empty one from the device.
    let headers: (Buffer | undefined)[] | undefined;
    for (let i = 0; i < frames.length; i++) {
      const header = superFrameHeader(frames[i] as Buffer);
      if (header === undefined) continue;
      headers ??= [];
      headers[i] = header;
    }
    return device.write(frames, headers);
  }

  /** EAGAIN: the TAP's queue is full; anything else (EIO: its interface is down) is the frame's. */
  protected override refusal(): 'queue-full' | 'device-error' {
    const error = this.device.lastWriteError;
    return error === undefined || error === 'EAGAIN' ? 'queue-full' : 'device-error';
  }

  protected override disposeDevice(): void {
    this.device.close();
  }
}
