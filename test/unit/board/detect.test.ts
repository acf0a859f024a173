// Board detection on a fabricated sysfs and /dev tree: the USB network interface by its driver,
// the serial console by its USB device, and the one-sentence messages when there is no answer.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HOST_ROOTS,
  detectSerial,
  resolveInterface,
  serialCandidates,
  usbDeviceOf,
  usbNetInterfaces,
  type DetectRoots,
} from '../../../src/kinds/nodes/board/engine/detect.js';

/** A fake machine: sys/ and dev/ under one temporary folder. */
class FakeMachine {
  readonly root = mkdtempSync(join(tmpdir(), 'nwboard-'));
  readonly roots: DetectRoots = { sysfs: this.root, dev: this.root };
  private readonly pci = join(this.root, 'sys', 'devices', 'pci0000:00', '0000:00:14.0');

  constructor() {
    for (const d of ['sys/class/net', 'sys/class/tty', 'dev']) {
      mkdirSync(join(this.root, d), { recursive: true });
    }
    for (const drv of ['cdc_ether', 'cdc_ncm', 'rndis_host', 'cdc_eem', 'cdc_acm', 'ftdi_sio']) {
      mkdirSync(join(this.root, 'sys', 'bus', 'usb', 'drivers', drv), { recursive: true });
    }
    mkdirSync(join(this.root, 'sys', 'bus', 'pci', 'drivers', 'e1000e'), { recursive: true });
  }

  /** A USB device folder such as .../usb1/1-1 (bus 1, port path "1"). */
  usbDevice(portPath: string): string {
    const bus = portPath.split('-')[0] ?? '1';
    const dir = join(this.pci, `usb${bus}`, portPath);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private classDevice(cls: 'net' | 'tty', name: string, device: string, driver?: string): void {
    const entry = join(this.root, 'sys', 'class', cls, name);
    mkdirSync(entry, { recursive: true });
    mkdirSync(device, { recursive: true });
    symlinkSync(device, join(entry, 'device'));
    if (driver !== undefined) symlinkSync(driver, join(device, 'driver'));
  }

  /** A network interface on USB interface <usbDevice>:1.<n>, driven by `driver`. */
  usbNet(name: string, usbDevice: string, driver: string, n = 0): void {
    const intf = join(usbDevice, `${usbDevice.split('/').pop() ?? ''}:1.${n}`);
    this.classDevice('net', name, intf, join(this.root, 'sys', 'bus', 'usb', 'drivers', driver));
  }

  /** A PCI network interface (e1000e). */
  pciNet(name: string): void {
    this.classDevice(
      'net',
      name,
      join(this.pci, '..', '0000:00:1f.6'),
      join(this.root, 'sys', 'bus', 'pci', 'drivers', 'e1000e'),
    );
  }

  /** A virtual interface (lo, veth, bridge): no device link. */
  virtualNet(name: string): void {
    mkdirSync(join(this.root, 'sys', 'class', 'net', name), { recursive: true });
  }

  /** A CDC ACM tty on USB interface <usbDevice>:1.<n>, and its /dev node. */
  acm(name: string, usbDevice: string, n = 2): void {
    const intf = join(usbDevice, `${usbDevice.split('/').pop() ?? ''}:1.${n}`);
    this.classDevice('tty', name, intf, join(this.root, 'sys', 'bus', 'usb', 'drivers', 'cdc_acm'));
    writeFileSync(join(this.root, 'dev', name), '');
  }

  /** A usb-serial tty (FTDI): its device is a port below the USB interface. */
  usbSerial(name: string, usbDevice: string): void {
    const intf = join(usbDevice, `${usbDevice.split('/').pop() ?? ''}:1.0`);
    this.classDevice('tty', name, join(intf, name));
    mkdirSync(dirname(join(this.root, 'dev', name)), { recursive: true });
    writeFileSync(join(this.root, 'dev', name), '');
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

let m: FakeMachine;
beforeEach(() => {
  m = new FakeMachine();
});
afterEach(() => m.dispose());

describe('USB network interface detection', () => {
  it('finds the one interface driven by cdc_ether and ignores PCI and virtual interfaces', () => {
    const dev = m.usbDevice('1-1');
    m.usbNet('enx00005e005301', dev, 'cdc_ether');
    m.pciNet('enp0s31f6');
    m.virtualNet('lo');
    m.virtualNet('veth0');
    const r = resolveInterface('b1', undefined, m.roots);
    expect(r).toEqual({
      ok: true,
      value: { name: 'enx00005e005301', driver: 'cdc_ether', usbDevice: dev },
    });
  });

  it('recognises every USB networking driver: cdc_ether, cdc_ncm, rndis_host and cdc_eem', () => {
    const drivers = ['cdc_ether', 'cdc_ncm', 'rndis_host', 'cdc_eem'];
    drivers.forEach((d, i) => m.usbNet(`usb${i}`, m.usbDevice(`1-${i + 1}`), d));
    expect(usbNetInterfaces(m.roots).map((f) => f.driver)).toEqual(drivers);
  });

  it('several candidates: one sentence listing them and asking for "interface:"', () => {
    m.usbNet('enx00005e005301', m.usbDevice('1-1'), 'cdc_ether');
    m.usbNet('usb0', m.usbDevice('1-2'), 'rndis_host');
    const r = resolveInterface('b1', undefined, m.roots);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe(
      'board node "b1": several USB network interfaces were found (enx00005e005301 (cdc_ether), usb0 (rndis_host)); set "interface:" to the board\'s',
    );
  });

  it('none: one sentence saying none was found, to plug the board in and check its USB config', () => {
    m.pciNet('enp0s31f6');
    const r = resolveInterface('b1', undefined, m.roots);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^board node "b1": no USB network interface was found/);
    expect(r.message).toMatch(/cdc_ether, cdc_ncm, rndis_host or cdc_eem/);
    expect(r.message).toMatch(/plug the board in/);
    expect(r.message).toMatch(/USB device networking/);
    expect(r.message.split('\n')).toHaveLength(1);
  });

  it('a configured interface is taken as it is, whatever its driver, when it exists', () => {
    m.usbNet('enx00005e005301', m.usbDevice('1-1'), 'cdc_ether');
    m.usbNet('enx00005e005302', m.usbDevice('1-2'), 'cdc_ncm');
    m.pciNet('eth9');
    expect(resolveInterface('b1', 'enx00005e005302', m.roots)).toMatchObject({
      ok: true,
      value: { name: 'enx00005e005302', driver: 'cdc_ncm' },
    });
    expect(resolveInterface('b1', 'eth9', m.roots)).toMatchObject({
      ok: true,
      value: { name: 'eth9', driver: 'e1000e' },
    });
  });

  it('a configured interface that does not exist: one sentence naming the USB interfaces there are', () => {
    m.usbNet('enx00005e005301', m.usbDevice('1-1'), 'cdc_ether');
    const r = resolveInterface('b1', 'enx00005e0053aa', m.roots);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe(
      'board node "b1": network interface "enx00005e0053aa" does not exist; plug the board in or correct "interface:" (USB network interfaces here: enx00005e005301 (cdc_ether))',
    );
  });

  it('the USB device of an interface is the folder above its USB interface, also behind a hub', () => {
    const dev = m.usbDevice('3-2.4');
    m.usbNet('usb0', dev, 'cdc_eem');
    expect(usbDeviceOf(m.roots, 'net', 'usb0')).toBe(dev);
    m.virtualNet('br0');
    expect(usbDeviceOf(m.roots, 'net', 'br0')).toBeUndefined();
  });
});

describe('serial console detection', () => {
  it('candidates are /dev/ttyACM* in number order, then /dev/ttyUSB*; other ttys are ignored', () => {
    const dev = m.usbDevice('1-1');
    for (const n of ['ttyACM10', 'ttyACM2', 'ttyUSB0', 'ttyS0', 'ttyACMx']) {
      writeFileSync(join(m.root, 'dev', n), '');
    }
    m.acm('ttyACM0', dev);
    expect(serialCandidates(m.roots).map((p) => p.slice(m.root.length))).toEqual([
      '/dev/ttyACM0',
      '/dev/ttyACM2',
      '/dev/ttyACM10',
      '/dev/ttyUSB0',
    ]);
  });

  it("prefers the tty on the same USB device as the network interface (Zephyr's CDC ACM)", () => {
    const debugProbe = m.usbDevice('1-1');
    const board = m.usbDevice('1-2');
    m.acm('ttyACM0', debugProbe);
    m.usbNet('enx00005e005301', board, 'cdc_ether');
    m.acm('ttyACM1', board);
    const iface = resolveInterface('b1', undefined, m.roots);
    expect(iface.ok).toBe(true);
    if (!iface.ok) return;
    expect(detectSerial(m.roots, iface.value.usbDevice)).toBe(join(m.root, 'dev', 'ttyACM1'));
  });

  it('matches a usb-serial tty (ttyUSB) whose device is a port below the USB interface', () => {
    const board = m.usbDevice('2-1');
    m.acm('ttyACM0', m.usbDevice('1-1'));
    m.usbNet('usb0', board, 'cdc_ether', 1);
    m.usbSerial('ttyUSB0', board);
    expect(detectSerial(m.roots, usbDeviceOf(m.roots, 'net', 'usb0'))).toBe(
      join(m.root, 'dev', 'ttyUSB0'),
    );
  });

  it('with no tty on the same USB device, takes the first candidate; with none, has no console', () => {
    expect(detectSerial(m.roots, m.usbDevice('1-2'))).toBeUndefined();
    m.acm('ttyACM3', m.usbDevice('1-1'));
    m.usbSerial('ttyUSB1', m.usbDevice('1-3'));
    expect(detectSerial(m.roots, m.usbDevice('1-2'))).toBe(join(m.root, 'dev', 'ttyACM3'));
    expect(detectSerial(m.roots, undefined)).toBe(join(m.root, 'dev', 'ttyACM3'));
  });
});

describe('detection roots', () => {
  it("are the machine's own / for a lab", () => {
    expect(HOST_ROOTS).toEqual({ sysfs: '/', dev: '/' });
  });
});
