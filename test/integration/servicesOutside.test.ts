// End to end: the ways out of a lab. Isolated mode through pasta when slirp4netns is not
// installed (hidden by a private mount namespace), stopped with the lab on `down` and after the
// engine was killed with SIGKILL; the refusal when neither tool is installed. Host mode with two
// NAT labs on one machine (a namespace T standing in for it): the first lab taken down leaves
// net.ipv4.ip_forward at 1 for the second, which puts back the machine's original 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, CliEnv, IS_ROOT, leftovers, until, type CliResult } from '../helpers/cli.js';
import {
  machineState,
  must,
  OUTSIDE_IP,
  removeNetns,
  sh,
  startOutside,
} from '../helpers/outside.js';

/** The outside's server port and answer. */
const OUTSIDE_PORT = '18081';
const GREETING = 'hello-through-the-way-out';

function writeLab(env: CliEnv, name: string, yaml: string): string {
  const dir = join(env.runtime, '..', 'files');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** A lab with one host node whose default route is the switch's NAT address. */
function labYaml(name: string, net = '192.0.2'): string {
  const host = net === '192.0.2' ? '{}' : `{ipv4: ${net}.2/24}`;
  return `
name: ${name}
nodes:
  h1:
    kind: host
    interfaces:
      eth0: {ipv4: ${net}.10/24}
    routes:
      - {to: default, via: ${net}.2}
  sw:
    kind: switch
    host: ${host}
    services: {nat: true}
links:
  - endpoints: [h1:eth0, sw]
`;
}

/** Asks the outside's server through node h1 (a TCP connection through the NAT). */
function fetchArgs(lab: string): string[] {
  // (busybox 1.35's wget crashes with -T.)
  const url = `http://${OUTSIDE_IP}:${OUTSIDE_PORT}/`;
  return ['exec', 'h1', '--lab', lab, '--', 'busybox', 'wget', '-q', '-O', '-', url];
}

/** Pids of processes whose command line mentions `text` (e.g. a lab's runtime directory). */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'latin1').includes(text)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

function pastaOf(env: CliEnv, lab: string): number[] {
  const pidFile = join(env.labDir(lab), 'pasta.pid');
  return processesMentioning(pidFile).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0]?.endsWith('pasta');
    } catch {
      return false;
    }
  });
}

/**
 * Isolated mode with slirp4netns hidden: /dev/null (not executable) is bound over it in a
 * private mount namespace held by a sleeping process. The CLI runs in that mount namespace
 * and in the outside's network namespace O.
 */
describe.skipIf(!IS_ROOT)('isolated NAT through pasta when slirp4netns is not installed', () => {
  const env = new CliEnv();
  const lab = 'out-pasta';
  const O = `nwt-op-${process.pid}`;
  let server: ChildProcess | undefined;
  let holder: ChildProcess | undefined;
  const run = (args: string[]): Promise<CliResult> =>
    sh(
      [
        'nsenter',
        '-t',
        String(holder?.pid),
        '-m',
        'ip',
        'netns',
        'exec',
        O,
        process.execPath,
        BIN,
        ...args,
      ],
      env.env,
    );
  const hide = (path: string): Promise<CliResult> =>
    sh(['nsenter', '-t', String(holder?.pid), '-m', 'mount', '--bind', '/dev/null', path]);

  beforeAll(async () => {
    server = await startOutside(O, { port: OUTSIDE_PORT, greeting: GREETING, http: true });
    // Created after O, so that O's /run/netns entry is in the holder's mount namespace.
    holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '3600'], {
      stdio: 'ignore',
    });
    const pid = String(holder.pid);
    const ready = await until(async () => {
      const a = await sh(['readlink', `/proc/${pid}/ns/mnt`]);
      const b = await sh(['readlink', '/proc/self/ns/mnt']);
      return a.code === 0 && a.stdout !== b.stdout;
    }, 10_000);
    expect(ready).toBe(true);
    const hidden = await hide('/usr/bin/slirp4netns');
    expect(hidden.code, hidden.stderr).toBe(0);
  });

  afterAll(async () => {
    if (holder !== undefined) {
      await run(['down', lab]);
      holder.kill('SIGKILL');
    }
    server?.kill('SIGKILL');
    await removeNetns(O);
    env.dispose();
  });

  it('reaches the outside through pasta and stops it on down', async () => {
    const up = await run(['up', writeLab(env, lab, labYaml(lab)), '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const status = JSON.parse((await run(['status', lab, '--json'])).stdout) as {
      logDir: string;
    };
    expect(readFileSync(join(status.logDir, 'engine.log'), 'utf8')).toMatch(
      /the lab reaches the outside through pasta \(pid \d+\)/,
    );
    expect(pastaOf(env, lab)).toHaveLength(1);

    const got = await run(fetchArgs(lab));
    expect(got.stdout, got.stderr).toContain(GREETING);

    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await until(() => processesMentioning(env.labDir(lab)).length === 0, 15_000)).toBe(true);
    expect(await leftovers(env, lab)).toEqual([]);
  });

  it('stops pasta when the engine is killed with SIGKILL, before any down', async () => {
    const up = await run(['up', writeLab(env, lab, labYaml(lab)), '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const status = JSON.parse((await run(['status', lab, '--json'])).stdout) as {
      enginePid: number;
    };
    const pasta = pastaOf(env, lab);
    expect(pasta).toHaveLength(1);
    process.kill(status.enginePid, 'SIGKILL');
    // The tether sees the lifetime FIFO hang up and stops pasta; nobody ran `down` yet.
    expect(await until(() => processesMentioning(env.labDir(lab)).length === 0, 15_000)).toBe(true);

    const down = await run(['down', lab]);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(env, lab)).toEqual([]);
  });

  it('refuses in one sentence when neither slirp4netns nor pasta is installed', async () => {
    const hidden = await hide('/usr/bin/pasta');
    expect(hidden.code, hidden.stderr).toBe(0);
    const up = await run(['up', writeLab(env, lab, labYaml(lab)), '--detach']);
    expect(up.code).not.toBe(0);
    expect(up.stderr).toMatch(
      /NAT in isolated mode needs slirp4netns or pasta, and neither is installed; install one \(apt install slirp4netns, or apt install passt\) or run the lab with --network host/,
    );
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(await leftovers(env, lab)).toEqual([]);
  });
});

async function ipForward(ns: string): Promise<string> {
  return (await must(['ip', 'netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/ip_forward'])).trim();
}

describe.skipIf(!IS_ROOT)('two host-mode NAT labs on one machine', () => {
  const env = new CliEnv();
  const labA = 'out-host-a';
  const labB = 'out-host-b';
  const O = `nwt-oh-${process.pid}`;
  const T = `nwt-th-${process.pid}`;
  let server: ChildProcess | undefined;
  const run = (args: string[]): Promise<CliResult> =>
    sh(['ip', 'netns', 'exec', T, process.execPath, BIN, ...args], env.env);
  const upBoth = async (): Promise<void> => {
    const a = await run([
      'up',
      writeLab(env, labA, labYaml(labA)),
      '--detach',
      '--network',
      'host',
    ]);
    expect(a.code, a.stderr + a.stdout).toBe(0);
    const b = await run([
      'up',
      writeLab(env, labB, labYaml(labB, '198.51.100')),
      '--detach',
      '--network',
      'host',
    ]);
    expect(b.code, b.stderr + b.stdout).toBe(0);
    expect(await ipForward(T)).toBe('1');
  };

  beforeAll(async () => {
    server = await startOutside(O, { port: OUTSIDE_PORT, greeting: GREETING, http: true }, T);
    await must(['ip', 'netns', 'exec', T, 'iptables', '-P', 'FORWARD', 'DROP']);
  });

  afterAll(async () => {
    await run(['down', labA]);
    await run(['down', labB]);
    server?.kill('SIGKILL');
    await removeNetns(O, T);
    env.dispose();
  });

  it('keeps ip_forward for the lab still up and restores it when the last one goes down', async () => {
    const before = await machineState(T);
    expect(before).toMatch(/ip_forward=0/);
    await upBoth();

    const downA = await run(['down', labA]);
    expect(downA.code, downA.stderr).toBe(0);
    expect(await ipForward(T)).toBe('1');
    const got = await run(fetchArgs(labB));
    expect(got.stdout, got.stderr).toContain(GREETING);

    const downB = await run(['down', labB]);
    expect(downB.code, downB.stderr).toBe(0);
    expect(await machineState(T)).toBe(before);
    expect(await leftovers(env, labA)).toEqual([]);
    expect(await leftovers(env, labB)).toEqual([]);
  });

  it('hands the value over from a lab whose engine was killed with SIGKILL', async () => {
    const before = await machineState(T);
    await upBoth();
    const status = JSON.parse((await run(['status', labA, '--json'])).stdout) as {
      enginePid: number;
    };
    process.kill(status.enginePid, 'SIGKILL');
    await until(async () => (await sh(['kill', '-0', String(status.enginePid)])).code !== 0);

    const downA = await run(['down', labA]);
    expect(downA.code, downA.stderr).toBe(0);
    expect(await ipForward(T)).toBe('1');
    const got = await run(fetchArgs(labB));
    expect(got.stdout, got.stderr).toContain(GREETING);

    const downB = await run(['down', labB]);
    expect(downB.code, downB.stderr).toBe(0);
    expect(await machineState(T)).toBe(before);
    expect(await leftovers(env, labA)).toEqual([]);
    expect(await leftovers(env, labB)).toEqual([]);
  });

  it('puts back the original value when the second lab goes down first', async () => {
    const before = await machineState(T);
    await upBoth();
    const downB = await run(['down', labB]);
    expect(downB.code, downB.stderr).toBe(0);
    expect(await ipForward(T)).toBe('1');
    const got = await run(fetchArgs(labA));
    expect(got.stdout, got.stderr).toContain(GREETING);
    const downA = await run(['down', labA]);
    expect(downA.code, downA.stderr).toBe(0);
    expect(await machineState(T)).toBe(before);
  });
});
