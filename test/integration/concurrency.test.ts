// Concurrent commands on one lab (issue 15): two `up` at once start one engine at most and the
// other says why in one sentence; `down` during `up` stops the deploy, and both commands say so;
// nothing is left behind either way. Isolated mode: no root needed, so none is asked for.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineAlive, readEngineRecord } from '../../src/engine/host/cleanup.js';
import { CliEnv, IS_ROOT, leftovers, type CliResult } from '../helpers/cli.js';

const env = new CliEnv();
const files = join(env.runtime, '..', 'files');
mkdirSync(files, { recursive: true });
process.env['NETWEAVE_RUNTIME_DIR'] = env.runtime;

afterAll(async () => {
  for (const lab of ['race-up', 'race-down', 'race-early', 'killed', 'no-shell', 'host-killed'])
    await env.run(['down', lab]);
  env.dispose();
});

/** A two-host lab; `slow` makes node b wait 40 s for a line its shell never prints. */
function lab(name: string, slow = false): string {
  const f = join(files, `${name}.yaml`);
  const ready = slow ? ', ready: {pattern: NEVER-PRINTED, timeout: 40}' : '';
  writeFileSync(
    f,
    `name: ${name}
nodes:
  a: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.1/24]}}}
  b: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.2/24]}}${ready}}
  sw: {kind: switch}
links:
  - endpoints: [a:eth0, sw]
  - endpoints: [b:eth0, sw]
`,
  );
  return f;
}

/** Live engine processes of a lab: node processes running the daemon, tagged with its folder. */
function engines(name: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0] !== process.execPath || !/daemon\.c?js$/.test(cmd[1] ?? '')) continue;
      if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      const envs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (envs.includes(`NETWEAVE_LAB_DIR=${env.labDir(name)}`)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `up --detach` started in the background, its output gathered as it comes. */
function startUp(file: string): {
  out: () => string;
  err: () => string;
  done: Promise<number | null>;
  until: (text: string) => Promise<void>;
} {
  const up = env.spawn(['up', file, '--detach']);
  let out = '';
  let err = '';
  up.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  up.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((r) => up.once('exit', (code) => r(code)));
  return {
    out: () => out,
    err: () => err,
    done,
    until: async (text) => {
      const started = Date.now();
      while (!out.includes(text) && Date.now() - started < 60_000) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toContain(text);
    },
  };
}

/** One line, no stack trace, names the problem. */
function oneSentence(r: CliResult): string {
  const text = r.stderr.trim();
  expect(text.split('\n')).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at |ENOENT|nsenter|Cannot find device/);
  return text;
}

describe('concurrent commands on one lab', () => {
  it('two `up` at once: one engine, the other refuses in one sentence', async () => {
    const file = lab('race-up');
    for (let trial = 0; trial < 3; trial++) {
      const [x, y] = await Promise.all([
        env.run(['up', file, '--detach']),
        env.run(['up', file, '--detach']),
      ]);
      const ok = [x, y].filter((r) => r.code === 0);
      const refused = [x, y].filter((r) => r.code !== 0);
      expect(ok, `${x.stderr}\n${y.stderr}`).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(oneSentence(refused[0] as CliResult)).toMatch(
        /lab "race-up" is (already running|being changed by `netweave up )/,
      );
      expect(engines('race-up')).toHaveLength(1);
      expect(engineAlive(readEngineRecord('race-up'))).toBe(true);
      const down = await env.run(['down', 'race-up']);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(env, 'race-up')).toEqual([]);
    }
  });

  it('`down` during `up` stops the deploy; both say so; nothing is left', async () => {
    const file = lab('race-down', true);
    const up = startUp(file);
    const started = Date.now();
    // Node b waits in its start for a ready pattern its shell never prints.
    await up.until('starting b');
    const down = await env.run(['down', 'race-down']);
    const upCode = await up.done;
    expect(Date.now() - started).toBeLessThan(38_000); // not the 40 s ready timeout
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout.trim()).toBe(
      'lab race-down was still starting; its start was stopped and it is down',
    );
    expect(upCode).not.toBe(0);
    expect(up.err().trim()).toBe(
      'netweave: lab race-down failed to start: it was taken down (netweave down) while it was starting; nothing was left behind',
    );
    expect(engines('race-down')).toEqual([]);
    expect(await leftovers(env, 'race-down')).toEqual([]);
  });

  it('`down` right after `up` starts: serialised, never a lab running after "is down"', async () => {
    const file = lab('race-early');
    for (const delayMs of [0, 150, 400]) {
      const up = env.run(['up', file, '--detach']);
      await new Promise((r) => setTimeout(r, delayMs));
      const down = await env.run(['down', 'race-early']);
      const u = await up;
      expect(down.code, down.stderr).toBe(0);
      if (u.code !== 0) oneSentence(u);
      const running = engineAlive(readEngineRecord('race-early'));
      if (running) {
        // `down` ran before `up` had made anything: it said so, and the lab came up after.
        expect(down.stdout).toContain('is not running');
        expect(u.code).toBe(0);
        expect((await env.run(['down', 'race-early'])).code).toBe(0);
      }
      expect(engines('race-early')).toEqual([]);
      expect(await leftovers(env, 'race-early')).toEqual([]);
    }
  });
});

describe('a deploy that cannot finish says why', () => {
  it('an engine killed during `up`: the reason is that it was killed', async () => {
    const file = lab('killed', true);
    const up = startUp(file);
    await up.until('starting b');
    const rec = readEngineRecord('killed');
    expect(rec?.enginePid).toBeGreaterThan(0);
    process.kill(rec?.enginePid ?? 0, 'SIGKILL');
    expect(await up.done).not.toBe(0);
    expect(up.err().trim()).toBe(
      'netweave: lab killed failed to start: its engine process was killed by a signal; nothing was left behind',
    );
    // Dead at once, not "already running" while the kernel reaps it.
    const st = await env.run(['status', 'killed']);
    expect(st.stdout).not.toContain('already running');
    expect(await leftovers(env, 'killed')).toEqual([]);
  });

  it('a host node whose shell does not exist fails the deploy, naming node and shell', async () => {
    const f = join(files, 'no-shell.yaml');
    writeFileSync(
      f,
      'name: no-shell\nnodes:\n  h1: {kind: host, shell: [/nonexistent/bin/sh, -i]}\n',
    );
    const r = await env.run(['up', f, '--detach']);
    expect(r.code).not.toBe(0);
    expect(oneSentence(r)).toBe(
      'netweave: lab no-shell failed to start: the shell of node "h1" cannot run: /nonexistent/bin/sh not found; fix `shell:` or install it; nothing was left behind',
    );
    expect(await leftovers(env, 'no-shell')).toEqual([]);
  });

  it.runIf(IS_ROOT)('a host-mode engine killed with SIGKILL is dead at once for `up`', async () => {
    const file = lab('host-killed');
    const first = await env.run(['up', file, '--detach', '--network', 'host']);
    expect(first.code, first.stderr).toBe(0);
    const rec = readEngineRecord('host-killed');
    process.kill(rec?.enginePid ?? 0, 'SIGKILL');
    const again = await env.run(['up', file, '--detach', '--network', 'host']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('leftover objects of an earlier run of lab "host-killed"');
    expect((await env.run(['down', 'host-killed'])).code).toBe(0);
    expect(await leftovers(env, 'host-killed')).toEqual([]);
  });
});
