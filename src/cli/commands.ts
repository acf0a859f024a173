// The `netweave` commands. Thin: each maps flags to engine calls and prints the results.
import { readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  EngineError,
  type AppEvents,
  type CounterSnapshot,
  type LabSummary,
} from '../shared/contract.js';
import type { NetworkMode } from '../shared/kinds.js';
import { checkName, formatProblem } from '../shared/topology/index.js';
import { execOutput, MAX_CAPTURE_BYTES } from '../engine/process/run.js';
import { jsonSchema, loadTopologyFile, writeFileAtomic } from '../engine/topology/index.js';
import { fileLabName } from '../engine/warmEngine.js';
import { importZephyr } from '../engine/zephyr/index.js';
import { AppService } from '../service/service.js';
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
  netweave capture LINK|NODE:PORT [--lab LAB] [-w FILE.pcapng] [--duration SECONDS] [--wire-frames]
                                  capture to pcapng (stdout when no -w; pipe into wireshark -k -i -);
                                  --wire-frames records a host's 64 KB TSO frames as the wire frames
                                  they stand for
  netweave validate FILE [--json] check a topology file
  netweave import-zephyr BUILD_DIR... [-o lab.yaml]
                                  a lab for Zephyr build directories (stdout when no -o)
  netweave schema                 print the topology JSON Schema
  netweave serve [--port N] [--host ADDR] [--open]
                                  web mode: the app in a browser (127.0.0.1, token in the URL)
`;

class UsageError extends Error {}

/** The flags most commands take. */
const LAB = { lab: { type: 'string' } } as const;
const JSON_OUT = { json: { type: 'boolean' } } as const;

/** A command's flags and positionals (parseArgs; unknown flags are refused). */
function flags<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>> {
  return parseArgs({ args, options, allowPositionals: true });
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function err(s: string): void {
  process.stderr.write(`netweave: ${s}\n`);
}

/**
 * The app service the commands drive labs through, as the desktop app and `serve` do: created
 * on first use, disposed when the command ends (the labs it launched keep running).
 */
let service: AppService | undefined;

function svc(): AppService {
  service ??= new AppService({ transport: 'in-process', labsOutlive: true });
  return service;
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
async function pickLab(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) return labArg(explicit);
  const { labs } = await svc().call('labList', {});
  const running = labs.filter((l) => l.stale !== true).map((l) => l.name);
  if (running.length === 1 && running[0]) return running[0];
  if (running.length === 0)
    throw new EngineError('not-running', 'no lab is running; start one with `netweave up FILE`');
  throw new EngineError(
    'bad-request',
    `several labs are running (${running.join(', ')}); choose one with --lab NAME`,
  );
}

/** Resolves once `lab` reaches one of `states` (its summary in the service's `labs` event). */
function labReaches(lab: () => string, states: readonly string[]): Promise<LabSummary> {
  return new Promise((resolve) => {
    svc().on('labs', ({ labs }) => {
      const me = labs.find((l) => l.name === lab());
      if (me && states.includes(me.state)) resolve(me);
    });
  });
}

/** Resolves when the lab's engine is gone (taken down elsewhere, or ended). */
function labGone(lab: string): Promise<LabSummary> {
  return labReaches(() => lab, ['stopped', 'failed']);
}

/** Resolves on Ctrl-C or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function cmdUp(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, {
    detach: { type: 'boolean', short: 'd' },
    network: { type: 'string' },
    ...JSON_OUT,
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
  const s = svc();
  // This service holds this one lab: every lab event is its own.
  s.on('labNotice', (e) => say(e.message));
  s.on('labDeployProgress', (p) => {
    say(`  [${p.step}/${p.steps}] ${p.stage.padEnd(6)} ${p.message}`);
  });
  let lab = '';
  const deployed = labReaches(() => lab, ['running', 'failed']);
  const launched = await s.call('labLaunch', { file, ...(network ? { network } : {}) });
  lab = launched.lab;
  say(`lab ${lab}: starting (network ${launched.network}, logs in ${launched.logDir})`);
  const final = await deployed;
  if (final.state === 'failed') {
    await s.call('labStop', { lab });
    throw new EngineError(
      'internal',
      `lab ${lab} failed to start: ${final.reason ?? 'unknown reason'}; nothing was left behind`,
    );
  }
  const status = await s.call('labStatus', { lab });
  if (json) out(JSON.stringify(status));
  else {
    out(formatStatus(status));
    out(
      `\nlab ${lab} is running. Try: netweave exec NODE -- CMD, netweave console NODE, netweave stats`,
    );
  }
  if (values.detach) {
    if (!json) out(`stop it with: netweave down ${lab}`);
    return 0;
  }
  say('press Ctrl-C to take the lab down');
  await Promise.race([interrupted(), labGone(lab)]);
  say(`taking lab ${lab} down`);
  await s.call('labStop', { lab });
  say('done');
  return 0;
}

async function cmdDown(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, { all: { type: 'boolean' }, ...JSON_OUT });
  if (values.all) {
    const r = await svc().stopAll();
    if (values.json) out(JSON.stringify(r));
    else
      out(
        `took down ${r.labs.length} lab(s)${r.labs.length ? ` (${r.labs.join(', ')})` : ''} and removed ${r.orphans} orphan(s)`,
      );
    return 0;
  }
  const lab = await pickLab(positionals[0]);
  const { removed, interrupted } = await svc().call('labStop', { lab });
  if (values.json) out(JSON.stringify({ lab, removed, ...(interrupted ? { interrupted } : {}) }));
  else if (interrupted) out(`lab ${lab} was still starting; its start was stopped and it is down`);
  else if (removed === 0) out(`lab ${lab} is not running and left nothing behind`);
  else out(`lab ${lab} is down`);
  return 0;
}

async function cmdStatus(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, { ...JSON_OUT, ...LAB });
  const given = positionals[0] ?? values.lab;
  const wanted = given !== undefined ? labArg(given) : undefined;
  const { labs } = await svc().call('labList', {});
  const shown = labs.filter((l) => wanted === undefined || l.name === wanted);
  if (wanted !== undefined && shown.length === 0) {
    if (values.json) out('null');
    else err(`lab ${wanted} is not running; \`netweave status\` lists the labs that are`);
    return 1;
  }
  const result = [];
  for (const l of shown) {
    if (l.stale === true) {
      result.push({ name: l.name, state: 'stale' as const, hint: `netweave down ${l.name}` });
      continue;
    }
    result.push(await svc().call('labStatus', { lab: l.name }));
  }
  if (values.json) {
    out(JSON.stringify(wanted ? (result[0] ?? null) : result));
    return 0;
  }
  if (result.length === 0) out('no lab is running');
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
  const { values, positionals } = flags(head, { ...LAB, timeout: { type: 'string' } });
  const node = positionals[0];
  if (!node || argv.length === 0)
    throw new UsageError('exec needs a node and a command: netweave exec NODE -- CMD...');
  const timeoutMs = values.timeout ? Number(values.timeout) * 1000 : undefined;
  const lab = await pickLab(values.lab);
  const r = await svc().call('labExec', { lab, node, argv, ...(timeoutMs ? { timeoutMs } : {}) });
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
  const { values, positionals } = flags(args, LAB);
  const node = positionals[0];
  if (!node) throw new UsageError('console needs a node: netweave console NODE');
  const lab = await pickLab(values.lab);
  const s = svc();
  // Output is acknowledged once the terminal took it (the service's flow control).
  const show = (e: AppEvents['consoleOutput']): void => {
    process.stdout.write(e.data, () => {
      void s.call('consoleAck', { viewer: e.viewer, chars: e.data.length }).catch(() => undefined);
    });
  };
  let viewer: string | undefined = undefined; // known once consoleAttach answers
  const early: AppEvents['consoleOutput'][] = [];
  s.on('consoleOutput', (e) => {
    if (viewer === undefined) early.push(e);
    else if (e.viewer === viewer) show(e);
  });
  const attached = await s.call('consoleAttach', { lab, node });
  viewer = attached.viewer;
  process.stdout.write(attached.data);
  for (const e of early) if (e.viewer === viewer) show(e);
  const write = (data: string): void => {
    void s.call('labConsoleWrite', { lab, node, data }).catch(() => undefined);
  };
  const resize = (): void => {
    const { columns: cols, rows } = process.stdout;
    if (cols && rows) {
      void s.call('labConsoleResize', { lab, node, cols, rows }).catch(() => undefined);
    }
  };
  const stdin = process.stdin;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    resize();
  }
  process.stderr.write(`[attached to ${node}; detach with Ctrl-]]\r\n`);
  await Promise.race([
    labGone(lab),
    new Promise<void>((resolve) => {
      stdin.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        const at = text.indexOf(DETACH_KEY);
        if (at >= 0) {
          if (at > 0) write(text.slice(0, at));
          resolve();
          return;
        }
        write(text);
      });
      stdin.on('end', () => resolve());
      process.stdout.on('resize', resize);
    }),
  ]);
  if (stdin.isTTY) stdin.setRawMode(false);
  process.stderr.write(`\r\n[detached from ${node}]\n`);
  await s.call('consoleDetach', { viewer });
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
  const lab = await pickLab(values.lab);
  const s = svc();
  const { links } = await s.call('labStatus', { lab });
  const linkPorts = links.map((l) => ({ id: l.id, ports: l.ports }));
  if (!values.watch) {
    const snap = await s.call('labStats', { lab });
    out(values.json ? JSON.stringify({ ...snap, links: linkPorts }) : formatCounters(snap, links));
    return 0;
  }
  let prev: CounterSnapshot | undefined;
  let last = 0;
  s.on('labCounters', ({ lab: from, ...snap }) => {
    if (from !== lab) return;
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
  await Promise.race([interrupted(), labGone(lab)]);
  return 0;
}

async function cmdCapture(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, {
    ...LAB,
    write: { type: 'string', short: 'w' },
    duration: { type: 'string' },
    'wire-frames': { type: 'boolean' },
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
  const file = values.write;
  if (!file && process.stdout.isTTY) {
    throw new UsageError(
      'capture writes binary pcapng: give a file with -w FILE.pcapng, or pipe it (netweave capture LINK | wireshark -k -i -)',
    );
  }
  const lab = await pickLab(values.lab);
  const s = svc();
  const what = { lab, target, ...(values['wire-frames'] === true ? { wireFrames: true } : {}) };
  const started = file
    ? await s.call('captureOpen', { ...what, sink: 'file', file })
    : await s.captureToStream(what, process.stdout);
  if (file) {
    process.stderr.write(
      `capturing ${started.ports.join(', ')} (${started.linkType}) to ${file}; Ctrl-C stops\n`,
    );
  }
  await Promise.race([
    interrupted(),
    labGone(lab),
    ...(seconds !== undefined ? [new Promise((r) => setTimeout(r, seconds * 1000))] : []),
  ]);
  const { frames, dropped } = await s.call('captureClose', { lab, captureId: started.captureId });
  if (file) process.stderr.write(`${frames >= 0 ? frames : 'some'} frames written to ${file}\n`);
  if (dropped > 0) {
    process.stderr.write(
      `${dropped} frames left out: the capture's reader did not keep up (capture a port, or for less time)\n`,
    );
  }
  return 0;
}

async function cmdImportZephyr(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, { output: { type: 'string', short: 'o' } });
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
  const { values, positionals } = flags(args, { ...LAB, ...JSON_OUT });
  const [port, state] = positionals;
  if (
    !port ||
    !port.includes(':') ||
    (state !== 'up' && state !== 'down') ||
    positionals.length > 2
  )
    throw new UsageError('link needs a port and a state: netweave link NODE:PORT up|down');
  const lab = await pickLab(values.lab);
  const r = await svc().call('labLinkSet', { lab, port, up: state === 'up' });
  if (values.json) out(JSON.stringify(r));
  else if (r.failure !== undefined) out(`${r.id} is down: it failed (${r.failure})`);
  else out(`${r.id} is ${r.up ? 'up' : 'down'}`);
  return 0;
}

async function cmdImpair(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, {
    ...LAB,
    dir: { type: 'string' },
    clear: { type: 'boolean' },
    ...JSON_OUT,
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
  const r = await svc().call('labLinkImpair', {
    lab: await pickLab(values.lab),
    link,
    ...(dir !== undefined ? { dir } : {}),
    ...(values.clear === true ? { clear: true } : { spec: settings.join(' ') }),
  });
  if (values.json) out(JSON.stringify(r));
  else out(`${r.id}: ${formatLinkImpairment(r) || 'no impairment'}`);
  return 0;
}

async function cmdFaults(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, { ...LAB, ...JSON_OUT });
  const lab = await pickLab(positionals[0] ?? values.lab);
  const status = await svc().call('labStatus', { lab });
  const faults = status.faults ?? [];
  if (values.json) out(JSON.stringify(faults));
  else
    out(faults.length > 0 ? formatFaults(faults) : `lab ${status.name} has no faults: in its file`);
  return 0;
}

async function cmdReset(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, LAB);
  const node = positionals[0];
  if (!node || positionals.length > 1)
    throw new UsageError('reset needs a node: netweave reset NODE');
  const lab = await pickLab(values.lab);
  const r = await svc().call('labNodeReset', { lab, node });
  out(`${r.name} was reset (${r.state})`);
  return 0;
}

async function cmdValidate(args: string[]): Promise<number> {
  const { values, positionals } = flags(args, JSON_OUT);
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
    return await runCommand(cmd, rest);
  } catch (e) {
    return failed(e);
  } finally {
    await service?.dispose();
    service = undefined;
  }
}

/** Runs one command. */
async function runCommand(cmd: string | undefined, rest: string[]): Promise<number> {
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
}

/** The exit status of a command that threw, its error said in one sentence. */
function failed(e: unknown): number {
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

/** "1 node", "2 nodes". */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
