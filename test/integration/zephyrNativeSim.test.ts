// Real Zephyr native_sim builds (../shared/zephyr: echo_server and echo_client of Zephyr 3.5.0 and
// 4.3.0), imported with the real `netweave import-zephyr` and run with `netweave up` as a user
// would: each echo_server answers ping, UDP and TCP echo over IPv4 and IPv6 from the generated host
// node; a server + client pair imported together exchange echoes; two instances that draw the
// same MAC are told apart; the console shows the boot from its first byte; what a build cannot
// honour or a binary that cannot run here is refused before anything starts, in one sentence.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runs32BitX86 } from '../../src/engine/process/runnable.js';
import type { CounterSnapshot, LabStatus } from '../../src/shared/contract.js';
import { CliEnv, leftovers } from '../helpers/cli.js';
import {
  consoleLines,
  consoleText,
  describeRealZephyr,
  echoAll,
  errorLines,
  importZephyrLab,
  labDown,
  labUp,
  runLog,
  waitFor,
  zephyrBuild,
} from '../helpers/zephyr.js';

/** The part of a lab file these tests read. */
interface LabDoc {
  nodes: Record<string, Record<string, unknown>>;
}

const RELEASES = ['v3.5.0', 'v4.3.0'] as const;
type Release = (typeof RELEASES)[number];

/** Every build these tests run. */
const BUILDS = [
  ...RELEASES.flatMap((r) => [`${r}/echo_server-native_sim_64`, `${r}/echo_client-native_sim_64`]),
  'v3.5.0/echo_server-qemu_x86-e1000',
];

/** The pair exchanges echoes this long (the acceptance: 20 s). */
const PAIR_WINDOW_MS = 20_000;
/** A native_sim instance boots in well under a second; a loaded 2-core machine gets 30 s. */
const BOOT_MS = 30_000;

/** A lab file of the test's own, next to its other files. */
function labFile(env: CliEnv, name: string, yaml: string): string {
  const dir = join(env.runtime, '..', 'files', name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function status(env: CliEnv, lab: string): Promise<LabStatus> {
  const r = await env.run(['status', lab, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as LabStatus;
}

/** Lines of a console log without escape sequences. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

function count(text: string, re: RegExp): number {
  return plain(text).match(new RegExp(re.source, 'g'))?.length ?? 0;
}

/** What each release prints first, in order (measured on these builds, see ../shared/zephyr). */
const BOOT: Record<Release, RegExp[]> = {
  // 3.5.0: stdout has the entropy warning and the pty announcement; the UART starts with the
  // shell's prompt and net_config's IPv6 line. It never prints the boot banner.
  'v3.5.0': [
    /^WARNING: Using a test - not safe - entropy source/,
    /uart connected to pseudotty: \/dev\/pts\/\d+/,
    /uart:~\$ /,
    /net_config: IPv6 address: 2001:db8::1/,
    /Waiting for UDP packets on port 4242 \(IPv4\)/,
  ],
  // 4.3.0: the banner and the first log lines on stdout, later output on the UART too.
  'v4.3.0': [
    /^WARNING: Using a test - not safe - entropy source/,
    /uart connected to pseudotty: \/dev\/pts\/\d+/,
    /\*\*\* Booting Zephyr OS build v4\.3\.0 \*\*\*/,
    /net_config: Initializing network/,
    /net_config: IPv4 address: 192\.0\.2\.1/,
    /uart:~\$ /,
    /Waiting for UDP packets on port 4242 \(IPv4\)/,
  ],
};

/** Asserts `patterns` appear in `text` in this order, the first at its very start. */
function expectInOrder(text: string, patterns: RegExp[]): void {
  let rest = plain(text);
  patterns.forEach((re, i) => {
    const m = re.exec(rest);
    expect(
      m,
      `${String(re)} after the previous boot line; console was:\n${plain(text).slice(0, 1500)}`,
    ).not.toBeNull();
    if (i === 0) expect(m?.index).toBe(0);
    rest = rest.slice((m?.index ?? 0) + (m?.[0].length ?? 0));
  });
}

describeRealZephyr('real Zephyr native_sim', { builds: BUILDS }, () => {
  const env = new CliEnv();
  afterAll(async () => {
    await env.run(['down', '--all']);
    env.dispose();
  });

  for (const release of RELEASES) {
    const tag = release.replace(/\W/g, '');

    it(`${release} echo_server: imported and launched as is, it answers ping, UDP and TCP echo on IPv4 and IPv6, its console shows the boot from the first byte`, async () => {
      const lab = `ns-server-${tag}`;
      const imported = await importZephyrLab(env, [`${release}/echo_server-native_sim_64`], {
        name: lab,
      });
      // As imported: the node is its zephyr.exe and nothing else (3.5 honours no other setting).
      expect(Object.keys((parse(imported.yaml) as LabDoc).nodes['echo_server'] ?? {})).toEqual([
        'kind',
        'exe',
      ]);
      await labUp(env, imported);
      const s = await status(env, lab);
      const server = s.nodes.find((n) => n.name === 'echo_server');
      expect(server?.state).toBe('ready');
      await echoAll(env, lab, 'host', ['192.0.2.1', '2001:db8::1']);
      // The MAC the instance drew is shown with the seed it drew it from.
      expect((await status(env, lab)).nodes.find((n) => n.name === 'echo_server')?.detail).toMatch(
        /^seed \d+, MAC 02:00:5e:00:53:[0-9a-f]{2}$/,
      );
      expectInOrder(runLog(env, lab, 'echo_server'), BOOT[release]);
      expectInOrder(await consoleText(env, lab, 'echo_server'), BOOT[release]);
      expect(await labDown(env, lab)).toEqual([]);
    });

    it(`${release} echo_server + echo_client imported together: distinct MACs, echoes for 20 s, no error lines`, async () => {
      const lab = `ns-pair-${tag}`;
      const imported = await importZephyrLab(
        env,
        [`${release}/echo_server-native_sim_64`, `${release}/echo_client-native_sim_64`],
        { name: lab },
      );
      await labUp(env, imported);
      // Each instance's MAC is learned from its first frame: wait for both, then compare.
      const macs = async (): Promise<(string | undefined)[]> =>
        (await status(env, lab)).nodes
          .filter((n) => n.kind === 'native-sim')
          .map((n) => /MAC (\S+)/.exec(n.detail ?? '')?.[1]);
      await waitFor(
        'both instances sent a frame',
        async () => (await macs()).every(Boolean),
        BOOT_MS,
      );
      expect(new Set(await macs()).size).toBe(2);

      // The window starts once the client has connected; it then echoes without pause.
      const good = (): number =>
        release === 'v3.5.0'
          ? count(runLog(env, lab, 'echo_client'), /Received and compared \d+ bytes, all ok/)
          : // 4.3.0's client logs nothing per good round trip; the server logs each echo.
            count(runLog(env, lab, 'echo_server'), /Received and replied with \d+ bytes/);
      await waitFor('the first echo', () => good() > 0, BOOT_MS, {
        detail: () =>
          ['echo_server', 'echo_client']
            .map((n) => `${n}:\n${runLog(env, lab, n).split('\n').slice(-15).join('\n')}`)
            .join('\n'),
      });
      const start = good();
      const half = await new Promise<number>((r) =>
        setTimeout(() => r(good()), PAIR_WINDOW_MS / 2),
      );
      await new Promise((r) => setTimeout(r, PAIR_WINDOW_MS / 2));
      const end = good();
      // Echoes kept coming through both halves of the window.
      expect(half).toBeGreaterThan(start);
      expect(end).toBeGreaterThan(half);
      for (const node of ['echo_client', 'echo_server']) {
        const lines = consoleLines(runLog(env, lab, node));
        expect(errorLines(lines), `${node} logged errors`).toEqual([]);
        expect(lines.join('\n')).not.toMatch(/DAD failed|Cannot connect/);
      }
      expect(await labDown(env, lab)).toEqual([]);
    });
  }

  it('two instances whose seeds draw the same MAC (v4.3.0, nodes z22 and z30): one is started again with another seed, and they echo', async () => {
    const lab = 'ns-macs';
    const server = join(zephyrBuild('v4.3.0/echo_server-native_sim_64'), 'zephyr', 'zephyr.exe');
    const client = join(zephyrBuild('v4.3.0/echo_client-native_sim_64'), 'zephyr', 'zephyr.exe');
    // Measured on these builds: the seeds netweave derives for z22 and z30 both draw
    // 02:00:5e:00:53:3c.
    const file = labFile(
      env,
      lab,
      `name: ${lab}
nodes:
  z22: { kind: native-sim, exe: ${server} }
  z30: { kind: native-sim, exe: ${client} }
  sw: { kind: switch }
links:
  - endpoints: [z22:eth0, sw]
  - endpoints: [z30:eth0, sw]
`,
    );
    const up = await env.run(['up', file, '--detach']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    await waitFor(
      'both instances ready with a MAC',
      async () => {
        const nodes = (await status(env, lab)).nodes.filter((n) => /MAC /.test(n.detail ?? ''));
        return nodes.length === 2 && nodes.every((n) => n.state === 'ready');
      },
      60_000,
    );
    const nodes = (await status(env, lab)).nodes.filter((n) => n.kind === 'native-sim');
    const learned = nodes.map((n) => /MAC (\S+)/.exec(n.detail ?? '')?.[1]);
    expect(new Set(learned).size).toBe(2);
    const stats = JSON.parse(
      (await env.run(['stats', '--lab', lab, '--json'])).stdout,
    ) as CounterSnapshot;
    const conflicts = stats.ports.map((p) => p.extra?.['mac-conflict'] ?? 0);
    expect(
      conflicts.filter((c) => c > 0),
      JSON.stringify(stats.ports),
    ).toHaveLength(1);
    const restarted = nodes.find(
      (_, i) =>
        (stats.ports.find((p) => p.port === `${nodes[i]?.name}:eth0`)?.extra?.['mac-conflict'] ??
          0) > 0,
    );
    expect(plain(runLog(env, lab, restarted?.name ?? ''))).toMatch(
      /\[netweave\] MAC 02:00:5e:00:53:3c is already used by z\d+: starting again with seed \d+/,
    );
    await waitFor(
      'echoes between z22 and z30',
      () => count(runLog(env, lab, 'z22'), /Received and replied with \d+ bytes/) > 10,
      BOOT_MS,
    );
    expect(await labDown(env, lab)).toEqual([]);
  });

  describe('refused before anything starts, in one sentence', () => {
    /** `up` of a one-node lab; asserts exit 1, one line, no stack, nothing left; returns stderr. */
    async function refused(lab: string, node: string): Promise<string> {
      const file = labFile(env, lab, `name: ${lab}\nnodes:\n  zs:\n${node}`);
      const r = await env.run(['up', file, '--detach']);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await leftovers(env, lab)).toEqual([]);
      return r.stderr;
    }
    const exe35 = (): string =>
      join(zephyrBuild('v3.5.0/echo_server-native_sim_64'), 'zephyr', 'zephyr.exe');

    it('a setting a build cannot honour names the option and the release that added it, or the Kconfig that ignores it', async () => {
      expect(
        await refused(
          'ns-mac',
          `    kind: native-sim\n    exe: ${exe35()}\n    mac: 00:00:5e:00:53:07\n`,
        ),
      ).toMatch(
        /native-sim node "zs" sets mac: 00:00:5e:00:53:07, but its zephyr\.exe has no --mac-addr option \(Zephyr added it in 4\.2\)/,
      );
      expect(
        await refused(
          'ns-tap',
          `    kind: native-sim\n    exe: ${exe35()}\n    ports: {eth0: {tap: zeth9}}\n`,
        ),
      ).toMatch(/no --eth-if option \(Zephyr added it in 3\.7\); it always opens the TAP "zeth"/);
      // 4.3.0 has --mac-addr, but its Kconfig (beside zephyr.exe) draws a random MAC and ignores it.
      const exe43 = join(zephyrBuild('v4.3.0/echo_server-native_sim_64'), 'zephyr', 'zephyr.exe');
      expect(
        await refused(
          'ns-mac43',
          `    kind: native-sim\n    exe: ${exe43}\n    mac: 00:00:5e:00:53:07\n`,
        ),
      ).toMatch(
        /sets mac: 00:00:5e:00:53:07, but its build draws a random MAC \(CONFIG_ETH_NATIVE_TAP_RANDOM_MAC=y\) and ignores --mac-addr/,
      );
    });

    it('a 32-bit x86 program on a machine that cannot run one names the cause and the fix', async (t) => {
      // On a machine that runs 32-bit programs there is nothing to refuse.
      if (await runs32BitX86()) t.skip();
      // A real 32-bit x86 ELF (the qemu_x86 build's kernel) stands where zephyr.exe should be.
      const dir = join(env.runtime, '..', 'files', 'ns-32bit');
      mkdirSync(dir, { recursive: true });
      const exe = join(dir, 'zephyr.exe');
      copyFileSync(
        join(zephyrBuild('v3.5.0/echo_server-qemu_x86-e1000'), 'zephyr', 'zephyr.elf'),
        exe,
      );
      chmodSync(exe, 0o755);
      const err = await refused('ns-32bit', `    kind: native-sim\n    exe: ${exe}\n`);
      expect(err).toMatch(/32-bit/);
      expect(err).toMatch(/native_sim_64|native_sim\/native\/64/);
      expect(err).not.toMatch(/Syntax error/);
    });

    it('a missing or non-executable exe', async () => {
      expect(
        await refused('ns-missing', '    kind: native-sim\n    exe: ./build/zephyr/zephyr.exe\n'),
      ).toMatch(/native-sim node "zs" cannot start: .*build\/zephyr\/zephyr\.exe not found/);
      const dir = join(env.runtime, '..', 'files', 'ns-noexec');
      mkdirSync(dir, { recursive: true });
      const exe = join(dir, 'zephyr.exe');
      copyFileSync(exe35(), exe);
      chmodSync(exe, 0o644);
      expect(await refused('ns-noexec', `    kind: native-sim\n    exe: ${exe}\n`)).toMatch(
        /native-sim node "zs" cannot start: .*zephyr\.exe is not an executable file/,
      );
    });
  });
});
