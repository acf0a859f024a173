// The pppd side of a ppp link as a fabric port around a child's stdin/stdout, driven with
// programs that stand in for pppd: `cat` (every frame sent comes back), and `false` (exits at
// once, so the port restarts it and counts each exit). Also the kernel check of the preflight.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pppCodec } from '../../../src/kinds/links/ppp/engine/codec.js';
import { PppdPort, pppKernelProblem } from '../../../src/kinds/links/ppp/engine/pppd.js';

const dir = mkdtempSync(join(tmpdir(), 'nwpppd-'));
const ports: PppdPort[] = [];

async function start(argv: string[]): Promise<PppdPort> {
  const port = PppdPort.start({
    id: 'l1:pppd',
    argv,
    cwd: dir,
    env: { PATH: '/usr/bin:/bin' },
    logFile: join(dir, 'pppd.log'),
    codec: pppCodec(),
    mtu: 1504,
  });
  ports.push(port);
  await until(() => port.pid !== undefined || port.lastExit !== undefined);
  return port;
}

async function until(probe: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (probe()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return probe();
}

afterEach(async () => {
  for (const p of ports.splice(0)) {
    await p.stop();
    p.dispose();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PppdPort (programs standing in for pppd)', () => {
  it('is up while the process runs, and frames written to its stdin come back decoded from its stdout', async () => {
    const port = await start(['cat']);
    expect(port.up).toBe(true);
    const received: Buffer[] = [];
    port.connect((frames) => received.push(...frames.map((f) => Buffer.from(f))));
    const frames = [
      Buffer.from('ff03c021010100040', 'hex'),
      Buffer.from([0xff, 3, 0, 0x21, 0x7e, 0x7d, 0]),
    ];
    port.send(frames);
    expect(await until(() => received.length === 2)).toBe(true);
    expect(received).toEqual(frames);
    expect(port.snapshot()).toMatchObject({
      linkType: 'ppp',
      rx: { frames: 2 },
      tx: { frames: 2 },
    });
  });

  it('stop() ends the process, and the port is down afterwards', async () => {
    const port = await start(['cat']);
    const pid = port.pid;
    expect(pid).toBeDefined();
    await port.stop();
    expect(port.pid).toBeUndefined();
    expect(port.up).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    port.send([Buffer.from('ff03c021', 'hex')]);
    expect(port.tx.portDown).toBe(1);
  });

  it('restarts a process that exits, counting every exit as pppd-exit, and logs each run', async () => {
    const port = await start(['false']);
    // The first restart comes 2 s after the first exit (net-tools' loop-pppd.sh waits 2 s).
    expect(await until(() => port.extraCount('pppd-exit') >= 2, 20_000)).toBe(true);
    expect(port.lastExit).toEqual({ code: 1, signal: null });
    expect(port.up).toBe(false);
    const log = readFileSync(join(dir, 'pppd.log'), 'utf8');
    expect(log).toMatch(/starting false/);
    expect(log).toMatch(/pppd exited with status 1 \(an immediately fatal error\)/);
  });

  it('keeps its administrative state across restarts: a port set down stays down', async () => {
    const port = await start(['cat']);
    const first = port.pid;
    if (first === undefined) throw new Error('cat did not start');
    port.setUp(false);
    expect(port.up).toBe(false);
    process.kill(first, 'SIGKILL');
    expect(await until(() => port.pid !== undefined && port.pid !== first)).toBe(true);
    expect(port.extraCount('pppd-exit')).toBe(1);
    expect(port.up).toBe(false);
    port.setUp(true);
    expect(port.up).toBe(true);
  });
});

describe('the kernel check before pppd starts', () => {
  it('accepts a device that opens', () => {
    expect(pppKernelProblem('/dev/null')).toBeUndefined();
  });

  it('names the missing kernel support, or the missing device node, in one sentence', () => {
    const problem = pppKernelProblem(join(dir, 'no-such-ppp'));
    const hasPpp = /^\s*108\s+ppp\s*$/m.test(readFileSync('/proc/devices', 'utf8'));
    expect(problem?.permission).toBe(false);
    expect(problem?.message).toMatch(
      hasPpp
        ? /^the kernel has PPP but .* does not exist; create it with "mknod .* c 108 0"$/
        : /^this kernel has no PPP support \(.* does not exist\); load it with "modprobe -a ppp_generic ppp_async", or use a kernel built with CONFIG_PPP and CONFIG_PPP_ASYNC$/,
    );
  });
});
