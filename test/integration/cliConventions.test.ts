// CLI conventions a new user expects: `--help` on every command, a clear exit status for a lab
// that is not there, flags checked before anything starts, binary output never sent to a
// terminal. No lab is needed: each case fails (or answers) before one would be.
import { execFile } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CliEnv } from '../helpers/cli.js';

const env = new CliEnv();

afterAll(() => env.dispose());

describe('the netweave command line', () => {
  it.each(['up', 'down', 'status', 'exec', 'impair', 'faults', 'capture', 'import-zephyr'])(
    '`netweave %s --help` prints that command’s usage and exits 0',
    async (cmd) => {
      const r = await env.run([cmd, '--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.startsWith(`Usage:\n  netweave ${cmd}`)).toBe(true);
    },
  );

  it('`exec NODE -- CMD --help` passes --help to the command, not to netweave', async () => {
    const r = await env.run(['exec', 'h1', '--', 'ls', '--help']);
    expect(r.stdout).not.toContain('Usage:\n  netweave exec');
    expect(r.stderr).toContain('no lab is running');
  });

  it('`status NAME` of a lab that is not there says so and exits 1', async () => {
    const r = await env.run(['status', 'typo']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'netweave: lab typo is not running; `netweave status` lists the labs that are',
    );
  });

  it('`down FILE` of a file that is not there says so in one sentence and exits 1', async () => {
    const r = await env.run(['down', 'nosuch.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'netweave: "nosuch.yaml" is neither a lab\'s name nor a topology file that exists; `netweave status` lists the running labs',
    );
  });

  it('started as a program, Node runs the CLI without NODE_EXTRA_CA_CERTS (no certificate file read)', async () => {
    // Node reads the file before any code runs and warns when it cannot: a file that does not
    // exist shows whether the variable reached the CLI's Node.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/netweave-ca.pem' };
    const run = (cmd: string, args: string[]): Promise<{ out: string; err: string }> =>
      new Promise((res, rej) => {
        execFile(cmd, args, { env }, (error, out, err) =>
          error ? rej(new Error(`${cmd} failed: ${err}`, { cause: error })) : res({ out, err }),
        );
      });
    const asProgram = await run(BIN, ['--version']);
    expect(asProgram.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(asProgram.err).not.toContain('extra certs');
    // Run through node itself, the variable is there (and Node says so): the check can fail.
    const throughNode = await run(process.execPath, [BIN, '--version']);
    expect(throughNode.err).toContain('extra certs');
  });

  it('an unknown command lists every command', async () => {
    const r = await env.run(['bogus']);
    expect(r.code).toBe(2);
    for (const c of ['impair', 'faults', 'reset', 'link']) expect(r.stderr).toContain(c);
  });

  it('`capture --duration abc` is refused before it starts', async () => {
    const r = await env.run(['capture', 'h1:eth0', '--duration', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'netweave: --duration takes a number of seconds greater than 0, not "abc"',
    );
  });
});
