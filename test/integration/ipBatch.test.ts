// ipBatchIn: several `ip` commands in one namespace as one process, and a failure that names
// the command that failed. Needs root for the namespace (ip netns add).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipBatchIn } from '../../src/engine/host/netns.js';

const run = promisify(execFile);
const IS_ROOT = process.getuid?.() === 0;
const NS = `nwtest-${randomBytes(3).toString('hex')}-batch`;
const PATH = `/run/netns/${NS}`;

describe('ipBatchIn', () => {
  it('refuses a word ip would split or unquote, before running anything', async () => {
    await expect(ipBatchIn(PATH, [['link', 'set', 'dev', 'a b', 'up']])).rejects.toThrow(
      /"a b" is not a plain word/,
    );
    await expect(ipBatchIn(PATH, [['link', 'set', 'dev', '"x"', 'up']])).rejects.toThrow(
      /not a plain word/,
    );
  });

  describe.skipIf(!IS_ROOT && process.env['CI'] !== 'true')('in a real namespace', () => {
    beforeAll(async () => {
      await run('ip', ['netns', 'add', NS]);
    });
    afterAll(async () => {
      await run('ip', ['netns', 'del', NS]).catch(() => undefined);
    });

    it('runs every command in order in the namespace', async () => {
      await ipBatchIn(PATH, [
        ['tuntap', 'add', 'dev', 'bt0', 'mode', 'tap'],
        ['link', 'set', 'dev', 'bt0', 'mtu', '1400'],
        ['addr', 'add', '192.0.2.9/24', 'dev', 'bt0'],
        ['addr', 'add', '2001:db8::9/64', 'dev', 'bt0', 'nodad'],
        ['link', 'set', 'dev', 'bt0', 'up'],
      ]);
      const { stdout } = await run('ip', ['-n', NS, '-j', 'addr', 'show', 'dev', 'bt0']);
      const [link] = JSON.parse(stdout) as {
        mtu: number;
        flags: string[];
        addr_info: { local: string }[];
      }[];
      expect(link?.mtu).toBe(1400);
      expect(link?.flags).toContain('UP');
      expect(link?.addr_info.map((a) => a.local)).toEqual(
        expect.arrayContaining(['192.0.2.9', '2001:db8::9']),
      );
    });

    it('stops at the first failing command and names it with ip’s reason', async () => {
      const failing = ipBatchIn(PATH, [
        ['link', 'set', 'dev', 'bt0', 'down'],
        ['link', 'set', 'dev', 'nope0', 'up'],
        ['link', 'set', 'dev', 'bt0', 'up'],
      ]);
      await expect(failing).rejects.toThrow(
        new RegExp(`^ip link set dev nope0 up in ${PATH} failed: .*Cannot find device "nope0"`),
      );
      // The command after the failing one did not run.
      const { stdout } = await run('ip', ['-n', NS, '-j', 'link', 'show', 'dev', 'bt0']);
      expect((JSON.parse(stdout) as { flags: string[] }[])[0]?.flags).not.toContain('UP');
    });
  });
});
