// The QEMU command line of a qemu node, as an argv array: board (or generic) machine flags,
// Zephyr's console flags, QMP, kernel, and one netdev + NIC per port. Pure, so unit tests pin it.
import type { QemuNicAttach, QemuNodeSpec } from '../../../../shared/topology/kinds/index.js';
import { qemuBoard } from '../facts.js';
import type { SlirpForward } from '../../../../shared/topology/links/index.js';
import { slirpAddresses } from '../../../links/slirp/facts.js';

/** Where a NIC's frames go: a fabric port's unix socket, or QEMU's user network (slirp). */
export type QemuNicBackend =
  | { type: 'stream'; socket: string }
  | { type: 'user'; network: string; dhcpStart?: string; forwards: readonly SlirpForward[] };

/** One NIC as it goes on the command line. */
export interface QemuNic {
  port: string;
  model: string;
  mac: string;
  attach: QemuNicAttach;
  backend: QemuNicBackend;
}

/** A serial port used as a link: QEMU connects it to the engine's unix socket. */
export interface QemuSerial {
  /** "serial1".."serial3": the index in QEMU's -serial order (serial0 is the console). */
  port: string;
  socket: string;
}

/** Everything the command line is built from; paths are already resolved. */
export interface QemuCommandInput {
  spec: QemuNodeSpec;
  kernel?: string;
  initrd?: string;
  disk?: string;
  /** The QMP socket QEMU listens on. */
  qmpSocket: string;
  nics: readonly QemuNic[];
  /** Serial ports used by serial links (slip, ppp, uart-pipe-154). */
  serials?: readonly QemuSerial[];
}

/** Zephyr's console: the first serial port and the monitor multiplexed on stdio (our pty). */
export const QEMU_CONSOLE_ARGS: readonly string[] = [
  '-nographic',
  '-chardev',
  'stdio,id=con,mux=on',
  '-serial',
  'chardev:con',
  '-mon',
  'chardev=con,mode=readline',
  '-no-reboot',
];

/** The chardev id of a serial port. */
export function serialChardevId(port: string): string {
  return `nw-${port}`;
}

/** The -serial index of "serialN", or undefined for another name. */
export function serialIndex(port: string): number | undefined {
  const m = /^serial([1-9])$/.exec(port);
  return m ? Number(m[1]) : undefined;
}

/**
 * The chardevs and -serial flags of the serial ports after the console, in index order; an
 * unused index below a used one gets `-serial null` so each UART keeps its number.
 */
function serialArgs(serials: readonly QemuSerial[]): string[] {
  const byIndex = new Map<number, QemuSerial>();
  for (const s of serials) {
    const i = serialIndex(s.port);
    if (i !== undefined) byIndex.set(i, s);
  }
  const highest = Math.max(0, ...byIndex.keys());
  const argv: string[] = [];
  for (let i = 1; i <= highest; i++) {
    const s = byIndex.get(i);
    if (!s) {
      argv.push('-serial', 'null');
      continue;
    }
    const id = serialChardevId(s.port);
    argv.push(
      '-chardev',
      `socket,id=${id},path=${qemuOptionValue(s.socket)},server=off`,
      '-serial',
      `chardev:${id}`,
    );
  }
  return argv;
}

/** The netdev id of a port (also the name QMP set_link takes). */
export function netdevId(port: string): string {
  return `nw-${port}`;
}

/** Escapes a value inside a QEMU option string (a comma is written twice). */
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** The qemu-system binary of a node: the file's, else its board's. */
export function qemuBinary(spec: QemuNodeSpec): string {
  const board = spec.board !== undefined ? qemuBoard(spec.board) : undefined;
  return spec.binary ?? board?.binary ?? 'qemu-system-x86_64';
}

function memoryArg(memory: string | number): string {
  return typeof memory === 'number' ? String(memory) : memory;
}

function netdevArgs(nic: QemuNic): string {
  const id = netdevId(nic.port);
  const b = nic.backend;
  if (b.type === 'stream') {
    return `stream,id=${id},server=off,addr.type=unix,addr.path=${qemuOptionValue(b.socket)}`;
  }
  const addr = slirpAddresses({
    network: b.network,
    ...(b.dhcpStart !== undefined ? { dhcpStart: b.dhcpStart } : {}),
  });
  const fwd = b.forwards.map((f) => `,hostfwd=${f.proto}::${f.hostPort}-:${f.guestPort}`);
  return `user,id=${id},net=${addr.network},dhcpstart=${addr.dhcpStart}${fwd.join('')}`;
}

function nicArgs(nic: QemuNic): string[] {
  const id = netdevId(nic.port);
  if (nic.attach === 'on-board') {
    // On-board controllers cannot be created with -device; -net nic binds them to the netdev.
    return ['-net', `nic,model=${nic.model},netdev=${id},macaddr=${nic.mac}`];
  }
  // romfile= skips the iPXE option ROM: it only slows the boot of a guest that never PXE-boots.
  return ['-device', `${nic.model},netdev=${id},mac=${nic.mac},romfile=`];
}

/** The full argv of a qemu node, argv[0] being the qemu-system binary. */
export function buildQemuArgv(input: QemuCommandInput): string[] {
  const { spec } = input;
  const board = spec.board !== undefined ? qemuBoard(spec.board) : undefined;
  const argv = [qemuBinary(spec)];
  const machine = spec.machine ?? board?.machine;
  if (machine !== undefined) argv.push('-machine', machine);
  const cpu = spec.cpu ?? board?.cpu;
  if (cpu !== undefined) argv.push('-cpu', cpu);
  const memory = spec.memory ?? board?.memory;
  if (memory !== undefined) argv.push('-m', memoryArg(memory));
  if (spec.smp !== undefined) argv.push('-smp', String(spec.smp));
  argv.push('-accel', spec.accel);
  argv.push(...QEMU_CONSOLE_ARGS);
  argv.push(...serialArgs(input.serials ?? []));
  argv.push(...(board?.extraArgs ?? []));
  argv.push('-qmp', `unix:${qemuOptionValue(input.qmpSocket)},server=on,wait=off`);
  if (input.kernel !== undefined) argv.push('-kernel', input.kernel);
  if (input.initrd !== undefined) argv.push('-initrd', input.initrd);
  if (spec.append !== undefined) argv.push('-append', spec.append);
  if (input.disk !== undefined) {
    argv.push('-drive', `file=${qemuOptionValue(input.disk)},format=raw,if=virtio`);
  }
  for (const nic of input.nics) argv.push('-netdev', netdevArgs(nic), ...nicArgs(nic));
  // Without any NIC, QEMU would add its default user-mode NIC on some machines.
  if (input.nics.length === 0) argv.push('-nic', 'none');
  argv.push(...(spec.extraArgs ?? []));
  return argv;
}
