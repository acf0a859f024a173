// fvp supervision end to end against a STAND-IN model (test/fixtures/fvp-standin/fvp-standin.py;
// the real Arm FVP cannot be installed here): it records its argv and prints like a model.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../src/shared/contract.js';
import { CliEnv, IS_ROOT, leftovers, ROOT, until } from '../helpers/cli.js';

const STANDIN = join(ROOT, 'test', 'fixtures', 'fvp-standin', 'fvp-standin.py');

function writeLab(env: CliEnv, name: string, node: string): { file: string; dir: string } {
  const dir = join(env.runtime, '..', 'files', name);
  mkdirSync(join(dir, 'models'), { recursive: true });
  const model = join(dir, 'models', 'FVP_Base_RevC-2xAEMvA');
  copyFileSync(STANDIN, model);
  chmodSync(model, 0o755);
  mkdirSync(join(dir, 'build', 'zephyr'), { recursive: true });
  writeFileSync(join(dir, 'build', 'zephyr', 'zephyr.elf'), 'not really an ELF');
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, `name: ${name}\nnodes:\n  fvp1:\n${node}`);
  return { file, dir };
}

describe.skipIf(!IS_ROOT)('fvp node with a stand-in model', () => {
  const env = new CliEnv();
  afterAll(async () => {
    await env.run(['down', 'fvp-standin']);
    env.dispose();
  });

  it('launches the model with the exact argv, becomes ready on the banner, and shows the console', async () => {
    const { file, dir } = writeLab(
      env,
      'fvp-standin',
      `    kind: fvp
    path: models
    elf: build/zephyr/zephyr.elf
    forwards: [8022=22, 127.0.0.1:5080=80]
`,
    );
    const up = await env.run(['up', file, '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const status = JSON.parse(
      (await env.run(['status', 'fvp-standin', '--json'])).stdout,
    ) as LabStatus;
    expect(status.nodes.find((n) => n.name === 'fvp1')?.state).toBe('ready');
    const argv = JSON.parse(readFileSync(join(dir, 'models', 'argv.json'), 'utf8')) as string[];
    expect(argv.slice(1)).toEqual([
      '-C',
      'bp.pl011_uart0.out_file=-',
      '-C',
      'bp.pl011_uart0.unbuffered_output=1',
      '-C',
      'bp.terminal_0.start_telnet=0',
      '-C',
      'bp.vis.disable_visualisation=1',
      '-C',
      'bp.smsc_91c111.enabled=1',
      '-C',
      'bp.hostbridge.userNetworking=1',
      '-C',
      'bp.hostbridge.userNetPorts=8022=22,127.0.0.1:5080=80',
      '-a',
      join(dir, 'build', 'zephyr', 'zephyr.elf'),
    ]);
    const con = env.spawn(['console', 'fvp1', '--lab', 'fvp-standin']);
    let out = '';
    con.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    expect(
      await until(() => out.includes('Listening for serial connection on port 5000'), 10_000),
    ).toBe(true);
    expect(out).toContain('*** Booting Zephyr OS build');
    con.stdin?.write('typed-into-fvp\r');
    expect(await until(() => out.includes('TYPED-INTO-FVP'), 10_000)).toBe(true);
    con.stdin?.write('\x1d');
    await new Promise((r) => con.once('exit', r));
    expect((await env.run(['down', 'fvp-standin'])).code).toBe(0);
    expect(await leftovers(env, 'fvp-standin')).toEqual([]);
  });

  it('a missing model binary fails with one sentence before anything starts', async () => {
    const { file } = writeLab(
      env,
      'fvp-nomodel',
      '    kind: fvp\n    path: models\n    model: FVP_Nowhere\n    elf: build/zephyr/zephyr.elf\n',
    );
    const r = await env.run(['up', file, '--detach']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /fvp node "fvp1" cannot start: .*FVP_Nowhere not found; install the Arm FVP/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await leftovers(env, 'fvp-nomodel')).toEqual([]);
  });
});
