// Command params are checked where a call crosses a process boundary (the engine's socket, the
// app service every UI transport ends in): a bad call is refused with one sentence naming the
// command and the field, and no handler sees it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppService } from '../../../src/service/service.js';
import { SocketEngineClient } from '../../../src/engine/rpc/client.js';
import { EngineServer } from '../../../src/engine/rpc/server.js';
import { parseAppParams, parseEngineParams } from '../../../src/shared/commandParams.js';
import {
  EngineError,
  type CommandName,
  type CommandParams,
  type CommandResult,
  type EngineClient,
} from '../../../src/shared/contract.js';
import { toDisposable } from '../../../src/shared/lifecycle.js';

const dir = mkdtempSync(join(tmpdir(), 'nwparams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sentence parse* throws for a call, or '' when it passes. */
function refusal(parse: () => unknown): string {
  try {
    parse();
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('bad-request');
    return (err as Error).message;
  }
}

describe('engine command params', () => {
  it('pass through typed when they are what the contract says', () => {
    expect(parseEngineParams('exec', { node: 'h1', argv: ['ip', 'a'], timeoutMs: 5000 })).toEqual({
      node: 'h1',
      argv: ['ip', 'a'],
      timeoutMs: 5000,
    });
    expect(parseEngineParams('status', undefined)).toEqual({});
    expect(parseEngineParams('linkImpair', { link: 'a--b', dir: 'a->b', clear: true })).toEqual({
      link: 'a--b',
      dir: 'a->b',
      clear: true,
    });
  });

  it('are refused in one sentence naming the command and the field', () => {
    const bad = (cmd: CommandName, params: unknown): string =>
      refusal(() => parseEngineParams(cmd, params));
    expect(bad('exec', { node: 'h1' })).toBe('"exec" needs "argv"');
    expect(bad('exec', { node: 'h1', argv: [] })).toBe(
      '"exec": "argv" needs a command: netweave exec NODE -- CMD...',
    );
    expect(bad('exec', { node: 'h1', argv: 'ls' })).toMatch(/^"exec": "argv" expected array/);
    expect(bad('exec', { node: 'h1', argv: ['ls', 3] })).toMatch(
      /^"exec": "argv\.1" expected string/,
    );
    expect(bad('exec', { node: 'h1', argv: ['ls'], timeoutMs: -1 })).toMatch(
      /^"exec": "timeoutMs" /,
    );
    expect(bad('consoleResize', { node: 'h1', cols: 'a', rows: 24 })).toMatch(
      /^"consoleResize": "cols" expected number/,
    );
    expect(bad('linkSet', { port: 'h1:eth0', up: 'yes' })).toMatch(
      /^"linkSet": "up" expected boolean/,
    );
    expect(bad('linkImpair', { link: 'x', dir: 'up' })).toMatch(/^"linkImpair": "dir" /);
    expect(bad('status', { verbose: true })).toBe('"status" takes no "verbose"');
    expect(bad('stats', [1])).toBe('"stats" takes its params as an object');
    expect(bad('nodeStart', { node: '../x' })).toMatch(/^node name "\.\.\/x" contains/);
    expect(bad('constructor' as CommandName, {})).toBe('unknown command "constructor"');
  });

  it('are checked on the engine socket before the engine sees them', async () => {
    const seen: { cmd: string; params: unknown }[] = [];
    const engine: EngineClient = {
      call: <K extends CommandName>(cmd: K, params: CommandParams<K>) => {
        seen.push({ cmd, params });
        return Promise.resolve({ data: 'scrollback' } as unknown as CommandResult<K>);
      },
      on: () => toDisposable(() => undefined),
    };
    const server = await EngineServer.listen(engine, join(dir, 'engine.sock'));
    const client = await SocketEngineClient.connect(server.path);
    try {
      const call = client.call.bind(client) as (cmd: string, params: unknown) => Promise<unknown>;
      await expect(call('consoleScrollback', { node: 7 })).rejects.toMatchObject({
        code: 'bad-request',
        message: '"consoleScrollback": "node" expected string, received number',
      });
      await expect(call('exec', { node: 'h1', argv: [] })).rejects.toMatchObject({
        code: 'bad-request',
      });
      await expect(call('shutdown', {})).rejects.toMatchObject({
        message: 'unknown command "shutdown"',
      });
      expect(seen).toEqual([]);
      // A subscription to an event there is not is ignored; the connection stays.
      const on = client.on.bind(client) as (e: string, l: () => void) => { dispose(): void };
      on('constructor', () => undefined).dispose();
      expect(await client.call('consoleScrollback', { node: 'h1' })).toEqual({
        data: 'scrollback',
      });
      expect(seen).toEqual([{ cmd: 'consoleScrollback', params: { node: 'h1' } }]);
    } finally {
      client.dispose();
      await server.dispose();
    }
  });
});

describe('app command params', () => {
  it('are checked for the service own commands and the forwarded lab commands alike', () => {
    const bad = (cmd: string, params: unknown): string =>
      refusal(() => parseAppParams(cmd, params));
    expect(bad('consoleAck', { viewer: 'v1', chars: 'x' })).toMatch(
      /^"consoleAck": "chars" expected number/,
    );
    expect(bad('saveFile', { file: 'a.yaml', text: 'x' })).toBe('"saveFile" needs "layout"');
    expect(bad('labExec', { lab: 'lab1', node: 'h1', argv: 'ls' })).toMatch(
      /^"labExec": "argv" expected array/,
    );
    expect(bad('labExec', { node: 'h1', argv: ['ls'] })).toBe('"labExec" needs "lab"');
    expect(bad('labStatus', { lab: '/etc' })).toMatch(/^lab name "\/etc" contains "\/"/);
    expect(bad('__proto__', {})).toBe('unknown command "__proto__"');
    expect(parseAppParams('labExec', { lab: 'lab1', node: 'h1', argv: ['ls'] })).toEqual({
      lab: 'lab1',
      node: 'h1',
      argv: ['ls'],
    });
  });

  it('are refused by the app service before any handler runs', async () => {
    const service = new AppService({ transport: 'websocket' });
    try {
      const call = service.call.bind(service) as (cmd: string, params: unknown) => Promise<unknown>;
      await expect(call('labLaunch', { file: 42 })).rejects.toMatchObject({
        code: 'bad-request',
        message: '"labLaunch": "file" expected string, received number',
      });
      await expect(call('captureOpen', { lab: 'x', target: 'h1', sink: 'tape' })).rejects.toThrow(
        /^"captureOpen": "sink" /,
      );
    } finally {
      await service.dispose();
    }
  });
});
