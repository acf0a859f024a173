// `netweave up` starts the lab's engine while the CLI is still loading (src/engine/warmEngine.ts):
// the engine that runs the lab is that process, tagged like any engine; a warm engine that is
// not used (invalid file, a guess validation contradicts) is gone with its log, and nothing of
// it outlives the command.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../src/shared/contract.js';
import { labId } from '../../src/engine/paths.js';
import { CliEnv, IS_ROOT, leftovers, pingArgs, until } from '../helpers/cli.js';

const env = new CliEnv();
const files = join(env.runtime, '..', 'files');
mkdirSync(files, { recursive: true });
const started = new Set<string>();

afterAll(async () => {
  for (const lab of started) await env.run(['down', lab]);
  env.dispose();
});

function lab(name: string, head = `name: ${name}\n`): string {
  const f = join(files, `${name}.yaml`);
  writeFileSync(
    f,
    `${head}nodes:
  a: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.1/24]}}}
  b: {kind: host, interfaces: {eth0: {ipv4: [192.0.2.2/24]}}}
  sw: {kind: switch}
links:
  - endpoints: [a:eth0, sw]
  - endpoints: [b:eth0, sw]
`,
  );
  return f;
}

/** Processes of warm engines started under this test's log folder (their --warm-log is there). */
function warmProcesses(): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const log = cmd[cmd.indexOf('--warm-log') + 1];
      if (cmd.includes('--warm') && log?.startsWith(`${env.logs}/`)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Warm engines' own logs left in the log folder. */
function warmLogs(): string[] {
  return existsSync(env.logs) ? readdirSync(env.logs).filter((f) => f.startsWith('.warm-')) : [];
}

async function status(name: string): Promise<LabStatus> {
  const r = await env.run(['status', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as LabStatus;
}

describe('the warm engine of `netweave up`', () => {
  it('runs the lab: the engine is the process started early, tagged with the lab, its output in the run log', async () => {
    const f = lab('warm-a');
    started.add('warm-a');
    const up = await env.run(['up', f, '--detach']);
    expect(up.code, up.stderr).toBe(0);
    const ping = await env.run(pingArgs('a', '192.0.2.2', 2, 'warm-a'));
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);

    const record = JSON.parse(readFileSync(join(env.labDir('warm-a'), 'engine.json'), 'utf8')) as {
      enginePid: number;
      logDir: string;
    };
    const cmdline = readFileSync(`/proc/${record.enginePid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain('--warm');
    const environ = readFileSync(`/proc/${record.enginePid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(
      `NETWEAVE_LAB_ID=${labId('warm-a', process.getuid?.() ?? 0, env.runtime)}`,
    );
    expect(existsSync(join(record.logDir, 'engine.log'))).toBe(true);
    expect(warmLogs()).toEqual([]);
    expect((await status('warm-a')).state).toBe('running');

    const down = await env.run(['down', 'warm-a']);
    expect(down.code, down.stderr).toBe(0);
    started.delete('warm-a');
    expect(await leftovers(env, 'warm-a')).toEqual([]);
    expect(warmProcesses()).toEqual([]);
  });

  it('an invalid file: the warm engine is gone with its log once the command has answered', async () => {
    const f = join(files, 'bad.yaml');
    writeFileSync(f, 'name: warm-bad\nnodes:\n  a: {kind: bogus}\n');
    const up = await env.run(['up', f, '--detach']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/unknown kind "bogus"/);
    expect(await until(() => warmProcesses().length === 0 && warmLogs().length === 0, 20_000)).toBe(
      true,
    );
    expect(await leftovers(env, 'warm-bad')).toEqual([]);
  });

  it.skipIf(!IS_ROOT && process.env['CI'] !== 'true')(
    'a guess validation contradicts (a quoted "network" key says host): a fresh engine runs the lab in host mode',
    async () => {
      const f = lab('warm-h', 'name: warm-h\n"network": host\n');
      started.add('warm-h');
      const up = await env.run(['up', f, '--detach']);
      expect(up.code, up.stderr).toBe(0);
      expect((await status('warm-h')).network).toBe('host');
      const record = JSON.parse(
        readFileSync(join(env.labDir('warm-h'), 'engine.json'), 'utf8'),
      ) as { enginePid: number };
      expect(readFileSync(`/proc/${record.enginePid}/cmdline`, 'utf8').split('\0')).not.toContain(
        '--warm',
      );
      const ping = await env.run(pingArgs('a', '192.0.2.2', 2, 'warm-h'));
      expect(ping.code, ping.stdout + ping.stderr).toBe(0);
      expect(warmProcesses()).toEqual([]);
      expect(warmLogs()).toEqual([]);

      const down = await env.run(['down', 'warm-h']);
      expect(down.code, down.stderr).toBe(0);
      started.delete('warm-h');
      expect(await leftovers(env, 'warm-h')).toEqual([]);
    },
  );
});
