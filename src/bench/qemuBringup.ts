// QEMU bring-up benchmark: time from `up` to every node ready for 1, 4 and 8 test guests on a
// switch, against starting the same QEMU command lines by hand in the same run, and the
// engine's memory per running node.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabState } from '../shared/contract.js';
import { validateTopologyText } from '../shared/topology/index.js';
import { cleanupLab } from '../engine/host/cleanup.js';
import { launchLab } from '../engine/launcher.js';
import { buildQemuArgv } from '../kinds/nodes/qemu/engine/commandLine.js';
import { GUEST_READY, guestNodeLines } from './soakLab.js';

/** Guest counts measured: one, a small lab, and a lab that saturates 2 cores. */
const GUEST_COUNTS = [1, 4, 8] as const;
/** Eight TCG guests on 2 cores boot one after another in effect: allow 10 minutes. */
const READY_TIMEOUT_S = 600;
/** Building the guest kit takes about 1 s; 2 minutes covers a cold machine. */
const BUILD_TIMEOUT_MS = 120_000;

const BUILD_GUEST = fileURLToPath(new URL('../../test/guest/build-guest.sh', import.meta.url));

function guestKit(): Promise<{ kernel: string; initrd: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', [BUILD_GUEST], { timeout: BUILD_TIMEOUT_MS }, (err, stdout, stderr) => {
      const kernel = /^KERNEL=(.*)$/m.exec(stdout)?.[1];
      const initrd = /^INITRD=(.*)$/m.exec(stdout)?.[1];
      if (err || !kernel || !initrd) reject(new Error(stderr.trim() || 'no guest kit'));
      else resolve({ kernel, initrd });
    });
  });
}

function labYaml(n: number, kit: { kernel: string; initrd: string }): string {
  const guests = Array.from({ length: n }, (_, i) => {
    const append = `nw.ip=192.0.2.${i + 1}/24`;
    return guestNodeLines(`g${i + 1}`, kit, { append, readyTimeoutS: READY_TIMEOUT_S });
  }).flat();
  const links = Array.from({ length: n }, (_, i) => `  - endpoints: [g${i + 1}:eth0, sw]\n`).join(
    '',
  );
  return `name: bench-qemu-${n}\nnodes:\n${guests.join('\n')}\n  sw: { kind: switch }\nlinks:\n${links}`;
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Deploys the lab; returns ms from `up` to running and the engine's RSS once running. */
async function viaNetweave(file: string, name: string): Promise<{ ms: number; rssKiB: number }> {
  const t0 = performance.now();
  const { client, record } = await launchLab(file);
  try {
    const final = await new Promise<{ state: LabState; reason?: string }>((resolve) => {
      client.on('labState', (s) => {
        if (s.state === 'running' || s.state === 'failed') resolve(s);
      });
    });
    const ms = performance.now() - t0;
    if (final.state !== 'running') throw new Error(final.reason ?? 'lab failed');
    return { ms, rssKiB: rssKiB(record.enginePid) };
  } finally {
    client.dispose();
    await cleanupLab(name);
  }
}

/** Starts the same QEMU command lines directly (stdio on pipes) and waits for every ready line. */
async function byHand(yaml: string): Promise<number> {
  const r = validateTopologyText(yaml, 'bench.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  const dir = mkdtempSync(join(tmpdir(), 'nw-bench-qemu-'));
  const procs: ReturnType<typeof spawn>[] = [];
  const listeners: Server[] = [];
  try {
    const t0 = performance.now();
    // As by hand with socat: each NIC's socket must listen before its QEMU starts, or the
    // guest boots without carrier.
    for (const name of Object.keys(r.topology.nodes)) {
      const server = createServer((s) => s.resume());
      listeners.push(server);
      await new Promise<void>((res) => server.listen(join(dir, `${name}-eth0.sock`), res));
    }
    const ready = Object.entries(r.topology.nodes).flatMap(([name, spec], i) => {
      if (spec.kind !== 'qemu') return [];
      const argv = buildQemuArgv({
        spec,
        ...(spec.kernel !== undefined ? { kernel: spec.kernel } : {}),
        ...(spec.initrd !== undefined ? { initrd: spec.initrd } : {}),
        qmpSocket: join(dir, `${name}.qmp`),
        nics: [
          {
            port: 'eth0',
            model: 'virtio-net-pci',
            mac: `00:00:5e:00:53:${i.toString(16).padStart(2, '0')}`,
            attach: 'device',
            backend: { type: 'stream', socket: join(dir, `${name}-eth0.sock`) },
          },
        ],
      });
      const [cmd, ...args] = argv as [string, ...string[]];
      const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
      procs.push(p);
      return [
        new Promise<void>((resolve, reject) => {
          let text = '';
          p.stdout.on('data', (d: Buffer) => {
            text = (text + d.toString()).slice(-4096);
            if (text.includes(GUEST_READY)) resolve();
          });
          p.once('exit', () => reject(new Error(`${name} exited before it was ready`)));
        }),
      ];
    });
    await Promise.all(ready);
    return performance.now() - t0;
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    for (const l of listeners) l.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark and returns its numbers (JSON-ready). */
export async function benchQemuBringup(): Promise<object> {
  const kit = await guestKit();
  const dir = mkdtempSync(join(tmpdir(), 'nw-bench-qemu-labs-'));
  const results: Record<string, unknown>[] = [];
  try {
    for (const n of GUEST_COUNTS) {
      const yaml = labYaml(n, kit);
      const file = join(dir, `bench-qemu-${n}.yaml`);
      writeFileSync(file, yaml);
      const lab = await viaNetweave(file, `bench-qemu-${n}`);
      const hand = await byHand(yaml);
      results.push({
        guests: n,
        upToReadyMs: Math.round(lab.ms),
        byHandToReadyMs: Math.round(hand),
        ratio: Number((lab.ms / hand).toFixed(2)),
        engineRssMiB: Number((lab.rssKiB / 1024).toFixed(1)),
        engineRssPerGuestMiB: Number((lab.rssKiB / 1024 / n).toFixed(1)),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    note: 'TCG guests (Debian kernel + busybox initramfs), virtio-net on a switch; by hand = same argv, no engine',
    runs: results,
  };
}
