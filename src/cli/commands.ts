// The `netweave` commands. Thin: each maps flags to engine calls and prints the results.
import { createWriteStream, readFileSync, statSync, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { EngineError, type CounterSnapshot, type LabState } from '../shared/contract.js';
import type { NetworkMode } from '../shared/kinds.js';
import { checkName, formatProblem } from '../shared/topology/index.js';
import {
  cleanupAll,
  cleanupLab,
  engineAlive,
  listLabDirs,
  readEngineRecord,
  takeLabDown,
} from '../engine/host/cleanup.js';
import { connectLab, engineGoneReason, launchLab } from '../engine/launcher.js';
import type { SocketEngineClient } from '../engine/rpc/client.js';
import { execOutput, MAX_CAPTURE_BYTES } from '../engine/process/run.js';
import { jsonSchema, loadTopologyFile, writeFileAtomic } from '../engine/topology/index.js';
import { fileLabName } from '../engine/warmEngine.js';
import { importZephyr } from '../engine/zephyr/index.js';
import { formatCounters, formatFaults, formatLinkImpairment, formatStatus } from './format.js';
import { cmdServe } from './serve.js';

/** The key that detaches `netweave console` from a node: Ctrl-] as in telnet. */
export const DETACH_KEY = '\x1d';

const USAGE = `netweave - a network lab for Zephyr RTOS developers

Usage:
  netweave up FILE [--detach] [--network isolated|host] [--json]
                                  deploy a lab; without --detach, Ctrl-C takes it down
  netweave down [LAB | FILE | --all]
                                  take a lab (or every lab and orphan) down
  netweave status [LAB] [--json]  show labs, nodes and links
  netweave console NODE [--lab LAB]
                                  attach to a node's console (detach with Ctrl-])
  netweave exec NODE [--lab LAB] -- CMD...
                                  run a command inside a node
  netweave link NODE:PORT up|down [--lab LAB]
                                  plug or pull a port's cable (a QEMU guest sees carrier change)
  netweave impair LINK [--dir ab|ba] [--lab LAB] delay=20ms jitter=5ms loss=1% rate=10mbit ...
  netweave impair LINK [--dir ab|ba] --clear
                                  shape a running link as netem would (ab = 'a->b': from the link's
                                  first endpoint to its second; both directions without --dir)
  netweave faults [LAB] [--json]  the lab's fault timeline: what ran when, what is pending
  netweave reset NODE [--lab LAB] reset a node as its reset button would (QEMU: QMP system_reset)
  netweave stats [--lab LAB] [--watch] [--json]
                                  per-port frame, byte and drop counters
  netweave capture LINK|NODE:PORT [--lab LAB] [-w FILE.pcapng] [--duration SECONDS]
                                  capture to pcapng (stdout when no -w; pipe into wireshark -k -i -)
  netweave validate FILE [--json] check a topology file
  netweave import-zephyr BUILD_DIR... [-o lab.yaml]
                                  a lab for Zephyr build directories (stdout when no -o)
  netweave schema                 print the topology JSON Schema
  netweave serve [--port N] [--host ADDR] [--open]
                                  web mode: the app in a browser (127.0.0.1, token in the URL)
`;

class UsageError extends Error {}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function err(s: string): void {
  process.stderr.write(`netweave: ${s}\n`);
}

function runningLabs(): string[] {
  return listLabDirs().filter((n) => engineAlive(readEngineRecord(n)));
}

/** A lab name from the command line, held to the rule of the file's `name:`. */
function labArg(name: string): string {
  // `netweave down lab.yaml`: the lab a topology file starts (a lab's name has no "." or "/").
  if (/[./]/.test(name)) {
    if (statSync(name, { throwIfNoEntry: false })?.isFile() !== true) {
      throw new EngineError(
        'bad-request',
        `${JSON.stringify(name)} is neither a lab's name nor a topology file that exists; \`netweave status\` lists the running labs`,
      );
    }
    const lab = fileLabName(name);
    if (lab === undefined) {
      throw new EngineError(
        'bad-request',
        `${name} has no top-level "name:", so it names no lab; give the lab's name instead (netweave status lists them)`,
      );
    }
    return labArg(lab);
  }
  const problem = checkName(name, 'lab name');
  if (problem !== undefined) throw new EngineError('bad-request', problem);
  return name;
}

/** The lab a command is about: --lab, else the only running lab. */
function pickLab(explicit: string | undefined): string {
  if (explicit !== undefined) return labArg(explicit);
  const labs = runningLabs();
  if (labs.length === 1 && labs[0]) return labs[0];
  if (labs.length === 0)
    throw new EngineError('not-running', 'no lab is running; start one with `netweave up FILE`');
  throw new EngineError(
    'bad-request',
    `several labs are running (${labs.join(', ')}); choose one with --lab NAME`,
  );
}

async function withLab<T>(
  lab: string | undefined,
  fn: (c: SocketEngineClient) => Promise<T>,
): Promise<T> {
  const client = await connectLab(pickLab(lab));
  try {
    return await fn(client);
  } finally {
    client.dispose();
  }
}

async function cmdUp(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      detach: { type: 'boolean', short: 'd' },
      network: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1)
    throw new UsageError('up takes one topology file: netweave up FILE');
  let network: NetworkMode | undefined;
  if (values.network !== undefined) {
    if (values.network !== 'isolated' && values.network !== 'host') {
      throw new UsageError(`--network must be isolated or host, not "${values.network}"`);
    }
    network = values.network;
  }
  const json = values.json === true;
  const say = (s: string): void => {
    if (!json) out(s);
  };
  const { topology, client, record } = await launchLab(file, {
    ...(network ? { network } : {}),
    notice: (line) => say(line),
  });
  say(`lab ${topology.name}: starting (network ${record.network}, logs in ${record.logDir})`);
  const final = await new Promise<{ state: LabState; reason?: string }>((resolve) => {
    client.on('deployProgress', (p) => {
      say(`  [${p.step}/${p.steps}] ${p.stage.padEnd(6)} ${p.message}`);
    });
    client.on('labState', (s) => {
      if (s.state === 'running' || s.state === 'failed') resolve(s);
    });
    client.onClose(() => {
      void engineGoneReason(record).then((reason) => resolve({ state: 'failed', reason }));
    });
  });
  if (final.state === 'failed') {
    await client.call('down', {}).catch(() => undefined);
    client.dispose();
    await cleanupLab(topology.name);
    throw new EngineError(
      'internal',
      `lab ${topology.name} failed to start: ${final.reason ?? 'unknown reason'}; nothing was left behind`,
    );
  }
  const status = await client.call('status', {});
  status.enginePid = record.enginePid;
  if (json) out(JSON.stringify(status));
  else {
    out(formatStatus(status));
    out(
      `\nlab ${topology.name} is running. Try: netweave exec NODE -- CMD, netweave console NODE, netweave stats`,
    );
  }
  if (values.detach) {
    if (!json) out(`stop it with: netweave down ${topology.name}`);
    client.dispose();
    return 0;
  }
  say('press Ctrl-C to take the lab down');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    client.onClose(stop);
  });
  say(`taking lab ${topology.name} down`);
  client.dispose();
  await cleanupLab(topology.name);
  say('done');
  return 0;
}

async function cmdDown(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (values.all) {
    const r = await cleanupAll();
    if (values.json) out(JSON.stringify(r));
    else
      out(
        `took down ${r.labs.length} lab(s)${r.labs.length ? ` (${r.labs.join(', ')})` : ''} and removed ${r.orphans} orphan(s)`,
      );
    return 0;
  }
  const name = pickLab(positionals[0]);
  const known = listLabDirs().includes(name);
  if (!known) {
    if (values.json) out(JSON.stringify({ lab: name, removed: 0 }));
    else out(`lab ${name} is not running and left nothing behind`);
    return 0;
  }
  const { removed, interrupted } = await takeLabDown(name);
  if (values.json)
    out(JSON.stringify({ lab: name, removed, ...(interrupted ? { interrupted } : {}) }));
  else if (interrupted) out(`lab ${name} was still starting; its start was stopped and it is down`);
  else out(`lab ${name} is down`);
  return 0;
}

async function cmdStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, lab: { type: 'string' } },
  });
  const given = positionals[0] ?? values.lab;
  const wanted = given !== undefined ? labArg(given) : undefined;
  if (wanted !== undefined && !listLabDirs().includes(wanted)) {
    if (values.json) out('null');
    else err(`lab ${wanted} is not running; \`netweave status\` lists the labs that are`);
    return 1;
  }
  const names = wanted ? [wanted] : listLabDirs();
  const result = [];
  for (const name of names) {
    const rec = readEngineRecord(name);
    if (!engineAlive(rec)) {
      result.push({ name, state: 'stale' as const, hint: `netweave down ${name}` });
      continue;
    }
    const s = await withLab(name, (c) => c.call('status', {}));
    if (rec) s.enginePid = rec.enginePid;
    result.push(s);
  }
  if (values.json) {
    out(JSON.stringify(wanted ? (result[0] ?? null) : result));
    return 0;
  }
  if (result.length === 0) out(wanted ? `lab ${wanted} is not running` : 'no lab is running');
  for (const s of result) {
    if ('nodes' in s) out(formatStatus(s));
    else
      out(
        `lab ${s.name}: stale leftovers of a run whose engine is gone; remove them with \`${s.hint}\``,
      );
  }
  return 0;
}

async function cmdExec(args: string[]): Promise<number> {
  const dd = args.indexOf('--');
  const head = dd >= 0 ? args.slice(0, dd) : args;
  const argv = dd >= 0 ? args.slice(dd + 1) : [];
  const { values, positionals } = parseArgs({
    args: head,
    allowPositionals: true,
    options: { lab: { type: 'string' }, timeout: { type: 'string' } },
  });
  const node = positionals[0];
  if (!node || argv.length === 0)
    throw new UsageError('exec needs a node and a command: netweave exec NODE -- CMD...');
  const timeoutMs = values.timeout ? Number(values.timeout) * 1000 : undefined;
  const r = await withLab(values.lab, (c) =>
    c.call('exec', { node, argv, ...(timeoutMs ? { timeoutMs } : {}) }),
  );
  process.stdout.write(execOutput(r, 'stdout'));
  process.stderr.write(execOutput(r, 'stderr'));
  if (r.truncated) {
    err(
      `the output of "${argv.join(' ')}" passed ${MAX_CAPTURE_BYTES / 1024 / 1024} MiB and was cut there; write it to a file inside the node instead`,
    );
    if (r.exitCode === 0) return 1;
  }
  if (r.signal) return 128 + 9;
  return r.exitCode ?? 1;
}

async function cmdConsole(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { lab: { type: 'string' } },
  });
  const node = positionals[0];
  if (!node) throw new UsageError('console needs a node: netweave console NODE');
  const client = await connectLab(pickLab(values.lab));
  const { data } = await client.call('consoleScrollback', { node });
  process.stdout.write(data);
  client.on('consoleData', (e) => {
    if (e.node === node) process.stdout.write(e.data);
  });
  const stdin = process.stdin;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    const { columns, rows } = process.stdout;
    if (columns && rows) await client.call('consoleResize', { node, cols: columns, rows });
  }
  process.stderr.write(`[attached to ${node}; detach with Ctrl-]]\r\n`);
  await new Promise<void>((resolve) => {
    stdin.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      const at = text.indexOf(DETACH_KEY);
      if (at >= 0) {
        if (at > 0) void client.call('consoleWrite', { node, data: text.slice(0, at) });
        resolve();
        return;
      }
      void client.call('consoleWrite', { node, data: text });
    });
    stdin.on('end', () => resolve());
    client.onClose(() => resolve());
    process.stdout.on('resize', () => {
      const { columns, rows } = process.stdout;
      if (columns && rows) void client.call('consoleResize', { node, cols: columns, rows });
    });
  });
  if (stdin.isTTY) stdin.setRawMode(false);
  process.stderr.write(`\r\n[detached from ${node}]\n`);
  client.dispose();
  stdin.pause();
  return 0;
}

async function cmdStats(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      lab: { type: 'string' },
      watch: { type: 'boolean', short: 'w' },
      json: { type: 'boolean' },
    },
  });
  const client = await connectLab(pickLab(values.lab));
  const { links } = await client.call('status', {});
  const linkPorts = links.map((l) => ({ id: l.id, ports: l.ports }));
  if (!values.watch) {
    const snap = await client.call('stats', {});
    client.dispose();
    out(values.json ? JSON.stringify({ ...snap, links: linkPorts }) : formatCounters(snap, links));
    return 0;
  }
  let prev: CounterSnapshot | undefined;
  let last = 0;
  await new Promise<void>((resolve) => {
    client.on('counters', (snap) => {
      if (values.json) {
        out(JSON.stringify({ ...snap, links: linkPorts }));
        return;
      }
      if (snap.time - last < 1000) return; // redraw once a second
      last = snap.time;
      // A terminal is redrawn in place; a pipe or file gets one block per second, no escapes.
      const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '\n';
      process.stdout.write(
        `${clear}${new Date(snap.time).toISOString()}\n${formatCounters(snap, links, prev)}\n`,
      );
      prev = snap;
    });
    process.once('SIGINT', () => resolve());
    client.onClose(() => resolve());
  });
  client.dispose();
  return 0;
}

async function cmdCapture(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lab: { type: 'string' },
      write: { type: 'string', short: 'w' },
      duration: { type: 'string' },
    },
  });
  const target = positionals[0];
  if (!target)
    throw new UsageError('capture needs a link or NODE:PORT: netweave capture LINK -w FILE.pcapng');
  const seconds = values.duration !== undefined ? Number(values.duration) : undefined;
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) {
    throw new UsageError(
      `--duration takes a number of seconds greater than 0, not "${values.duration}"`,
    );
  }
  if (!values.write && process.stdout.isTTY) {
    throw new UsageError(
      'capture writes binary pcapng: give a file with -w FILE.pcapng, or pipe it (netweave capture LINK | wireshark -k -i -)',
    );
  }
  const client = await connectLab(pickLab(values.lab));
  const sink: WriteStream | NodeJS.WriteStream = values.write
    ? createWriteStream(values.write)
    : process.stdout;
  let captureId = '';
  const early: Buffer[] = [];
  client.on('captureData', (e) => {
    const buf = Buffer.from(e.data, 'base64');
    if (!captureId) early.push(buf);
    else if (e.captureId === captureId) sink.write(buf);
  });
  const started = await client.call('captureStart', { target });
  captureId = started.captureId;
  for (const b of early) sink.write(b); // only our capture runs on this connection
  if (values.write) {
    process.stderr.write(
      `capturing ${started.ports.join(', ')} (${started.linkType}) to ${values.write}; Ctrl-C stops\n`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    client.onClose(() => resolve());
    if (seconds !== undefined) setTimeout(resolve, seconds * 1000);
  });
  const { frames } = await client.call('captureStop', { captureId }).catch(() => ({ frames: -1 }));
  // Let the engine's last chunks arrive before the file is closed.
  await new Promise((r) => setTimeout(r, 100));
  client.dispose();
  if (values.write) {
    await new Promise<void>((resolve) => (sink as WriteStream).end(() => resolve()));
    process.stderr.write(`${frames >= 0 ? frames : 'some'} frames written to ${values.write}\n`);
  }
  return 0;
}

async function cmdImportZephyr(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' } },
  });
  if (positionals.length === 0) {
    throw new UsageError(
      'import-zephyr needs build directories: netweave import-zephyr BUILD_DIR... [-o lab.yaml]',
    );
  }
  const r = await importZephyr(positionals);
  for (const note of r.notes) process.stderr.write(`note: ${note}\n`);
  if (values.output === undefined) {
    process.stdout.write(r.yaml);
    return 0;
  }
  await writeFileAtomic(values.output, r.yaml);
  out(`wrote ${values.output}; start it with: netweave up ${values.output}`);
  return 0;
}

async function cmdLink(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { lab: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [port, state] = positionals;
  if (
    !port ||
    !port.includes(':') ||
    (state !== 'up' && state !== 'down') ||
    positionals.length > 2
  )
    throw new UsageError('link needs a port and a state: netweave link NODE:PORT up|down');
  const r = await withLab(values.lab, (c) => c.call('linkSet', { port, up: state === 'up' }));
  if (values.json) out(JSON.stringify(r));
  else if (r.failure !== undefined) out(`${r.id} is down: it failed (${r.failure})`);
  else out(`${r.id} is ${r.up ? 'up' : 'down'}`);
  return 0;
}

async function cmdImpair(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lab: { type: 'string' },
      dir: { type: 'string' },
      clear: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [link, ...settings] = positionals;
  if (!link || (settings.length === 0) === (values.clear !== true)) {
    throw new UsageError(
      'impair takes a link and settings, or --clear: netweave impair LINK [--dir ab|ba] delay=20ms loss=1% ...',
    );
  }
  // "a->b" needs quotes in a shell (">" redirects); "ab" and "ba" need none.
  const dirs: Record<string, 'a->b' | 'b->a'> = {
    'a->b': 'a->b',
    ab: 'a->b',
    'b->a': 'b->a',
    ba: 'b->a',
  };
  const dir = values.dir !== undefined ? dirs[values.dir] : undefined;
  if (values.dir !== undefined && dir === undefined) {
    throw new UsageError(`--dir must be 'a->b' (or ab) or 'b->a' (or ba), not "${values.dir}"`);
  }
  const r = await withLab(values.lab, (c) =>
    c.call('linkImpair', {
      link,
      ...(dir !== undefined ? { dir } : {}),
      ...(values.clear === true ? { clear: true } : { spec: settings.join(' ') }),
    }),
  );
  if (values.json) out(JSON.stringify(r));
  else out(`${r.id}: ${formatLinkImpairment(r) || 'no impairment'}`);
  return 0;
}

async function cmdFaults(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { lab: { type: 'string' }, json: { type: 'boolean' } },
  });
  const status = await withLab(positionals[0] ?? values.lab, (c) => c.call('status', {}));
  const faults = status.faults ?? [];
  if (values.json) out(JSON.stringify(faults));
  else
    out(faults.length > 0 ? formatFaults(faults) : `lab ${status.name} has no faults: in its file`);
  return 0;
}

async function cmdReset(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { lab: { type: 'string' } },
  });
  const node = positionals[0];
  if (!node || positionals.length > 1)
    throw new UsageError('reset needs a node: netweave reset NODE');
  const r = await withLab(values.lab, (c) => c.call('nodeReset', { node }));
  out(`${r.name} was reset (${r.state})`);
  return 0;
}

async function cmdValidate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('validate takes a topology file: netweave validate FILE');
  const r = await loadTopologyFile(file);
  if (values.json) {
    out(
      JSON.stringify(
        r.ok ? { ok: true, name: r.topology.name } : { ok: false, problems: r.problems },
      ),
    );
    return r.ok ? 0 : 1;
  }
  if (r.ok) {
    out(
      `${file}: valid lab "${r.topology.name}" (${plural(Object.keys(r.topology.nodes).length, 'node')}, ${plural(r.topology.links.length, 'link')})`,
    );
    return 0;
  }
  for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
  return 1;
}

function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** The usage lines of one command (its lines of USAGE), undefined for an unknown one. */
export function commandUsage(cmd: string): string | undefined {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line.startsWith('  netweave '))
      inside = line.startsWith(`  netweave ${cmd} `) || line === `  netweave ${cmd}`;
    else if (!line.startsWith('    ')) inside = false;
    if (inside) out.push(line);
  }
  return out.length > 0 ? `Usage:\n${out.join('\n')}` : undefined;
}

/** The commands, as USAGE lists them. */
const COMMANDS = [...new Set([...USAGE.matchAll(/^ {2}netweave ([a-z-]+)/gm)].map((m) => m[1]))];

/** Runs the CLI with the given arguments and returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // `netweave CMD --help` (before an exec's `--`): that command's usage.
  const own = rest.indexOf('--');
  const head = own >= 0 ? rest.slice(0, own) : rest;
  if (cmd !== undefined && (head.includes('--help') || head.includes('-h'))) {
    const usage = commandUsage(cmd === 'ps' ? 'status' : cmd);
    if (usage !== undefined) {
      out(usage);
      return 0;
    }
  }
  try {
    switch (cmd) {
      case 'up':
        return await cmdUp(rest);
      case 'down':
        return await cmdDown(rest);
      case 'status':
      case 'ps':
        return await cmdStatus(rest);
      case 'exec':
        return await cmdExec(rest);
      case 'console':
        return await cmdConsole(rest);
      case 'stats':
        return await cmdStats(rest);
      case 'link':
        return await cmdLink(rest);
      case 'impair':
        return await cmdImpair(rest);
      case 'faults':
        return await cmdFaults(rest);
      case 'reset':
        return await cmdReset(rest);
      case 'capture':
        return await cmdCapture(rest);
      case 'import-zephyr':
        return await cmdImportZephyr(rest);
      case 'validate':
        return await cmdValidate(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'schema':
        out(JSON.stringify(jsonSchema(), null, 2));
        return 0;
      case '--version':
      case 'version':
        out(version());
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"; commands are ${COMMANDS.join(', ')}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      return 2;
    }
    if (e instanceof EngineError) {
      if (e.code === 'topology' && e.problems) {
        for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
      } else err(e.message);
      return 1;
    }
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      err(`${e.message}; see \`netweave help\``);
      return 2;
    }
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
}

/** "1 node", "2 nodes". */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
