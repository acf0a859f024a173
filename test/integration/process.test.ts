// SupervisedProcess against real processes on a real pty (sh, sleep, printf, cat).
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkfifo } from '@netweave/tap';
import { spawn as spawnPty } from 'node-pty';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExitInfo, NodeState } from '../../src/shared/contract.js';
import { EngineError } from '../../src/shared/contract.js';
import type {
  ProcessRestartEvent,
  SupervisedProcessOptions,
} from '../../src/engine/process/index.js';
import {
  BatchedStream,
  SupervisedProcess,
  drainBeforeDestroy,
  liveProcessCount,
} from '../../src/engine/process/index.js';
import { processGone, useProcessScope, waitFor } from '../unit/process/leakCheck.js';

/** Ready timeout for processes that print their ready line at once: generous for a loaded box. */
const READY_MS = 20_000;

const scope = useProcessScope();
const tmp = mkdtempSync(path.join(tmpdir(), 'netweave-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Creates a process owned by the current test, recording its output, states and exits. */
function supervise(options: SupervisedProcessOptions): {
  proc: SupervisedProcess;
  output: () => string;
  chunks: string[];
  states: NodeState[];
  exits: ExitInfo[];
} {
  const proc = scope.track(new SupervisedProcess(options));
  const chunks: string[] = [];
  const states: NodeState[] = [];
  const exits: ExitInfo[] = [];
  proc.onData((d) => chunks.push(d));
  proc.onState((s) => states.push(s.state));
  proc.onExit((e) => exits.push(e));
  return { proc, output: () => chunks.join(''), chunks, states, exits };
}

/** Counts occurrences of `needle` in `text`. */
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('SupervisedProcess', () => {
  it('becomes ready when the pattern matches across chunk boundaries', async () => {
    const { proc, chunks, states } = supervise({
      name: 'h1',
      argv: ['sh', '-c', 'printf "boot: REA"; sleep 0.5; printf "DY-42\\n"; exec sleep 1000'],
      ready: { pattern: /READY-42/, timeoutMs: READY_MS },
    });
    await proc.start();
    expect(proc.state).toBe('ready');
    expect(states).toEqual(['starting', 'ready']);
    expect(chunks.join('')).toContain('READY-42');
    expect(chunks.some((c) => c.includes('READY-42'))).toBe(false);
    expect(proc.pid).toBeGreaterThan(1);
  });

  it('fails with the pattern, the timeout and the last lines when not ready in time', async () => {
    const { proc, states, exits } = supervise({
      name: 'h1',
      argv: ['sh', '-c', 'echo line-one; echo "\x1b[31mline-two\x1b[0m"; exec sleep 1000'],
      ready: { pattern: /login:/, timeoutMs: 1500 },
    });
    const expected =
      'node "h1" did not print /login:/ within 1.5 s; last lines: line-one | line-two';
    await expect(proc.start()).rejects.toThrow(expected);
    expect(proc.state).toBe('failed');
    expect(proc.reason).toBe(expected);
    expect(proc.pid).toBeUndefined();
    expect(states).toEqual(['starting', 'stopping', 'failed']);
    expect(exits).toHaveLength(1);
    expect(exits[0]?.signal).toBe('SIGTERM');
    expect(exits[0]?.lastLines).toEqual(['line-one', 'line-two']);
    expect(liveProcessCount()).toBe(0);
  });

  it('writes input to the console and shows it echoed by cat', async () => {
    const { proc, output } = supervise({ name: 'cat', argv: ['cat'] });
    await proc.start();
    proc.write(`typed-${40 + 2}\r`);
    // Once echoed by the pty's line discipline and once printed back by cat.
    await waitFor(() => count(output(), 'typed-42') >= 2, 'the input echoed twice');
    expect(proc.scrollback()).toContain('typed-42\r\ntyped-42\r\n');
  });

  it('resizes the console of the running process', async () => {
    const { proc, output } = supervise({
      name: 'tty',
      argv: ['sh', '-c', 'stty size; read x; stty size; exec sleep 1000'],
      cols: 100,
      rows: 30,
      ready: { pattern: /30 100/, timeoutMs: READY_MS },
    });
    await proc.start();
    proc.resize(120, 40);
    proc.write('\r');
    await waitFor(() => output().includes('40 120'), 'the new size');
    expect(() => proc.resize(0, 10)).toThrow(EngineError);
  });

  it('keeps bounded scrollback that replays the newest output without broken characters', async () => {
    const { proc, output, exits } = supervise({
      name: 'chatty',
      argv: [
        'sh',
        '-c',
        'i=0; while [ $i -lt 3000 ]; do echo "line $i é€😀"; i=$((i+1)); done; echo last-line',
      ],
      scrollbackBytes: 4096,
    });
    await proc.start();
    await waitFor(() => exits.length === 1, 'the exit');
    const scrollback = proc.scrollback();
    expect(Buffer.byteLength(scrollback)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(scrollback)).toBeGreaterThan(4000);
    expect(output().endsWith(scrollback)).toBe(true);
    expect(scrollback).not.toContain('\uFFFD');
    expect(scrollback).toContain('line 2999 é€😀\r\nlast-line\r\n');
    expect(scrollback).not.toContain('line 1 é');
    expect(proc.state).toBe('stopped');
  });

  it('delivers the last console output of every run before onExit', async () => {
    // Linux may report end-of-file on the pty while the child's last KiB are still buffered;
    // ptyDrain.ts reads them. Several runs, because the race is timing-dependent.
    for (let run = 0; run < 8; run++) {
      const { proc, output, exits } = supervise({
        name: `tail${run}`,
        argv: [
          'sh',
          '-c',
          'i=0; while [ $i -lt 1500 ]; do echo "row $i"; i=$((i+1)); done; echo END',
        ],
      });
      let atExit = '';
      proc.onExit(() => (atExit = output()));
      await proc.start();
      await waitFor(() => exits.length === 1, 'the exit');
      expect(atExit.endsWith('row 1499\r\nEND\r\n')).toBe(true);
      expect(count(atExit, '\r\n')).toBe(1501);
      await proc.dispose();
    }
  });

  it('can hook node-pty to drain the pty before it is closed', () => {
    const pty = spawnPty('true', [], {});
    expect(drainBeforeDestroy(pty, () => undefined)).toBe(true);
    pty.kill('SIGKILL');
  });

  it('appends every byte of console output to the log file, closed before onExit', async () => {
    const logFile = path.join(tmp, 'h1.log');
    let logAtExit = '';
    const { proc, output, exits } = supervise({
      name: 'h1',
      argv: ['sh', '-c', 'echo logged-1; printf "bytes \\303\\251\\n"; echo logged-2'],
      logFile,
    });
    proc.onExit(() => (logAtExit = readFileSync(logFile, 'utf8')));
    await proc.start();
    await waitFor(() => exits.length === 1, 'the exit');
    expect(logAtExit).toBe('logged-1\r\nbytes é\r\nlogged-2\r\n');
    expect(logAtExit).toBe(output());
  });

  it('waits for a run log that falls behind, holding at most a few MB, and the log gets every line', async () => {
    // A FIFO nobody reads yet is a disk that has stopped: seq writes ~21 MB of lines.
    const fifo = path.join(tmp, 'slow.log');
    mkfifo(fifo);
    const lines = 3_000_000;
    const { proc, output, exits } = supervise({
      name: 'h1',
      argv: ['seq', '1', String(lines)],
      logFile: fifo,
    });
    const reader = createReadStream(fifo);
    reader.pause();
    await proc.start();
    // The console stops at the log's backlog limit (8 MB) plus what the pty buffers.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(exits).toEqual([]);
    expect(output().length).toBeLessThan(12_000_000);
    // The disk comes back: every line reaches the log, in order, and seq ends.
    let next = 1;
    let ordered = true;
    const counted = (async () => {
      for await (const line of createInterface({ input: reader, crlfDelay: Infinity })) {
        if (line.replace(/\r$/, '') === String(next)) next++;
        else ordered = false;
      }
    })();
    await waitFor(() => exits.length === 1, 'the exit', 60_000);
    await counted;
    expect(ordered).toBe(true);
    expect(next).toBe(lines + 1);
  });

  it('reports a normal exit code and fails the node on a non-zero exit', async () => {
    const { proc, exits } = supervise({ name: 'h1', argv: ['sh', '-c', 'echo bye; exit 7'] });
    await proc.start();
    await waitFor(() => proc.state === 'failed', 'the failure');
    expect(exits).toEqual([{ code: 7, signal: null, lastLines: ['bye'] }]);
    expect(proc.lastExit).toEqual(exits[0]);
    expect(proc.reason).toBe('node "h1" exited with code 7; last lines: bye');
  });

  it('stops with SIGTERM and reports it', async () => {
    const { proc, states } = supervise({ name: 'h1', argv: ['sleep', '1000'] });
    await proc.start();
    const exit = await proc.stop();
    expect(exit).toEqual({ code: null, signal: 'SIGTERM', lastLines: [] });
    expect(proc.state).toBe('stopped');
    expect(states).toEqual(['starting', 'ready', 'stopping', 'stopped']);
    expect(await proc.stop()).toEqual(exit);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const { proc } = supervise({
      name: 'stubborn',
      argv: ['sh', '-c', 'trap "" TERM; echo trapped; while :; do sleep 1; done'],
      ready: { pattern: /trapped/, timeoutMs: READY_MS },
      stop: { termTimeoutMs: 1000, killTimeoutMs: 10_000 },
    });
    await proc.start();
    const started = Date.now();
    const exit = await proc.stop();
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.code).toBeNull();
    expect(exit.lastLines).toEqual(['trapped']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(proc.state).toBe('stopped');
  });

  it('tries the graceful stop hook before any signal', async () => {
    const { proc } = supervise({
      name: 'polite',
      argv: ['sh', '-c', 'echo waiting; read cmd; echo "got $cmd"; exit 0'],
      ready: { pattern: /waiting/, timeoutMs: READY_MS },
      stop: { gracefulStop: () => Promise.resolve(proc.write('quit\r')) },
    });
    await proc.start();
    const exit = await proc.stop();
    expect(exit.code).toBe(0);
    expect(exit.signal).toBeNull();
    expect(exit.lastLines.at(-1)).toBe('got quit');
  });

  it('kills the children of a shell when the node is stopped', async () => {
    const { proc, output } = supervise({
      name: 'sh',
      argv: ['sh', '-c', 'sleep 1000 & echo "child=$!"; wait'],
      ready: { pattern: /child=\d+/, timeoutMs: READY_MS },
    });
    await proc.start();
    const child = Number(/child=(\d+)/.exec(output())?.[1]);
    expect(processGone(child)).toBe(false);
    await proc.stop();
    await waitFor(() => processGone(child), `grandchild ${child} to be gone`);
  });

  it('kills children that ignore SIGHUP and SIGTERM when the shell exits by itself', async () => {
    const { proc, output } = supervise({
      name: 'sh',
      argv: ['sh', '-c', 'trap "" HUP TERM; sleep 1000 & echo "child=$!"; exit 5'],
    });
    await proc.start();
    await waitFor(() => proc.state === 'failed', 'the exit');
    const child = Number(/child=(\d+)/.exec(output())?.[1]);
    expect(child).toBeGreaterThan(1);
    await waitFor(() => processGone(child), `grandchild ${child} to be gone`);
  });

  it('restarts on failure with a doubling backoff, then fails naming the count and the exit', async () => {
    const { proc, output, states, exits } = supervise({
      name: 'crashy',
      argv: ['sh', '-c', 'echo attempt; exit 3'],
      restart: { policy: 'on-failure', maxRestarts: 2, backoffMs: 200, maxBackoffMs: 300 },
    });
    const restarts: (ProcessRestartEvent & { at: number })[] = [];
    const exitTimes: number[] = [];
    proc.onExit(() => exitTimes.push(Date.now()));
    proc.onDidRestart((e) => restarts.push({ ...e, at: Date.now() }));
    await proc.start();
    await waitFor(() => proc.state === 'failed', 'the final failure');
    expect(restarts.map((r) => r.attempt)).toEqual([1, 2]);
    expect(restarts[0]?.previousExit.code).toBe(3);
    expect((restarts[0]?.at ?? 0) - (exitTimes[0] ?? 0)).toBeGreaterThanOrEqual(190);
    expect((restarts[1]?.at ?? 0) - (exitTimes[1] ?? 0)).toBeGreaterThanOrEqual(290);
    expect(exits).toHaveLength(3);
    expect(states.filter((s) => s === 'restarting')).toHaveLength(2);
    expect(proc.reason).toBe(
      'node "crashy" failed after 2 restarts; last exit: exited with code 3; last lines: attempt',
    );
    expect(count(output(), 'attempt')).toBe(3);
    expect(proc.restartCount).toBe(2);
  });

  it('starts counting restarts again after a run that stayed ready long enough', async () => {
    // Each run is ready at once and crashes 300 ms later: longer than stableRunMs, so a node
    // allowed one restart is restarted again and again instead of failing at its second crash.
    const { proc, states } = supervise({
      name: 'daily',
      argv: ['sh', '-c', 'echo up; sleep 0.3; exit 3'],
      ready: { pattern: /up/, timeoutMs: READY_MS },
      restart: { policy: 'on-failure', maxRestarts: 1, backoffMs: 20, stableRunMs: 150 },
    });
    const attempts: number[] = [];
    proc.onDidRestart((e) => attempts.push(e.attempt));
    await proc.start();
    await waitFor(() => attempts.length >= 3, 'three restarts');
    expect(attempts.slice(0, 3)).toEqual([1, 1, 1]);
    expect(states).not.toContain('failed');
    await proc.stop();
  });

  it('does not restart after a clean exit', async () => {
    const { proc, states } = supervise({
      name: 'done',
      argv: ['sh', '-c', 'echo done; exit 0'],
      restart: { policy: 'on-failure', backoffMs: 10 },
    });
    await proc.start();
    await waitFor(() => proc.state === 'stopped', 'the exit');
    expect(states).toEqual(['starting', 'ready', 'stopped']);
    expect(proc.restartCount).toBe(0);
    expect(proc.reason).toBeUndefined();
  });

  it('does not restart after stop()', async () => {
    const { proc, states } = supervise({
      name: 'h1',
      argv: ['sleep', '1000'],
      restart: { policy: 'on-failure', backoffMs: 10 },
    });
    await proc.start();
    await proc.stop();
    expect(states).toEqual(['starting', 'ready', 'stopping', 'stopped']);
    expect(proc.restartCount).toBe(0);
  });

  it('cancels a pending restart on stop()', async () => {
    const { proc } = supervise({
      name: 'crashy',
      argv: ['sh', '-c', 'exit 1'],
      restart: { policy: 'on-failure', backoffMs: 60_000, maxBackoffMs: 60_000 },
    });
    await proc.start();
    await waitFor(() => proc.state === 'restarting', 'the restart to be scheduled');
    expect(proc.reason).toBe('node "crashy" exited with code 1; restart 1 of 3 in 60 s');
    const exit = await proc.stop();
    expect(exit.code).toBe(1);
    expect(proc.state).toBe('stopped');
  });

  it('rejects start() when stopped before ready', async () => {
    const { proc } = supervise({
      name: 'slow',
      argv: ['sleep', '1000'],
      ready: { pattern: /never/, timeoutMs: 60_000 },
    });
    const starting = proc.start();
    await waitFor(() => proc.pid !== undefined, 'the spawn');
    await proc.stop();
    await expect(starting).rejects.toThrow('node "slow" was stopped before it was ready');
  });

  it('fails with one sentence and spawns nothing when the executable is missing', async () => {
    const { proc, chunks } = supervise({
      name: 'h1',
      argv: ['/usr/bin/netweave-no-such-qemu', '-M', 'q35'],
    });
    const err = await proc.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('missing-binary');
    expect((err as Error).message).toBe(
      'cannot start node "h1": /usr/bin/netweave-no-such-qemu not found; install it or set its path',
    );
    expect(proc.state).toBe('failed');
    expect(proc.pid).toBeUndefined();
    expect(proc.lastExit).toBeUndefined();
    expect(chunks).toEqual([]);
    expect(liveProcessCount()).toBe(0);

    const bare = supervise({ name: 'h2', argv: ['netweave-no-such-tool'] }).proc;
    await expect(bare.start()).rejects.toThrow(
      'cannot start node "h2": netweave-no-such-tool not found on PATH; install it or set its path',
    );
  });

  it('tracks live processes until they stop and is disposed idempotently', async () => {
    const proc = new SupervisedProcess({ name: 'h1', argv: ['sleep', '1000'] });
    expect(liveProcessCount()).toBe(0);
    await proc.start();
    expect(liveProcessCount()).toBe(1);
    await Promise.all([proc.dispose(), proc.dispose()]);
    expect(liveProcessCount()).toBe(0);
    expect(proc.state).toBe('stopped');
    await expect(proc.start()).rejects.toThrow('node "h1" was disposed and cannot be started');
  });

  it('pauses a flooding console through BatchedStream until the consumer acknowledges', async () => {
    const total = 2_000_000;
    const { proc, exits } = supervise({
      name: 'flood',
      argv: ['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' x; echo; echo END`],
    });
    const stream = scope.track(
      new BatchedStream({ source: proc, highWatermarkChars: 100_000, lowWatermarkChars: 5_000 }),
    );
    let received = '';
    let acking = false;
    stream.onBatch((batch) => {
      received += batch;
      if (acking) stream.ack(batch.length);
    });
    proc.onData((d) => stream.push(d));
    await proc.start();
    await waitFor(() => stream.isPaused, 'flow control to pause the console');
    // While nobody acknowledges, the producer is blocked by the full pty.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.length).toBeLessThan(total);
    expect(exits).toHaveLength(0);
    acking = true;
    stream.ack(stream.unacknowledgedChars);
    await waitFor(() => received.includes('END'), 'all output after acknowledging', 60_000);
    expect(count(received, 'x')).toBe(total);
  });
});
