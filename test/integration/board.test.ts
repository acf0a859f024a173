// The board kind end to end with stand-ins (there is no real board here): a veth pair is the
// board's USB network interface (tb-usb0 on the machine; its peer tb-brd, 192.0.2.1, in a
// namespace the test creates is "the board"), a fabricated sysfs tree says tb-usb0 is driven
// by cdc_ether, and a socat pty is its /dev/ttyACM0, whose other end is a unix socket the test
// holds (what the test writes there is what the board prints). The CLI and its engine see those
// in a mount namespace of their own (helpers/standIn.ts). Host network mode, as root.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketEngineClient } from '../../src/engine/rpc/client.js';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import { CliEnv, IS_ROOT, leftovers, pingArgs, until } from '../helpers/cli.js';
import { shareNetnsMount, standInPrefix } from '../helpers/standIn.js';

const USB_IF = 'tb-usb0';
const BOARD_IF = 'tb-brd';
const BOARD_NS = 'nwtb-board';

function sh(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(file, args, (e, stdout, stderr) =>
      res({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function must(file: string, args: string[]): Promise<string> {
  const r = await sh(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** What `ip -j addr show` says about the stand-in USB interface. */
async function usbState(): Promise<{ master?: string; up: boolean; addrs: string[] }> {
  const [l] = JSON.parse(await must('ip', ['-j', 'addr', 'show', 'dev', USB_IF])) as {
    master?: string;
    flags: string[];
    addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  if (!l) throw new Error(`no ${USB_IF}`);
  return {
    ...(l.master !== undefined ? { master: l.master } : {}),
    up: l.flags.includes('UP'),
    addrs: l.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** The state the stand-in interface has before every lab: down, one address, no master. */
const BEFORE = { up: false, addrs: ['198.51.100.9/24'] };

/** A fabricated sysfs (tb-usb0 on cdc_ether, ttyACM0 on the same USB device) and /dev. */
function fabricate(root: string): void {
  const usbDev = join(root, 'sys', 'devices', 'pci0000:00', '0000:00:14.0', 'usb1', '1-1');
  const driver = join(root, 'sys', 'bus', 'usb', 'drivers', 'cdc_ether');
  mkdirSync(driver, { recursive: true });
  for (const [cls, name, intf] of [
    ['net', USB_IF, '1-1:1.0'],
    ['tty', 'ttyACM0', '1-1:1.2'],
  ] as const) {
    mkdirSync(join(usbDev, intf), { recursive: true });
    mkdirSync(join(root, 'sys', 'class', cls, name), { recursive: true });
    symlinkSync(join(usbDev, intf), join(root, 'sys', 'class', cls, name, 'device'));
  }
  symlinkSync(driver, join(usbDev, '1-1:1.0', 'driver'));
  mkdirSync(join(root, 'dev'), { recursive: true });
}

/** The board's UART: a pty at `ttyPath` whose other end is the unix socket the test holds. */
class FakeUart {
  private socat: ChildProcess | undefined;
  private sock: Socket | undefined;
  received = '';

  constructor(
    readonly ttyPath: string,
    private readonly sockPath: string,
  ) {}

  /** Starts socat, waits for the pty and the socket, then connects. */
  async open(): Promise<void> {
    this.socat = spawn(
      'socat',
      [`PTY,link=${this.ttyPath},raw,echo=0`, `UNIX-LISTEN:${this.sockPath}`],
      {
        stdio: 'ignore',
      },
    );
    expect(await until(() => existsSync(this.ttyPath) && existsSync(this.sockPath), 10_000)).toBe(
      true,
    );
    const sock = connect(this.sockPath);
    await new Promise<void>((res, rej) => {
      sock.once('connect', res);
      sock.once('error', rej);
    });
    sock.on('data', (d: Buffer) => (this.received += d.toString()));
    sock.on('error', () => undefined);
    this.sock = sock;
  }

  /** What the board prints. */
  print(text: string): void {
    this.sock?.write(text);
  }

  /** Unplugs the board: socat ends and the pty disappears. */
  async unplug(): Promise<void> {
    this.sock?.destroy();
    this.sock = undefined;
    const socat = this.socat;
    if (socat) await until(() => socat.exitCode !== null || socat.signalCode !== null, 10_000);
  }

  dispose(): void {
    this.sock?.destroy();
    if (this.socat?.exitCode === null) this.socat.kill('SIGKILL');
  }
}

function labYaml(name: string, board: string): string {
  return `name: ${name}
nodes:
  b1:
${board}  h1:
    kind: host
    interfaces:
      eth0: { ipv4: [192.0.2.2/24] }
  sw: { kind: switch }
links:
  - endpoints: [b1:usb0, sw]
  - endpoints: [h1:eth0, sw]
`;
}

function frames(snap: CounterSnapshot, id: string): { rx: number; tx: number } {
  const p = snap.ports.find((x) => x.port === id);
  if (!p) throw new Error(`no port ${id}`);
  return { rx: p.rx.frames, tx: p.tx.frames };
}

describe.skipIf(!IS_ROOT)('board node with a veth and a pty standing in for the USB board', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nwtb-'));
  const fake = join(tmp, 'root');
  const uart = new FakeUart(join(fake, 'dev', 'ttyACM0'), join(tmp, 'board.sock'));
  // The CLI and its engine see the fabricated sysfs classes and the pty as /dev/ttyACM0.
  const env = new CliEnv(
    {},
    standInPrefix({
      sysClass: { net: join(fake, 'sys', 'class', 'net'), tty: join(fake, 'sys', 'class', 'tty') },
      devLinks: { ttyACM0: uart.ttyPath },
    }),
  );
  const files = join(tmp, 'files');

  function writeLab(name: string, board: string): string {
    mkdirSync(files, { recursive: true });
    const file = join(files, `${name}.yaml`);
    writeFileSync(file, labYaml(name, board));
    return file;
  }

  async function status(lab: string): Promise<LabStatus> {
    return JSON.parse((await env.run(['status', lab, '--json'])).stdout) as LabStatus;
  }

  beforeAll(async () => {
    shareNetnsMount();
    fabricate(fake);
    await sh('ip', ['netns', 'del', BOARD_NS]);
    await sh('ip', ['link', 'del', USB_IF]);
    await must('ip', ['netns', 'add', BOARD_NS]);
    await must('ip', ['link', 'add', USB_IF, 'type', 'veth', 'peer', 'name', BOARD_IF]);
    await must('ip', ['link', 'set', BOARD_IF, 'netns', BOARD_NS]);
    const inBoard = (args: string[]): Promise<string> =>
      must('ip', ['netns', 'exec', BOARD_NS, ...args]);
    await inBoard(['ip', 'link', 'set', 'lo', 'up']);
    await inBoard(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', BOARD_IF]);
    await inBoard(['ip', 'link', 'set', BOARD_IF, 'up']);
    // The interface as the machine had it: down, with an address the lab must give back.
    await must('ip', ['addr', 'add', '198.51.100.9/24', 'dev', USB_IF]);
    await uart.open();
  });

  afterAll(async () => {
    for (const lab of ['board', 'board-explicit', 'board-iso']) await env.run(['down', lab]);
    uart.dispose();
    await sh('ip', ['netns', 'del', BOARD_NS]); // takes the veth pair with it
    await sh('ip', ['link', 'del', USB_IF]);
    env.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('detects the interface by its driver and the console by its USB device; h1 pings the board through the fabric', async () => {
    expect(await usbState()).toEqual(BEFORE);
    // Ready when the console shows the shell prompt: the board prints it until `up` returns.
    const file = writeLab(
      'board',
      '    kind: board\n    ready: { pattern: "^uart:~\\\\$ ", timeout: 60s }\n',
    );
    const pending = env.run(['up', file, '--detach', '--network', 'host']);
    let upDone = false;
    void pending.finally(() => (upDone = true));
    let prompts = 0;
    await until(
      () => {
        uart.print(`prompt-${++prompts}\r\nuart:~$ `);
        return upDone;
      },
      100_000,
      500,
    );
    const up = await pending;
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const st = await status('board');
    const b1 = st.nodes.find((n) => n.name === 'b1');
    expect(b1?.state).toBe('ready');
    expect(b1?.hasConsole).toBe(true);
    expect(b1?.ports.map((p) => p.id)).toEqual(['b1:usb0']);
    // The interface is a port of the lab's bridge, up, and the machine's stack is off it.
    const attached = await usbState();
    expect(attached.master).toBe(`nwb${st.id}0`);
    expect(attached.up).toBe(true);
    expect(attached.addrs).toEqual([]);

    const before = JSON.parse(
      (await env.run(['stats', '--lab', 'board', '--json'])).stdout,
    ) as CounterSnapshot;
    const ping = await env.run(pingArgs('h1', '192.0.2.1', 3, 'board'));
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/3 received/);
    const after = JSON.parse(
      (await env.run(['stats', '--lab', 'board', '--json'])).stdout,
    ) as CounterSnapshot;
    // The 3 requests left through b1:usb0 and the 3 replies came in through it.
    expect(frames(after, 'b1:usb0').tx - frames(before, 'b1:usb0').tx).toBeGreaterThanOrEqual(3);
    expect(frames(after, 'b1:usb0').rx - frames(before, 'b1:usb0').rx).toBeGreaterThanOrEqual(3);
  });

  it("the node's console is the board's tty: what the board prints shows, what is typed reaches it", async () => {
    uart.print('*** Booting Zephyr OS ***\r\nuart:~$ ');
    const con = env.spawn(['console', 'b1', '--lab', 'board']);
    let out = '';
    con.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    expect(await until(() => out.includes('uart:~$'), 10_000)).toBe(true);
    con.stdin?.write('net iface\r');
    expect(await until(() => uart.received.includes('net iface\r'), 10_000)).toBe(true);
    uart.print('NET-IFACE-ANSWER\r\n');
    expect(await until(() => out.includes('NET-IFACE-ANSWER'), 10_000)).toBe(true);
    con.stdin?.write('\x1d');
    expect(await new Promise((r) => con.once('exit', r))).toBe(0);
  });

  it('an unplugged console sets the node failed with one sentence', async () => {
    await uart.unplug();
    expect(
      await until(
        async () => (await status('board')).nodes.find((n) => n.name === 'b1')?.state === 'failed',
        15_000,
      ),
    ).toBe(true);
    const b1 = (await status('board')).nodes.find((n) => n.name === 'b1');
    expect(b1?.reason).toMatch(/^the serial console .*ttyACM0 of board "b1" disappeared/);
    expect(b1?.reason?.split('\n')).toHaveLength(1);
  });

  it('down gives the interface back as it was (out of the bridge, down, its address) and leaves nothing', async () => {
    const id = (await status('board')).id;
    const down = await env.run(['down', 'board']);
    expect(down.code, down.stderr).toBe(0);
    expect(await usbState()).toEqual(BEFORE);
    expect((await sh('ip', ['link', 'show', `nwb${id}0`])).code).not.toBe(0);
    expect(await leftovers(env, 'board')).toEqual([]);
  });

  it('with "interface:" set: node stop gives the interface back, start borrows it again, and after kill -9 down restores it', async () => {
    const file = writeLab(
      'board-explicit',
      `    kind: board\n    interface: ${USB_IF}\n    serial: none\n`,
    );
    // The real sysfs: the configured interface is looked up on the machine itself.
    const up = await env.run(['up', file, '--detach', '--network', 'host'], { wrap: [] });
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const b1 = (await status('board-explicit')).nodes.find((n) => n.name === 'b1');
    expect(b1?.state).toBe('ready');
    expect(b1?.hasConsole).toBe(false);
    expect((await usbState()).master).toMatch(/^nwb/);
    const ping = await env.run(pingArgs('h1', '192.0.2.1', 1, 'board-explicit'));
    expect(ping.code, ping.stdout).toBe(0);

    // Stopping the node gives the interface back; starting it borrows it again.
    const client = await SocketEngineClient.connect(
      join(env.labDir('board-explicit'), 'engine.sock'),
    );
    try {
      expect((await client.call('nodeStop', { node: 'b1' })).state).toBe('stopped');
      expect(await usbState()).toEqual(BEFORE);
      expect((await client.call('nodeStart', { node: 'b1' })).state).toBe('ready');
    } finally {
      client.dispose();
    }
    expect((await usbState()).master).toMatch(/^nwb/);
    // ping succeeds when any of its 3 echoes is answered: the first may race the carrier.
    const again = await env.run(pingArgs('h1', '192.0.2.1', 3, 'board-explicit'));
    expect(again.code, again.stdout).toBe(0);

    const rec = JSON.parse(
      readFileSync(join(env.labDir('board-explicit'), 'engine.json'), 'utf8'),
    ) as { enginePid: number };
    process.kill(rec.enginePid, 'SIGKILL');
    await until(() => !existsSync(`/proc/${rec.enginePid}`));
    // The bridge outlives the engine, with the interface still in it.
    expect((await usbState()).master).toMatch(/^nwb/);
    const down = await env.run(['down', 'board-explicit'], { wrap: [] });
    expect(down.code, down.stderr).toBe(0);
    expect(await usbState()).toEqual(BEFORE);
    expect(await leftovers(env, 'board-explicit')).toEqual([]);
  });

  it('an isolated lab refuses a board in one sentence that names --network host', async () => {
    const file = writeLab(
      'board-iso',
      `    kind: board\n    interface: ${USB_IF}\n    serial: none\n`,
    );
    const r = await env.run(['up', file, '--detach']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/board node "b1" needs network mode "host"/);
    expect(r.stderr).toMatch(/--network host/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await usbState()).toEqual(BEFORE);
    expect(await leftovers(env, 'board-iso')).toEqual([]);
  });
});
