import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  sessionMembers,
  signalName,
  signalSession,
} from '../../../src/engine/process/processTree.js';
import { processGone, waitFor } from './leakCheck.js';

describe('process tree', () => {
  it('names signals', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(250)).toBe('SIG250');
  });

  it('refuses to signal the session of pid 0 or 1', () => {
    expect(() => signalSession(1, 'SIGKILL')).toThrow(RangeError);
    expect(() => signalSession(0, 'SIGKILL')).toThrow(RangeError);
  });

  it('kills a session leader and the children it left in its session', async () => {
    // setsid makes the shell a session leader, as forkpty does for a node's console.
    const leader = spawn('setsid', ['sh', '-c', 'sleep 1000 & echo $!; wait'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    leader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /^\d+\n/.test(out), 'the child pid');
    const child = Number(out.trim());
    const sid = leader.pid ?? 0;
    await waitFor(() => sessionMembers(sid).includes(child), 'the child to join the session');
    expect(signalSession(sid, 'SIGKILL')).toBe(true);
    await waitFor(() => processGone(child), 'the child to be gone');
  });
});
