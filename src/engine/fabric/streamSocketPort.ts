// A fabric port whose device is a QEMU peer on a unix stream socket: the port listens (QEMU
// 7.2's stream client has no reconnect, so the listener must exist before QEMU starts) and
// accepts QEMU's connection. How frames sit in the byte stream is the port's codec: by default
// QEMU's `-netdev stream` framing (a 4-byte big-endian length, then the frame); a serial port
// used as a link (SLIP, the 802.15.4 UART pipe, PPP) brings its own codec.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { LinkType } from '../../shared/kinds.js';
import { Emitter } from '../../shared/lifecycle.js';
import { Port } from './port.js';

/** Bytes of the length prefix QEMU's stream and socket netdevs put before every frame. */
export const STREAM_LENGTH_BYTES = 4;

/**
 * Largest frame length accepted from the peer: QEMU's NET_BUFSIZE (4096 + 65536). A larger
 * length means the stream is out of step, so the connection is closed.
 */
export const MAX_STREAM_FRAME = 4096 + 65536;

/**
 * Bytes queued in the socket above which frames are refused as 'queue-full': about 700 full
 * frames, a few milliseconds of a guest's NIC, so a stalled guest cannot grow engine memory.
 */
export const STREAM_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Counts a kind-specific event of a codec (e.g. 'bad-escape' for SLIP); shown with the port's
 * counters under `extra`.
 */
export type CodecEventCounter = (event: string, count?: number) => void;

/** Splits a byte stream into frames; one per connection. */
export interface FrameDecoder {
  /**
   * Frames completed by `chunk` (possibly none); keeps the rest. Throws only when the stream
   * cannot get back in step, which closes the connection.
   */
  push(chunk: Buffer): Buffer[];
  /** Forgets a partial frame (a new connection starts in step). */
  reset(): void;
}

/** How frames are written into and read from a byte stream. */
export interface FrameCodec {
  /** A fresh decoder; `count` records the codec's own events (bad bytes, oversize frames). */
  decoder(count: CodecEventCounter): FrameDecoder;
  /** The first `count` frames as one buffer for one write. */
  encode(frames: readonly Buffer[], count: number): Buffer;
}

/** Options of a StreamSocketPort. */
export interface StreamSocketPortOptions {
  /** "node:port". */
  id: string;
  /** The unix socket path the port listens on (removed first if a stale file is there). */
  path: string;
  /** Kind of frame carried; default 'ethernet'. */
  linkType?: LinkType;
  /** Largest frame accepted; default DEFAULT_MTU[linkType]. */
  mtu?: number;
  /** Framing in the byte stream; default QEMU's length-prefixed stream framing. */
  codec?: FrameCodec;
}

/**
 * Splits a byte stream of length-prefixed frames. Feed it chunks as they arrive; it returns
 * the whole frames each chunk completed (possibly none) and keeps the rest.
 */
export class StreamFramer implements FrameDecoder {
  private pending: Buffer | undefined;

  /** Frames completed by `chunk`; throws when a length exceeds MAX_STREAM_FRAME. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= STREAM_LENGTH_BYTES) {
      const len = buf.readUInt32BE(at);
      if (len > MAX_STREAM_FRAME) {
        this.pending = undefined;
        throw new Error(`frame length ${len} exceeds ${MAX_STREAM_FRAME}`);
      }
      if (buf.length - at - STREAM_LENGTH_BYTES < len) break;
      // A copy: the socket reuses nothing, but a frame must outlive a capture's borrow.
      frames.push(
        Buffer.from(buf.subarray(at + STREAM_LENGTH_BYTES, at + STREAM_LENGTH_BYTES + len)),
      );
      at += STREAM_LENGTH_BYTES + len;
    }
    this.pending = at < buf.length ? Buffer.from(buf.subarray(at)) : undefined;
    return frames;
  }

  /** Forgets a partial frame (a new connection starts in step). */
  reset(): void {
    this.pending = undefined;
  }
}

/** QEMU's `-netdev stream` framing as a codec. */
export const LENGTH_PREFIX_CODEC: FrameCodec = {
  decoder: () => new StreamFramer(),
  encode: (frames, count) => encodeStreamFrames(frames, count),
};

/** Encodes frames as one buffer of length-prefixed frames (one write per batch). */
export function encodeStreamFrames(frames: readonly Buffer[], count = frames.length): Buffer {
  let size = 0;
  for (let i = 0; i < count; i++) size += STREAM_LENGTH_BYTES + (frames[i]?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const f = frames[i];
    if (f === undefined) continue;
    out.writeUInt32BE(f.length, at);
    f.copy(out, at + STREAM_LENGTH_BYTES);
    at += STREAM_LENGTH_BYTES + f.length;
  }
  return out;
}

/**
 * A port behind a listening unix stream socket. While no peer is connected the port
 * is down (frames either way are 'port-down' drops); a new connection (QEMU restarted)
 * replaces the old one and the port rejoins with its administrative state.
 */
export class StreamSocketPort extends Port {
  /** The socket path. */
  readonly path: string;
  private readonly server: Server;
  private readonly codec: FrameCodec;
  private readonly framer: FrameDecoder;
  private peer: Socket | undefined;
  private wantUp = true;
  private closed = false;
  private readonly didConnect = new Emitter<void>();
  private readonly didDisconnect = new Emitter<void>();

  /** Fires when a peer connected (first time and after each restart of the peer). */
  readonly onDidConnect = this.didConnect.event;
  /** Fires when the peer went away. */
  readonly onDidDisconnect = this.didDisconnect.event;

  /** Creates the port and resolves once it listens. */
  static async listen(options: StreamSocketPortOptions): Promise<StreamSocketPort> {
    const port = new StreamSocketPort(options);
    try {
      await new Promise<void>((resolve, reject) => {
        port.server.once('error', reject);
        port.server.listen(options.path, () => {
          port.server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      port.dispose();
      throw err;
    }
    return port;
  }

  private constructor(options: StreamSocketPortOptions) {
    super({
      id: options.id,
      linkType: options.linkType ?? 'ethernet',
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
    });
    this.path = options.path;
    this.codec = options.codec ?? LENGTH_PREFIX_CODEC;
    this.framer = this.codec.decoder((event, count) => this.countExtra(event, count));
    rmSync(options.path, { force: true });
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', () => {
      // A listening unix socket fails only on close races; the port simply stays down.
    });
    super.setUp(false);
  }

  /** True while a peer (QEMU) is connected. */
  get hasPeer(): boolean {
    return this.peer !== undefined;
  }

  /** The administrative state asked for (the port is up only with a peer connected too). */
  get wanted(): boolean {
    return this.wantUp;
  }

  override setUp(up: boolean): void {
    this.wantUp = up;
    super.setUp(up && this.peer !== undefined);
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // The newest connection wins: QEMU restarted, and the old process is gone or going.
    this.peer?.destroy();
    this.framer.reset();
    this.peer = socket;
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.peer) return;
      let frames: Buffer[];
      try {
        frames = this.framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      if (frames.length > 0) this.receive(frames);
    });
    const gone = (): void => {
      if (socket !== this.peer) return;
      this.peer = undefined;
      this.framer.reset();
      super.setUp(false);
      this.didDisconnect.fire();
    };
    socket.on('close', gone);
    socket.on('error', () => {
      // 'close' follows and takes the port down.
    });
    super.setUp(this.wantUp);
    this.didConnect.fire();
  }

  protected override transmit(frames: readonly Buffer[]): number {
    const peer = this.peer;
    if (peer === undefined || peer.destroyed) return 0;
    if (peer.writableLength > STREAM_HIGH_WATER_BYTES) return 0;
    peer.write(this.codec.encode(frames, frames.length));
    return frames.length;
  }

  protected override disposeDevice(): void {
    this.closed = true;
    this.peer?.destroy();
    this.peer = undefined;
    this.server.close();
    rmSync(this.path, { force: true });
    this.didConnect.dispose();
    this.didDisconnect.dispose();
  }
}
