// `npm run bench`: runs every benchmark, prints one JSON document and writes it to
// bench-results.json. Benchmarks report numbers; they never fail on them.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { benchFabric } from './fabric.js';
import { benchQemuBringup } from './qemuBringup.js';
import { benchUi } from './ui.js';
import { benchZephyrStart } from './zephyrStart.js';

type Bench = () => Promise<object>;

const benches: Record<string, Bench> = {
  fabric: benchFabric,
  qemuBringup: benchQemuBringup,
  ui: benchUi,
  zephyrStart: benchZephyrStart,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  };
  for (const [name, bench] of Object.entries(benches)) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`bench ${name}...\n`);
    try {
      results[name] = await bench();
    } catch (err) {
      results[name] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  const json = JSON.stringify(results, null, 2);
  writeFileSync('bench-results.json', `${json}\n`);
  process.stdout.write(`${json}\n`);
}

await main();
