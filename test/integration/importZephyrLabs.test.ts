// A lab `netweave import-zephyr` writes for a legacy raw-IP SLIP build runs (QEMU stand-in: there
// is no real build of this mode in ../shared/zephyr). The real CLI imports a fixture build
// directory, the test points the qemu node at the QEMU stand-in and plays Zephyr on the serial
// line, and the imported host reaches it through the fabric. The modes that have real builds
// (SLIP-TAP, 802.15.4, e1000) are tested with them in zephyrQemu.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { CliEnv, IS_ROOT, leftovers, pingArgs, ROOT, until } from '../helpers/cli.js';
import { SlipPeer } from '../helpers/slipPeer.js';

const STANDIN = join(ROOT, 'test', 'fixtures', 'qemu-standin', 'qemu-standin.py');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'zephyr');

/** Imports build directories with the real CLI and rewrites the qemu nodes to the stand-in. */
async function importLab(env: CliEnv, dir: string, builds: string[]): Promise<string> {
  const file = join(dir, 'lab.yaml');
  const r = await env.run(['import-zephyr', ...builds.map((b) => join(FIXTURES, b)), '-o', file]);
  expect(r.code, r.stderr).toBe(0);
  const kernel = join(dir, 'zephyr.elf');
  writeFileSync(kernel, 'not an ELF: the stand-in never reads it\n');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const nodes = doc.get('nodes') as { items: { key: { value: string } }[] };
  for (const item of nodes.items) {
    const name = item.key.value;
    if (doc.getIn(['nodes', name, 'kind']) !== 'qemu') continue;
    doc.setIn(['nodes', name, 'binary'], STANDIN);
    doc.setIn(['nodes', name, 'kernel'], kernel);
  }
  writeFileSync(file, doc.toString());
  return file;
}

describe.skipIf(!IS_ROOT)(
  'a lab imported from a legacy raw-IP SLIP build runs (QEMU stand-in)',
  () => {
    const peerDir = mkdtempSync(join(tmpdir(), 'nwimport-'));
    const env = new CliEnv({ NETWEAVE_STANDIN_PEER_DIR: peerDir });
    const labs: string[] = [];

    afterAll(async () => {
      for (const lab of labs) await env.run(['down', lab]);
      rmSync(peerDir, { recursive: true, force: true });
      env.dispose();
    });

    it('qemu_x86-slip-raw (stand-in): the imported host pings Zephyr over legacy raw-IP SLIP', async () => {
      const dir = mkdtempSync(join(peerDir, 'lab-'));
      const file = await importLab(env, dir, ['qemu_x86-slip-raw']);
      const lab = 'zephyr-echo_server';
      labs.push(lab);
      const peer = await SlipPeer.listen({
        path: join(peerDir, 'echo_server-serial1.sock'),
        mode: 'ip',
        ipv4: '192.0.2.1',
      });
      try {
        const up = await env.run(['up', file, '--detach']);
        expect(up.code, up.stderr).toBe(0);
        let out = '';
        const replied = await until(async () => {
          const r = await env.run(pingArgs('host', '192.0.2.1', 2, lab));
          out = r.stdout + r.stderr;
          return r.code === 0;
        }, 60_000);
        expect(replied, out).toBe(true);
        expect(peer.echoes).toBeGreaterThanOrEqual(2);
        const down = await env.run(['down', lab]);
        expect(down.code, down.stderr).toBe(0);
        expect(await leftovers(env, lab)).toEqual([]);
      } finally {
        await peer.dispose();
      }
    });
  },
);
