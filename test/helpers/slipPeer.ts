// A test peer that plays a Zephyr instance on a SLIP serial line: it listens on the unix socket
// the QEMU stand-in relays a serial port to, decodes SLIP, and answers ARP and ICMP echo for its
// address, in Ethernet frames (SLIP-TAP) or raw IP packets (legacy SLIP).
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { encodeSlip, SlipDecoder } from '../../src/kinds/links/slip/engine/codec.js';
import { internetChecksum } from '../../src/engine/services/builtin/packets.js';

/** What a SLIP peer carries and who it is. */
export interface SlipPeerOptions {
  /** The socket path the QEMU stand-in connects to. */
  path: string;
  mode: 'tap' | 'ip';
  /** The peer's IPv4 address, e.g. "192.0.2.1". */
  ipv4: string;
  /** The peer's MAC in mode tap. */
  mac?: string;
}

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ICMP = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

function ipBytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function macBytes(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

/** A SLIP peer; dispose it to close the socket. */
export class SlipPeer {
  /** Frames decoded from the line, in order. */
  readonly received: Buffer[] = [];
  /** Echo requests answered. */
  echoes = 0;
  /** ARP requests answered. */
  arps = 0;
  private readonly server: Server;
  private socket: Socket | undefined;
  private readonly ip: Buffer;
  private readonly mac: Buffer;

  private constructor(private readonly options: SlipPeerOptions) {
    this.ip = ipBytes(options.ipv4);
    this.mac = macBytes(options.mac ?? '00:00:5e:00:53:01');
    rmSync(options.path, { force: true });
    this.server = createServer((s) => this.accept(s));
  }

  /** Starts listening; resolves once the socket exists. */
  static async listen(options: SlipPeerOptions): Promise<SlipPeer> {
    const peer = new SlipPeer(options);
    await new Promise<void>((res, rej) => {
      peer.server.once('error', rej);
      peer.server.listen(options.path, () => res());
    });
    return peer;
  }

  /** True while the stand-in is connected. */
  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Sends frames onto the line, SLIP-encoded. */
  send(frames: readonly Buffer[]): void {
    this.socket?.write(encodeSlip(frames));
  }

  /** Writes raw bytes onto the line (for bad SLIP). */
  writeRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  private accept(socket: Socket): void {
    this.socket?.destroy();
    this.socket = socket;
    const decoder = new SlipDecoder({ maxFrame: 2048 }, () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        this.received.push(frame);
        const reply =
          this.options.mode === 'tap' ? this.answerEthernet(frame) : this.answerIp(frame);
        if (reply) socket.write(encodeSlip([reply]));
      }
    });
    socket.on('error', () => undefined);
  }

  private answerEthernet(frame: Buffer): Buffer | undefined {
    if (frame.length < ETH_HEADER) return undefined;
    const type = frame.readUInt16BE(12);
    const src = frame.subarray(6, 12);
    let payload: Buffer | undefined;
    if (type === ETHERTYPE_ARP) payload = this.answerArp(frame.subarray(ETH_HEADER));
    else if (type === ETHERTYPE_IPV4) payload = this.answerIp(frame.subarray(ETH_HEADER));
    if (!payload) return undefined;
    const header = Buffer.alloc(ETH_HEADER);
    src.copy(header, 0);
    this.mac.copy(header, 6);
    header.writeUInt16BE(type, 12);
    return Buffer.concat([header, payload]);
  }

  private answerArp(arp: Buffer): Buffer | undefined {
    // Ethernet/IPv4 request (oper 1) for our address.
    if (arp.length < 28 || arp.readUInt16BE(6) !== 1) return undefined;
    if (!arp.subarray(24, 28).equals(this.ip)) return undefined;
    const reply = Buffer.from(arp.subarray(0, 28));
    reply.writeUInt16BE(2, 6);
    this.mac.copy(reply, 8);
    this.ip.copy(reply, 14);
    arp.copy(reply, 18, 8, 14);
    arp.copy(reply, 24, 14, 18);
    this.arps++;
    return reply;
  }

  private answerIp(packet: Buffer): Buffer | undefined {
    if (packet.length < 20 || packet[0] === undefined || packet[0] >> 4 !== 4) return undefined;
    const ihl = (packet[0] & 0x0f) * 4;
    const total = packet.readUInt16BE(2);
    if (packet[9] !== ICMP || total > packet.length || total < ihl + 8) return undefined;
    if (!packet.subarray(16, 20).equals(this.ip)) return undefined;
    if (packet[ihl] !== ICMP_ECHO_REQUEST) return undefined;
    const reply = Buffer.from(packet.subarray(0, total));
    packet.copy(reply, 12, 16, 20);
    packet.copy(reply, 16, 12, 16);
    reply[8] = 64;
    reply.writeUInt16BE(0, 10);
    reply.writeUInt16BE(internetChecksum(reply.subarray(0, ihl)), 10);
    reply[ihl] = ICMP_ECHO_REPLY;
    reply.writeUInt16BE(0, ihl + 2);
    reply.writeUInt16BE(internetChecksum(reply.subarray(ihl)), ihl + 2);
    this.echoes++;
    return reply;
  }

  /** Closes the connection and the listening socket. */
  async dispose(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
    rmSync(this.options.path, { force: true });
  }
}
