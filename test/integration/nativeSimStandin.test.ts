// native-sim end to end against a STAND-IN for zephyr.exe (test/fixtures/zephyr/native-sim-standin.py;
// there is no real Zephyr build here): the real CLI and engine, the node's namespace with its
// zeth TAP, bridge and engine TAP, the fabric, and the UART pty console.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import { CliEnv, IS_ROOT, leftovers, ROOT, until } from '../helpers/cli.js';

const STANDIN = join(ROOT, 'test', 'fixtures', 'zephyr', 'native-sim-standin.py');

/** Writes a lab file with the stand-in copied next to it as ./zephyr.exe. */
function writeLab(env: CliEnv, name: string, yaml: string, exeMode = 0o755): string {
  const dir = join(env.runtime, '..', 'files', name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(STANDIN, join(dir, 'zephyr.exe'));
  chmodSync(join(dir, 'zephyr.exe'), exeMode);
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, yaml);
  return file;
}

const LAB = `name: nsim
nodes:
  zs:
    kind: native-sim
    exe: ./zephyr.exe
    ipv4: 192.0.2.1/24
    mac: 00:00:5e:00:53:01
    rt: false
  h1:
    kind: host
    interfaces:
      eth0: { ipv4: [192.0.2.2/24] }
  sw: { kind: switch }
links:
  - endpoints: [zs:eth0, sw]
  - endpoints: [h1:eth0, sw]
`;

function frames(snap: CounterSnapshot, id: string): { rx: number; tx: number } {
  const p = snap.ports.find((x) => x.port === id);
  if (!p) throw new Error(`no port ${id}`);
  return { rx: p.rx.frames, tx: p.tx.frames };
}

describe.skipIf(!IS_ROOT)('native-sim with a stand-in zephyr.exe', () => {
  const env = new CliEnv();
  afterAll(async () => {
    await env.run(['down', 'nsim']);
    env.dispose();
  });

  it('a host pings the stand-in through its TAP, bridge and the fabric, and port counters move', async () => {
    const up = await env.run(['up', writeLab(env, 'nsim', LAB), '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const status = JSON.parse((await env.run(['status', 'nsim', '--json'])).stdout) as LabStatus;
    const zs = status.nodes.find((n) => n.name === 'zs');
    expect(zs?.state).toBe('ready');
    expect(zs?.ports.map((p) => p.id)).toEqual(['zs:eth0']);

    // The stand-in was told which TAP to open, and it lives in the node's namespace.
    const links = await env.run(['exec', 'zs', '--lab', 'nsim', '--', 'ip', '-br', 'link']);
    expect(links.stdout).toMatch(/^zeth\s/m);
    expect(links.stdout).toMatch(/^nwbr0\s/m);
    expect(links.stdout).toMatch(/^nwfab0\s/m);

    const before = JSON.parse(
      (await env.run(['stats', '--lab', 'nsim', '--json'])).stdout,
    ) as CounterSnapshot;
    const ping = await env.run([
      'exec',
      'h1',
      '--lab',
      'nsim',
      '--',
      'ping',
      '-c',
      '3',
      '-i',
      '0.2',
      '-W',
      '5',
      '192.0.2.1',
    ]);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/3 received/);
    const after = JSON.parse(
      (await env.run(['stats', '--lab', 'nsim', '--json'])).stdout,
    ) as CounterSnapshot;
    // At least the 3 echo replies came from the stand-in and the 3 requests went to it.
    expect(frames(after, 'zs:eth0').rx - frames(before, 'zs:eth0').rx).toBeGreaterThanOrEqual(3);
    expect(frames(after, 'zs:eth0').tx - frames(before, 'zs:eth0').tx).toBeGreaterThanOrEqual(3);
  });

  it("the node's console is the UART pty: it shows the prompt and takes input", async () => {
    const con = env.spawn(['console', 'zs', '--lab', 'nsim']);
    let out = '';
    con.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    expect(await until(() => out.includes('uart:~$'), 10_000)).toBe(true);
    con.stdin?.write('hello-standin\r');
    // The stand-in answers a line in upper case: the echo of the input cannot match this.
    expect(await until(() => out.includes('HELLO-STANDIN'), 10_000)).toBe(true);
    con.stdin?.write('\x1d');
    expect(await new Promise((r) => con.once('exit', r))).toBe(0);
  });

  it('`down` leaves nothing behind', async () => {
    expect((await env.run(['down', 'nsim'])).code).toBe(0);
    expect(await leftovers(env, 'nsim')).toEqual([]);
  });
});

describe.skipIf(!IS_ROOT)('native-sim with a zephyr.exe that cannot run', () => {
  const env = new CliEnv();
  afterAll(() => env.dispose());

  it('a missing exe fails with one sentence before anything starts and leaves nothing', async () => {
    const file = writeLab(
      env,
      'nsim-missing',
      LAB.replace('name: nsim', 'name: nsim-missing').replace(
        './zephyr.exe',
        './build/zephyr/zephyr.exe',
      ),
    );
    const r = await env.run(['up', file, '--detach']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /native-sim node "zs" cannot start: .*build\/zephyr\/zephyr\.exe not found/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await leftovers(env, 'nsim-missing')).toEqual([]);
  });

  it('a non-executable exe fails with one sentence and leaves nothing', async () => {
    const file = writeLab(
      env,
      'nsim-noexec',
      LAB.replace('name: nsim', 'name: nsim-noexec'),
      0o644,
    );
    const r = await env.run(['up', file, '--detach']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /native-sim node "zs" cannot start: .*zephyr\.exe is not an executable file/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await leftovers(env, 'nsim-noexec')).toEqual([]);
  });
});
