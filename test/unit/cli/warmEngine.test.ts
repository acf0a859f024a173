// The warm engine's pieces that need no process: the guess of lab name and network mode from the
// file, the go line (with the validated topology it carries) and the engine's environment.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../../../src/engine/topology/index.js';
import {
  engineEnv,
  guessLab,
  parseWarmGo,
  readWarmGo,
  restoreEngineEnv,
} from '../../../src/engine/warmEngine.js';

const dir = mkdtempSync(join(tmpdir(), 'nwwarm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const f = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text);
  return f;
}

describe('the lab a warm engine is started for', () => {
  it('reads name and network from top-level keys, quoted or commented, the flag first', () => {
    const f = file('# lab\nname: "lab-1" # the name\nnetwork: host\nnodes: {}\n');
    expect(guessLab([f], f)).toEqual({ name: 'lab-1', network: 'host' });
    expect(guessLab([f, '--network', 'isolated'], f)).toEqual({
      name: 'lab-1',
      network: 'isolated',
    });
    expect(guessLab(['--network=isolated', f], f)?.network).toBe('isolated');
    const g = file("name: 'two'\nnodes:\n  name: nested\n");
    expect(guessLab([g], g)).toEqual({ name: 'two', network: 'isolated' });
  });

  it('gives up (no warm engine) without a plain name, with an unknown mode or an unreadable file', () => {
    const flow = file('{name: x, nodes: {}}\n');
    expect(guessLab([flow], flow)).toBeUndefined();
    const anchored = file('name: &n x\nnodes: {}\n');
    expect(guessLab([anchored], anchored)).toBeUndefined();
    const bad = file('name: x\nnetwork: bridged\n');
    expect(guessLab([bad], bad)).toBeUndefined();
    expect(guessLab(['--network', 'nat', bad], bad)).toBeUndefined();
    expect(guessLab([join(dir, 'missing.yaml')], join(dir, 'missing.yaml'))).toBeUndefined();
  });
});

describe('the go line', () => {
  it('carries the daemon arguments, and nothing else is a go', () => {
    expect(parseWarmGo('{"args":["--file","/a.yaml"]}')).toEqual({ args: ['--file', '/a.yaml'] });
    expect(parseWarmGo('{"args":[1]}')).toBeUndefined();
    expect(parseWarmGo('{}')).toBeUndefined();
    expect(parseWarmGo('not json')).toBeUndefined();
    expect(parseWarmGo('null')).toBeUndefined();
    // A topology that is no object is left out; the engine then reads the file itself.
    expect(parseWarmGo('{"args":[],"topology":[1]}')).toEqual({ args: [] });
  });

  it('carries every bundled example topology unchanged (validated output is plain JSON data)', async () => {
    const examples = join(import.meta.dirname, '../../../examples');
    const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const loaded = await loadTopologyFile(join(examples, f));
      if (!loaded.ok) throw new Error(`${f} does not validate`);
      const go = parseWarmGo(JSON.stringify({ args: ['--file', f], topology: loaded.topology }));
      expect(go?.topology, f).toStrictEqual(loaded.topology);
    }
  });

  it('is the first line of stdin, in pieces; stdin ending first means no lab', async () => {
    const input = new PassThrough();
    const go = readWarmGo(input);
    input.write('{"args":["--lab-id",');
    input.write('"abc"]}\n{"args":["ignored"]}\n');
    expect(await go).toEqual({ args: ['--lab-id', 'abc'] });

    const ended = new PassThrough();
    const none = readWarmGo(ended);
    ended.end('{"args":[]}');
    expect(await none).toBeUndefined();
  });
});

describe("the engine's environment", () => {
  it("defers Node's start-up certificate file and gives it back to what the engine starts", () => {
    const saved = process.env['NODE_EXTRA_CA_CERTS'];
    process.env['NODE_EXTRA_CA_CERTS'] = '/etc/ssl/certs/extra.pem';
    try {
      const env = engineEnv({ NETWEAVE_LAB: 'abc' });
      expect(env['NODE_EXTRA_CA_CERTS']).toBeUndefined();
      expect(env['NETWEAVE_LAB']).toBe('abc');
      expect(env['PATH']).toBe(process.env['PATH']);
      restoreEngineEnv(env);
      expect(env['NODE_EXTRA_CA_CERTS']).toBe('/etc/ssl/certs/extra.pem');
      expect(Object.keys(env).filter((k) => k.startsWith('NETWEAVE_DEFERRED_'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
      else process.env['NODE_EXTRA_CA_CERTS'] = saved;
    }
    const without = engineEnv({});
    restoreEngineEnv(without);
    expect(without['NODE_EXTRA_CA_CERTS']).toBe(process.env['NODE_EXTRA_CA_CERTS']);
  });
});
