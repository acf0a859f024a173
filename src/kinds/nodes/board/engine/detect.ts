// Finding a board's USB network interface and serial console on the machine, from sysfs and
// /dev. Every function takes the roots it reads under, so tests run them on a fabricated tree.
import { existsSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { listChoices } from '../../../../shared/topology/text.js';

/** Where sysfs and /dev are read: "/" on a real machine (HOST_ROOTS), a fabricated tree in tests. */
export interface DetectRoots {
  /** The folder holding sys/ (default "/"). */
  sysfs: string;
  /** The folder holding dev/ (default "/"). */
  dev: string;
}

/** The machine's own sysfs and /dev (tests pass fabricated trees to each function). */
export const HOST_ROOTS: DetectRoots = { sysfs: '/', dev: '/' };

/**
 * Host drivers of the USB device classes Zephyr's USB stack offers for networking: CDC-ECM
 * (cdc_ether), CDC-NCM (cdc_ncm), RNDIS (rndis_host) and CDC-EEM (cdc_eem).
 */
export const USB_NET_DRIVERS = ['cdc_ether', 'cdc_ncm', 'rndis_host', 'cdc_eem'] as const;

/** Prefixes of serial consoles a board shows, in the order they are tried. */
export const TTY_PREFIXES = ['ttyACM', 'ttyUSB'] as const;

/** A USB network interface found on the machine. */
export interface UsbNetInterface {
  name: string;
  driver: string;
  /** The sysfs folder of the USB device it belongs to, when known. */
  usbDevice?: string;
}

/** A USB device folder is named bus-port[.port...], e.g. "1-1" or "3-2.4"; interfaces add ":c.i". */
const USB_DEVICE_DIR = /^[0-9]+-[0-9]+(\.[0-9]+)*$/;

function classDir(roots: DetectRoots, cls: 'net' | 'tty'): string {
  return join(roots.sysfs, 'sys', 'class', cls);
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The driver name of a class device (basename of device/driver), if it has one. */
export function classDriver(
  roots: DetectRoots,
  cls: 'net' | 'tty',
  name: string,
): string | undefined {
  try {
    return basename(readlinkSync(join(classDir(roots, cls), name, 'device', 'driver')));
  } catch {
    return undefined;
  }
}

/**
 * The sysfs folder of the USB device a class device hangs off: the nearest folder above its
 * `device` named like a USB device (a net or ACM tty device points at a USB interface
 * "1-1:1.0", a usb-serial tty at a port below one).
 */
export function usbDeviceOf(
  roots: DetectRoots,
  cls: 'net' | 'tty',
  name: string,
): string | undefined {
  let dir: string;
  try {
    dir = realpathSync(join(classDir(roots, cls), name, 'device'));
  } catch {
    return undefined;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    if (USB_DEVICE_DIR.test(basename(dir))) return dir;
  }
  return undefined;
}

/** True when a network interface of that name exists (sys/class/net/NAME). */
export function interfaceExists(roots: DetectRoots, name: string): boolean {
  return existsSync(join(classDir(roots, 'net'), name));
}

/** Every network interface driven by a USB networking driver, sorted by name. */
export function usbNetInterfaces(roots: DetectRoots): UsbNetInterface[] {
  const out: UsbNetInterface[] = [];
  for (const name of list(classDir(roots, 'net')).sort()) {
    const driver = classDriver(roots, 'net', name);
    if (driver === undefined || !(USB_NET_DRIVERS as readonly string[]).includes(driver)) continue;
    const usbDevice = usbDeviceOf(roots, 'net', name);
    out.push({ name, driver, ...(usbDevice !== undefined ? { usbDevice } : {}) });
  }
  return out;
}

/** "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** The outcome of a detection: the value, or the one sentence saying why there is none. */
export type Detected<T> = { ok: true; value: T } | { ok: false; message: string };

/** What a node's `interface:` names, or the board's interface found on the machine. */
export function resolveInterface(
  node: string,
  configured: string | undefined,
  roots: DetectRoots,
): Detected<UsbNetInterface> {
  const found = usbNetInterfaces(roots);
  const known = found.map((f) => `${f.name} (${f.driver})`);
  if (configured !== undefined) {
    if (!interfaceExists(roots, configured)) {
      return {
        ok: false,
        message: `board node "${node}": network interface "${configured}" does not exist; plug the board in or correct "interface:"${known.length > 0 ? ` (USB network interfaces here: ${listChoices(known)})` : ''}`,
      };
    }
    const driver = classDriver(roots, 'net', configured) ?? 'unknown';
    const usbDevice = usbDeviceOf(roots, 'net', configured);
    return {
      ok: true,
      value: { name: configured, driver, ...(usbDevice !== undefined ? { usbDevice } : {}) },
    };
  }
  const [only, ...more] = found;
  if (only === undefined) {
    return {
      ok: false,
      message: `board node "${node}": no USB network interface was found (none is driven by ${orList(USB_NET_DRIVERS)}); plug the board in, check that its Zephyr build enables USB device networking (CDC-ECM, CDC-NCM, CDC-EEM or RNDIS), or set "interface:"`,
    };
  }
  if (more.length > 0) {
    return {
      ok: false,
      message: `board node "${node}": several USB network interfaces were found (${listChoices(known)}); set "interface:" to the board's`,
    };
  }
  return { ok: true, value: only };
}

/** Numeric suffix of a tty name, for ordering ttyACM2 before ttyACM10. */
function ttyNumber(name: string): number {
  const m = /([0-9]+)$/.exec(name);
  return m?.[1] !== undefined ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** The serial consoles a board may have: /dev/ttyACM* then /dev/ttyUSB*, each in number order. */
export function serialCandidates(roots: DetectRoots): string[] {
  const names = list(join(roots.dev, 'dev'));
  const out: string[] = [];
  for (const prefix of TTY_PREFIXES) {
    const matching = names
      .filter((n) => n.startsWith(prefix) && /^[0-9]+$/.test(n.slice(prefix.length)))
      .sort((a, b) => ttyNumber(a) - ttyNumber(b));
    out.push(...matching.map((n) => join(roots.dev, 'dev', n)));
  }
  return out;
}

/**
 * The board's serial console found on the machine: the first candidate on the same USB device
 * as its network interface, else the first candidate; undefined when there is none.
 */
export function detectSerial(
  roots: DetectRoots,
  usbDevice: string | undefined,
): string | undefined {
  const candidates = serialCandidates(roots);
  if (usbDevice !== undefined) {
    const same = candidates.find((path) => usbDeviceOf(roots, 'tty', basename(path)) === usbDevice);
    if (same !== undefined) return same;
  }
  return candidates[0];
}

/** True when `path` exists and is a character device (following symlinks). */
export function isCharDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}
