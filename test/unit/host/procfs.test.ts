// Reading processes from /proc: a zombie (dead, not yet reaped by its parent) is not alive.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  childPids,
  isSameProcessAlive,
  processStartTime,
} from '../../../src/engine/host/procfs.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('procfs', () => {
  it('counts a zombie as dead', async () => {
    // `sleep 0` ends at once; its parent then execs `sleep 30`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    try {
      const pid = parent.pid ?? 0;
      let zombie: number | undefined;
      for (let i = 0; i < 100 && zombie === undefined; i++) {
        await sleep(50);
        zombie = childPids(pid).find((c) => {
          try {
            return /\) Z /.test(readFileSync(`/proc/${c}/stat`, 'utf8'));
          } catch {
            return false;
          }
        });
      }
      expect(zombie, 'no zombie child appeared').toBeDefined();
      expect(processStartTime(zombie ?? 0)).toBeUndefined();
      expect(isSameProcessAlive(zombie ?? 0)).toBe(false);
      expect(isSameProcessAlive(pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
