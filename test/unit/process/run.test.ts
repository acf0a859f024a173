import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/shared/contract.js';
import {
  execOutput,
  MAX_CAPTURE_BYTES,
  runChecked,
  runCommand,
  toExecResult,
} from '../../../src/engine/process/run.js';

describe('runCommand', () => {
  it('reports exit code, stdout and stderr', async () => {
    const r = await runCommand(['sh', '-c', 'echo out; echo err >&2; exit 4']);
    expect(r).toEqual({
      exitCode: 4,
      signal: null,
      stdout: 'out\n',
      stderr: 'err\n',
      bytes: { stdout: Buffer.from('out\n'), stderr: Buffer.from('err\n') },
      timedOut: false,
      truncated: false,
    });
  });

  it('keeps output as bytes, cuts it at the limit and says so; exec results carry base64', async () => {
    const r = await runCommand([
      'sh',
      '-c',
      `printf '\\000\\377'; head -c ${MAX_CAPTURE_BYTES + 10} /dev/zero >&2`,
    ]);
    expect(r.bytes.stdout).toEqual(Buffer.from([0, 255]));
    expect(r.bytes.stderr.length).toBe(MAX_CAPTURE_BYTES);
    expect(r.truncated).toBe(true);
    const wire = toExecResult(r);
    expect(wire.encoding).toBe('base64');
    expect(wire.truncated).toBe(true);
    expect(execOutput(wire, 'stdout')).toEqual(Buffer.from([0, 255]));
    expect(execOutput(wire, 'stderr').length).toBe(MAX_CAPTURE_BYTES);
  });

  it('passes arguments verbatim, never through a shell', async () => {
    const arg = '$(echo injected); `id` | rm -rf / ; *';
    const r = await runCommand(['printf', '%s', arg]);
    expect(r.stdout).toBe(arg);
  });

  it('feeds input to stdin', async () => {
    const r = await runCommand(['cat'], { input: 'line one\nline two\n' });
    expect(r.stdout).toBe('line one\nline two\n');
  });

  it('uses the given cwd and env (env replaces the environment)', async () => {
    const r = await runCommand(['/bin/sh', '-c', 'pwd; echo "$ONLY"; echo "${HOME:-unset}"'], {
      cwd: '/tmp',
      env: { ONLY: 'this', PATH: '/usr/bin:/bin' },
    });
    expect(r.stdout).toBe('/tmp\nthis\nunset\n');
  });

  it('kills a command that exceeds its timeout with SIGKILL', async () => {
    const started = Date.now();
    const r = await runCommand(['sleep', '30'], { timeoutMs: 300 });
    expect(r.signal).toBe('SIGKILL');
    expect(r.exitCode).toBeNull();
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('rejects a missing command with one sentence', async () => {
    const err = await runCommand(['netweave-no-such-tool', 'x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('missing-binary');
    expect((err as Error).message).toBe(
      'cannot run netweave-no-such-tool: it is not installed or not on PATH',
    );
  });

  it('rejects a missing working directory with one sentence', async () => {
    await expect(runCommand(['true'], { cwd: '/nonexistent-netweave-dir' })).rejects.toThrow(
      'cannot run true: working directory /nonexistent-netweave-dir does not exist',
    );
  });
});

describe('runChecked', () => {
  it('resolves like runCommand when the exit code is 0', async () => {
    const r = await runChecked(['printf', 'ok']);
    expect(r.stdout).toBe('ok');
  });

  it('throws one sentence naming the command, its exit code and its stderr', async () => {
    await expect(
      runChecked(['sh', '-c', 'echo "RTNETLINK answers: Operation not permitted" >&2; exit 2']),
    ).rejects.toThrow(
      'sh -c "echo \\"RTNETLINK answers: Operation not permitted\\" >&2; exit 2" failed with ' +
        'exit code 2: RTNETLINK answers: Operation not permitted',
    );
  });

  it('says when a command timed out', async () => {
    await expect(runChecked(['sleep', '30'], { timeoutMs: 200 })).rejects.toThrow(
      'sleep 30 did not finish within 0.2 s and was killed',
    );
  });
});
