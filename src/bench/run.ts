// `npm run bench`: runs every benchmark, prints one JSON document and writes it to
// bench-results.json. Benchmarks report numbers; they never fail on them. A benchmark that
// cannot measure what it says (a missing tool, a setup step that failed) reports its error in
// the JSON and on stderr, and the run exits 1.
//
// `npm run bench -- NAME...` runs only the named benchmarks; `--quick` makes the fabric
// benchmark a short smoke run (one round, 1-second iperf3 runs) and the console flood 10 MB,
// `--rounds N` sets the rounds of the fabric, impairment and console flood benchmarks and the
// runs per arm of zephyrStart (a noisy machine wants more than the default 3 for a median that
// means something).
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { benchConsoleFlood } from './consoleFlood.js';
import { benchFabric, type FabricBenchOptions } from './fabric.js';
import { benchImpair } from './impair.js';
import { formatJson } from './json.js';
import { installInterruptHandlers } from './owned.js';
import { benchQemuBringup } from './qemuBringup.js';
import { benchUi } from './ui.js';
import { benchZephyrStart } from './zephyrStart.js';

type Bench = () => Promise<object>;

interface Args {
  only: string[];
  fabric: FabricBenchOptions;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { only: [], fabric: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--quick') args.fabric.quick = true;
    else if (a === '--rounds' || a.startsWith('--rounds=')) {
      const v = a === '--rounds' ? argv[++i] : a.slice('--rounds='.length);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--rounds needs a whole number >= 1`);
      args.fabric.rounds = n;
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.only.push(a);
  }
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `bench: ${err instanceof Error ? err.message : String(err)} (usage: run.js [--quick] [--rounds N] [NAME...])\n`,
    );
    process.exitCode = 2;
    return;
  }
  installInterruptHandlers();
  const benches: Record<string, Bench> = {
    fabric: () => benchFabric(args.fabric),
    impair: () => benchImpair(args.fabric),
    qemuBringup: benchQemuBringup,
    ui: benchUi,
    consoleFlood: () => benchConsoleFlood(args.fabric),
    zephyrStart: () => benchZephyrStart(args.fabric.rounds),
  };
  const unknown = args.only.filter((n) => !(n in benches));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: no benchmark named ${unknown.join(', ')} (there are: ${Object.keys(benches).join(', ')})\n`,
    );
    process.exitCode = 2;
    return;
  }
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  };
  for (const [name, bench] of Object.entries(benches)) {
    if (args.only.length > 0 && !args.only.includes(name)) continue;
    process.stderr.write(`bench ${name}...\n`);
    try {
      results[name] = await bench();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results[name] = { error: message };
      process.stderr.write(`bench ${name} failed: ${message}\n`);
      process.exitCode = 1;
    }
  }
  const json = formatJson(results);
  writeFileSync('bench-results.json', `${json}\n`);
  process.stdout.write(`${json}\n`);
}

await main();
