// Shared by the services tests: commands run to completion, the CLI run inside a namespace that
// stands in for the machine, an "outside" namespace with a server on TEST-NET-3, and a record of
// the host settings NAT may change.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { BIN, until, type CliEnv, type CliResult } from './cli.js';

/** The outside's server address (TEST-NET-3). */
export const OUTSIDE_IP = '203.0.113.1';

/** Runs argv to completion (never throws; the exit code says how it went). */
export function sh(argv: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((res) => {
    execFile(
      cmd,
      args,
      { env: env ?? process.env, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

/** Runs argv and returns its stdout; throws with its stderr when it fails. */
export async function must(argv: string[]): Promise<string> {
  const r = await sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Runs `netweave ARGS` inside a network namespace (the "machine" of the test). */
export function cliIn(env: CliEnv, ns: string, args: string[]): Promise<CliResult> {
  return sh(['ip', 'netns', 'exec', ns, process.execPath, BIN, ...args], env.env);
}

/** What the outside's server answers. */
export interface OutsideServer {
  port: string;
  greeting: string;
  /**
   * An HTTP server that closes first, instead of a TCP server: Debian bookworm's pasta
   * (2023-03) drops the outside's FIN when the lab's side half-closed first (busybox nc with no
   * input does), and the connection then only ends after about a minute.
   */
  http?: boolean;
}

/**
 * Creates namespace `ns` with a veth holding OUTSIDE_IP, a default route out of it (pasta needs
 * one to pick its outbound interface) and a server; with `peerNs`, the veth's other end is in
 * that namespace (the test's stand-in machine, 203.0.113.2), routed to the outside.
 */
export async function startOutside(
  ns: string,
  server: OutsideServer,
  peerNs?: string,
): Promise<ChildProcess> {
  await must(['ip', 'netns', 'add', ns]);
  await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  if (peerNs === undefined) {
    await must(['ip', '-n', ns, 'link', 'add', 'o0', 'type', 'veth', 'peer', 'name', 'o1']);
    await must(['ip', '-n', ns, 'link', 'set', 'o1', 'up']);
  } else {
    await must(['ip', 'netns', 'add', peerNs]);
    await must(['ip', '-n', peerNs, 'link', 'set', 'lo', 'up']);
    await must(['ip', '-n', ns, 'link', 'add', 'o0', 'type', 'veth', 'peer', 'name', 'up0']);
    await must(['ip', '-n', ns, 'link', 'set', 'up0', 'netns', peerNs]);
    await must(['ip', '-n', peerNs, 'addr', 'add', '203.0.113.2/24', 'dev', 'up0']);
    await must(['ip', '-n', peerNs, 'link', 'set', 'up0', 'up']);
    await must(['ip', '-n', peerNs, 'route', 'add', 'default', 'via', OUTSIDE_IP]);
  }
  await must(['ip', '-n', ns, 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'o0']);
  await must(['ip', '-n', ns, 'link', 'set', 'o0', 'up']);
  await must(['ip', '-n', ns, 'route', 'add', 'default', 'dev', 'o0']);
  const listen = `.listen(${server.port}, '${OUTSIDE_IP}', () => console.log('listening'))`;
  const script = server.http
    ? `require('http').createServer((q, s) => { s.setHeader('Connection', 'close'); s.end('${server.greeting}\\n'); })${listen}`
    : `require('net').createServer((s) => s.end('${server.greeting}\\n'))${listen}`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('listening'), 20_000);
  return child;
}

/** Deletes test namespaces (ignoring ones that are gone). */
export async function removeNetns(...names: string[]): Promise<void> {
  for (const n of names) await sh(['ip', 'netns', 'del', n]);
}

/**
 * The settings host-mode NAT may change in a namespace: ip_forward, the nftables ruleset and
 * iptables (without iptables-save's timestamps and counters).
 */
export async function machineState(ns: string): Promise<string> {
  const fwd = await must(['ip', 'netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/ip_forward']);
  const nft = await must(['ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset']);
  const ipt = (await must(['ip', 'netns', 'exec', ns, 'iptables-save']))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]$/, ''))
    .join('\n');
  return `ip_forward=${fwd}\n--- nft\n${nft}\n--- iptables\n${ipt}`;
}
