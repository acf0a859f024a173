// Per-test ownership of processes and the check that none outlived its test.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Disposable } from '../../../src/shared/lifecycle.js';
import { DisposableStore } from '../../../src/shared/lifecycle.js';
import {
  describeLiveProcesses,
  liveProcessCount,
  liveProcesses,
} from '../../../src/engine/process/index.js';

/** Polling interval for waitFor: short enough to keep tests quick, long enough not to spin. */
const POLL_INTERVAL_MS = 20;

/** Default wait for a condition: generous, for a loaded 2-core CI machine. */
const DEFAULT_WAIT_MS = 20_000;

/** Polls `condition` until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** True once `pid` has exited: its /proc entry is gone or it is a zombie awaiting its reaper. */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Gives each test a store for what it creates; after the test the store is disposed and the
 * test fails if any SupervisedProcess is still live (leftovers are then killed so the next test
 * starts clean).
 */
export function useProcessScope(): { track<T extends Disposable>(item: T): T } {
  let store = new DisposableStore();
  beforeEach(() => {
    store = new DisposableStore();
  });
  afterEach(async () => {
    await store.dispose();
    const leaked = describeLiveProcesses();
    if (leaked.length > 0) await Promise.allSettled(liveProcesses().map((p) => p.dispose()));
    expect(leaked, 'SupervisedProcess instances still live after the test').toEqual([]);
    expect(liveProcessCount()).toBe(0);
  });
  return { track: (item) => store.add(item) };
}
