// The engine's namespace work without helper processes: NetnsManager creates namespaces in
// the engine itself (@netweave/tap's createNetns), commands and pty processes start inside a
// namespace through spawnInNetns instead of nsenter, FIFOs come from mkfifo(2). Needs root
// (a namespace pinned under /run/netns, mounts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/host/journal.js';
import { NetnsManager, hostNetnsName, type NetnsHandle } from '../../src/engine/host/netns.js';
import { netnsCalls } from '../../src/engine/process/inNetns.js';
import { runCommand } from '../../src/engine/process/run.js';
import { SupervisedProcess } from '../../src/engine/process/supervisedProcess.js';

const run = promisify(execFile);
const IS_ROOT = process.getuid?.() === 0;
const LAB_ID = randomBytes(4).toString('hex');

/** The interfaces `ip -br link` lists, by name. */
function linkNames(out: string): string[] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/)[0] ?? '');
}

describe.skipIf(!IS_ROOT && process.env['CI'] !== 'true')('namespaces made by the engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nw-netns-'));
  const journal = new Journal(join(dir, 'journal.jsonl'));
  const made: { manager: NetnsManager; handle: NetnsHandle }[] = [];

  afterAll(async () => {
    for (const m of made) await m.manager.remove(m.handle).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('host mode: a named namespace `ip netns` lists, loopback up, removed by remove()', async () => {
    const manager = new NetnsManager('host', LAB_ID, dir, journal);
    const handle = manager.create('n1');
    made.push({ manager, handle });
    expect(handle.name).toBe(hostNetnsName(LAB_ID, 'n1'));
    const { stdout: list } = await run('ip', ['netns', 'list']);
    expect(list).toContain(handle.name);
    const { stdout: lo } = await run('ip', ['-n', handle.name ?? '', '-br', 'link', 'show', 'lo']);
    expect(lo).toMatch(/LOOPBACK,UP/);
    // A second create of the same name is refused in one sentence naming the fix.
    expect(() => manager.create('n1')).toThrow(
      new RegExp(`network namespace ${handle.name} already exists .*netweave down --all`),
    );
    await manager.remove(handle);
    made.pop();
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(handle.name);
  });

  it('isolated mode: a file of the lab directory, pinned by a bind mount', async () => {
    const manager = new NetnsManager('isolated', LAB_ID, dir, journal);
    const handle = manager.create('n2');
    made.push({ manager, handle });
    expect(handle.path).toBe(join(dir, 'netns', 'n2'));
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    expect(mounts).toContain(` ${handle.path} `);
    // Commands run inside it, with no nsenter: only its own loopback is there.
    const own = readlinkSync('/proc/thread-self/ns/net');
    const r = await runCommand(['ip', '-br', 'link'], { netns: handle.path });
    expect(r.exitCode).toBe(0);
    expect(linkNames(r.stdout)).toEqual(['lo']);
    expect(r.stdout).toMatch(/LOOPBACK,UP/);
    // The engine's own thread is back in its namespace afterwards.
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(own);
  });

  it('a pty process starts inside the namespace it is given', async () => {
    const { handle } = made.find((m) => m.handle.node === 'n2') ?? {};
    expect(handle).toBeDefined();
    const proc = new SupervisedProcess({
      name: 'inside',
      argv: ['ip', '-br', 'link'],
      netns: handle?.path ?? '',
    });
    let out = '';
    proc.onData((t) => (out += t));
    const exited = new Promise<void>((res) => proc.onExit(() => res()));
    await proc.start();
    await exited;
    expect(linkNames(out.replace(/\r/g, ''))).toEqual(['lo']);
    await proc.dispose();
  });

  it('a namespace that is gone fails the command in one sentence, the engine unharmed', async () => {
    const gone = join(dir, 'no-such-netns');
    await expect(runCommand(['true'], { netns: gone })).rejects.toThrow(
      `cannot run true: cannot enter network namespace ${gone}: No such file or directory (ENOENT)`,
    );
    expect((await runCommand(['true'])).exitCode).toBe(0);
  });

  it('mkfifo makes a named pipe with the mode asked for', () => {
    const fifo = join(dir, 'handshake');
    netnsCalls().mkfifo(fifo, 0o600);
    const st = statSync(fifo);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(() => netnsCalls().mkfifo(fifo, 0o600)).toThrow(/cannot create FIFO .*EEXIST/);
  });
});
