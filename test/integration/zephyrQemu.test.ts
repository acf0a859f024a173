// Real Zephyr on real QEMU (TCG, never KVM), through the real CLI: every QEMU build of
// ../shared/zephyr imported with `netweave import-zephyr` and brought up as imported. The
// generated host node pings each echo_server and gets its UDP and TCP echo on port 4242 over IPv4
// and IPv6 (e1000 of both releases, and SLIP-TAP through the switch, captured and counted);
// consoles show the boot from QEMU's first line; a port's cable is pulled and plugged back and the
// machine reset; and the 802.15.4 echo_server + echo_client pair exchange echoes over the
// radio-154 medium until a delivery matrix cuts one direction. Helpers: test/helpers/zephyr.ts.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterSnapshot, FaultStatus } from '../../src/shared/contract.js';
import { CliEnv, portCounters, tshark } from '../helpers/cli.js';
import {
  consoleLines,
  consoleText,
  describeRealZephyr,
  echoAll,
  echoProbe,
  errorLines,
  formatEchoReport,
  importZephyrLab,
  labDown,
  labUp,
  radioMatrix,
  radioSettings,
  waitFor,
  runLog,
  ZEPHYR_BANNER,
  ZEPHYR_LOG_LINE,
  zephyrUptimeMs,
  type ImportedLab,
} from '../helpers/zephyr.js';

/** echo_server's addresses (prj.conf): qemu_x86's IPv6 comes up about 1 s after IPv4. */
const ADDRESSES = ['192.0.2.1', '2001:db8::1'];
/** The node import-zephyr generates on the Ethernet segment, 192.0.2.2 / 2001:db8::2. */
const HOST = 'host';
/** The echo_server node import-zephyr names after the sample. */
const SERVER = 'echo_server';
/** A lab of one qemu_x86 under TCG: `up` takes seconds, a loaded CI box may need a minute. */
const LAB_MS = 180_000;
/** From the banner (`up` is ready) to the sample waiting for packets: well under a second. */
const BOOT_MS = 30_000;
/** A reset boots again through SeaBIOS: seconds, a minute on a loaded box. */
const REBOOT_MS = 60_000;
/** Echo attempts while the cable is out: each waits 1 s, so about four fail. */
const CABLE_OUT_MS = 5_000;
/** How long the 802.15.4 client must keep logging good echoes. */
const RADIO_GOOD_MS = 20_000;
/** Observation step within that time: each step must bring new good echoes. */
const RADIO_STEP_MS = 5_000;
/**
 * The cut-direction window: echo_client waits 10 s for an answer before it logs that none came
 * (`<err> ... Data packet not received`), so 40 s covers a boot and that timeout on a busy box.
 */
const RADIO_CUT_MS = 40_000;

/** When the radio fault test cuts echo_server -> echo_client (after ready), and for how long. */
const RADIO_FAULT_AT_S = 15;
const RADIO_FAULT_FOR_S = 10;
/** How long a console line may trail the frame it reports (a UART under TCG, then the engine). */
const CONSOLE_LAG_MS = 2_000;

/** A good round trip of echo_client (one console line each). */
const GOOD_ECHO = /Received and compared \d+ bytes, all ok/;
/** echo_client giving up on a datagram it sent. */
const NO_ECHO = /<err> net_echo_client_sample: .*Data packet not received/;

/** A QEMU echo_server build, how import-zephyr attaches it, and the release its banner names. */
interface ServerBuild {
  build: string;
  lab: string;
  release: string;
  /** The port import-zephyr links to the switch: the NIC, or the SLIP serial port. */
  port: string;
  /** Whether the reset test runs (SLIP: Zephyr draws a new MAC per boot and announces none). */
  reset: boolean;
  what: string;
}

const SERVER_BUILDS: ServerBuild[] = [
  {
    build: 'v3.5.0/echo_server-qemu_x86-e1000',
    lab: 'zq-e1000-v350',
    release: 'v3.5.0',
    port: 'eth0',
    reset: true,
    what: 'e1000 NIC on the switch',
  },
  {
    build: 'v4.3.0/echo_server-qemu_x86-e1000',
    lab: 'zq-e1000-v430',
    release: 'v4.3.0',
    port: 'eth0',
    reset: true,
    what: 'e1000 NIC on the switch',
  },
  {
    build: 'v3.5.0/echo_server-qemu_x86-slip',
    lab: 'zq-slip-v350',
    release: 'v3.5.0',
    port: 'serial1',
    reset: false,
    what: 'SLIP-TAP on UART1, through the switch',
  },
];

const RADIO_BUILDS = [
  'v3.5.0/echo_server-qemu_x86-802154-noack',
  'v3.5.0/echo_client-qemu_x86-802154-noack',
];

async function stats(env: CliEnv, lab: string): Promise<CounterSnapshot> {
  const r = await env.run(['stats', '--lab', lab, '--json']);
  if (r.code !== 0) throw new Error(`netweave stats --lab ${lab} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CounterSnapshot;
}

/** A node's console as plain lines. */
async function lines(env: CliEnv, lab: string, node: string): Promise<string[]> {
  return consoleLines(await consoleText(env, lab, node));
}

/** Zephyr's uptime (ms) on the newest good-echo line, or -1 when there is none. */
function lastGoodEcho(ls: readonly string[]): number {
  for (let i = ls.length - 1; i >= 0; i--) {
    const line = ls[i] ?? '';
    if (GOOD_ECHO.test(line)) return zephyrUptimeMs(line) ?? -1;
  }
  return -1;
}

/**
 * A console from its first byte: SeaBIOS's first line, then Zephyr's banner naming `release`,
 * before Zephyr's first log line.
 */
function expectBootFromFirstLine(all: readonly string[], release: string, what: string): void {
  const shown = all.filter((l) => l !== '');
  const banner = shown.findIndex((l) => ZEPHYR_BANNER.test(l));
  const firstLog = shown.findIndex((l) => ZEPHYR_LOG_LINE.test(l));
  const head = `${what}:\n${shown.slice(0, 12).join('\n')}`;
  expect(shown[0], head).toMatch(/^SeaBIOS/);
  expect(banner, head).toBeGreaterThan(0);
  expect(ZEPHYR_BANNER.exec(shown[banner] ?? '')?.[1], head).toBe(release);
  expect(firstLog, head).toBeGreaterThan(banner);
}

function count(ls: readonly string[], re: RegExp): number {
  return ls.filter((l) => re.test(l)).length;
}

describeRealZephyr(
  'real Zephyr echo_server builds on QEMU qemu_x86 (TCG), imported with import-zephyr',
  {
    builds: [...SERVER_BUILDS.map((b) => b.build), ...RADIO_BUILDS],
    binaries: ['qemu-system-i386', 'tshark'],
  },
  () => {
    const env = new CliEnv();
    const started = new Set<string>();

    afterAll(async () => {
      // Labs a failed test left running; the tests themselves take theirs down.
      for (const lab of started) await labDown(env, lab);
      if (process.env['NETWEAVE_KEEP_TEST_DIRS'] === undefined) env.dispose();
    });

    for (const b of SERVER_BUILDS) {
      describe(`${b.build} (${b.what})`, () => {
        let lab: ImportedLab;

        beforeAll(async () => {
          lab = await importZephyrLab(env, [b.build], { name: b.lab });
          started.add(lab.name);
          await labUp(env, lab);
        }, LAB_MS);

        it(`the console and the run log show the boot from QEMU's first line, the ${b.release} banner before the first log line`, async () => {
          let shown: string[] = [];
          await waitFor(
            'echo_server waiting for UDP on its console',
            async () => {
              shown = await lines(env, lab.name, SERVER);
              return shown.some((l) => /Waiting for UDP packets on port 4242/.test(l));
            },
            BOOT_MS,
            { detail: () => shown.join('\n') },
          );
          expectBootFromFirstLine(shown, b.release, 'console');
          expectBootFromFirstLine(consoleLines(runLog(env, lab.name, SERVER)), b.release, 'log');
        });

        it('the imported host gets ping, UDP echo and TCP echo on 4242 over IPv4 and IPv6', async () => {
          const report = await echoAll(env, lab.name, HOST, ADDRESSES);
          expect(report.results).toHaveLength(6);
        });

        it(`with ${SERVER}:${b.port} down, UDP echo stops (attempts fail, the fabric drops as port-down); up again, echo resumes`, async () => {
          const port = `${SERVER}:${b.port}`;
          const before = portCounters(await stats(env, lab.name), port).tx.drops['port-down'];
          const down = await env.run(['link', port, 'down', '--lab', lab.name]);
          expect(down.code, down.stderr).toBe(0);
          const cut = await echoProbe(env, lab.name, HOST, ['192.0.2.1'], {
            checks: ['udp'],
            deadlineMs: CABLE_OUT_MS,
            attemptMs: 1_000,
          });
          expect(cut.ok, formatEchoReport(cut)).toBe(false);
          expect(cut.results[0]?.attempts, formatEchoReport(cut)).toBeGreaterThanOrEqual(3);
          const after = portCounters(await stats(env, lab.name), port).tx.drops['port-down'];
          expect(after - before).toBeGreaterThanOrEqual(3);

          const up = await env.run(['link', port, 'up', '--lab', lab.name]);
          expect(up.code, up.stderr).toBe(0);
          await echoAll(env, lab.name, HOST, ADDRESSES, { checks: ['udp', 'tcp'] });
        });

        if (b.reset)
          it(
            '`netweave reset` boots the machine again (a second banner) and echo resumes',
            async () => {
              const banners = async (): Promise<number> =>
                count(await lines(env, lab.name, SERVER), ZEPHYR_BANNER);
              expect(await banners()).toBe(1);
              const r = await env.run(['reset', SERVER, '--lab', lab.name]);
              expect(r.code, r.stderr).toBe(0);
              let seen = 1;
              await waitFor(
                'a second boot banner on the console after reset',
                async () => (seen = await banners()) === 2,
                REBOOT_MS,
                { stepMs: 1_000, detail: () => `banners seen: ${seen}` },
              );
              await echoAll(env, lab.name, HOST, ADDRESSES);
            },
            REBOOT_MS + 90_000,
          );

        if (b.port === 'serial1')
          it('captured on its link, the echo is Ethernet in SLIP frames, counted on serial1 without SLIP errors', async () => {
            const port = `${SERVER}:serial1`;
            const pcap = join(env.runtime, '..', `${lab.name}.pcapng`);
            const before = portCounters(await stats(env, lab.name), port);
            const cap = env.spawn(['capture', `${port}--sw`, '--lab', lab.name, '-w', pcap]);
            let err = '';
            cap.stderr?.on('data', (c: Buffer) => (err += c.toString()));
            await waitFor('the capture starting', () => err.includes('capturing'), BOOT_MS, {
              detail: () => err,
            });
            await echoAll(env, lab.name, HOST, ['192.0.2.1'], { checks: ['ping', 'udp'] });
            cap.kill('SIGINT');
            await new Promise((r) => cap.once('exit', r));
            expect(err).toMatch(/frames written/);
            const encap = await tshark(['-r', pcap, '-T', 'fields', '-e', 'frame.encap_type']);
            expect(new Set(encap.trim().split('\n'))).toEqual(new Set(['1'])); // Ethernet
            const udp = await tshark([
              '-r',
              pcap,
              '-Y',
              'udp.port == 4242',
              '-T',
              'fields',
              '-e',
              'ip.src',
            ]);
            expect(new Set(udp.trim().split('\n'))).toEqual(new Set(['192.0.2.2', '192.0.2.1']));
            const after = portCounters(await stats(env, lab.name), port);
            expect(after.linkType).toBe('ethernet');
            expect(after.rx.frames - before.rx.frames).toBeGreaterThanOrEqual(2);
            expect(after.tx.frames - before.tx.frames).toBeGreaterThanOrEqual(2);
            for (const event of ['bad-escape', 'oversize', 'between-frames'])
              expect(after.extra?.[event] ?? 0, event).toBe(0);
          });

        it('`down` removes everything the lab created', async () => {
          expect(await labDown(env, lab.name)).toEqual([]);
          started.delete(lab.name);
        });
      });
    }

    describe('802.15.4: v3.5.0 echo_server + echo_client imported together on a radio-154 medium', () => {
      it(
        'the client logs good echoes for 20 s and neither console shows an error line',
        async () => {
          const lab = await importZephyrLab(env, RADIO_BUILDS, { name: 'zq-154-all' });
          started.add(lab.name);
          await labUp(env, lab);
          let client: string[] = [];
          await waitFor(
            "echo_client's first good echo",
            async () => count((client = await lines(env, lab.name, 'echo_client')), GOOD_ECHO) > 0,
            LAB_MS / 3,
            { stepMs: 1_000, detail: () => client.slice(-10).join('\n') },
          );
          // Both consoles from their first byte (checked now: 20 s of echoes may wrap the
          // scrollback around).
          expectBootFromFirstLine(client, 'v3.5.0', 'echo_client console');
          expectBootFromFirstLine(
            await lines(env, lab.name, SERVER),
            'v3.5.0',
            `${SERVER} console`,
          );
          // Good echoes keep coming: every step of the 20 s brings newer ones (by Zephyr's uptime
          // stamp, which survives the scrollback wrapping around).
          const windowStart = lastGoodEcho(client);
          let newest = windowStart;
          for (let t = 0; t < RADIO_GOOD_MS; t += RADIO_STEP_MS) {
            await new Promise((r) => setTimeout(r, RADIO_STEP_MS));
            client = await lines(env, lab.name, 'echo_client');
            const now = lastGoodEcho(client);
            if (now <= newest) {
              const status = await env.run(['status', lab.name]);
              expect.fail(
                `no good echo in ${t / 1000}-${(t + RADIO_STEP_MS) / 1000} s; the console ends:\n${client.slice(-15).join('\n')}\n${status.stdout}${status.stderr}`,
              );
            }
            newest = now;
          }
          // No error line while echoes flow. Before the first good echo the client may have
          // timed out once on a datagram it sent while the server was still booting (the two
          // QEMUs start together; the firmware logs that at its 10 s timeout): not the medium's.
          const server = await lines(env, lab.name, SERVER);
          expect(
            errorLines(client).filter((l) => (zephyrUptimeMs(l) ?? 0) > windowStart),
            'error lines of echo_client after its first good echo',
          ).toEqual([]);
          expect(errorLines(server)).toEqual([]);
          expect(count(server, /UDP \(IPv6\): Received and replied/)).toBeGreaterThan(0);
          // The run logs hold every byte, the boot included.
          for (const node of [SERVER, 'echo_client']) {
            const log = consoleLines(runLog(env, lab.name, node));
            expectBootFromFirstLine(log, 'v3.5.0', `${node} log`);
          }

          expect(await labDown(env, lab.name)).toEqual([]);
          started.delete(lab.name);
        },
        LAB_MS + RADIO_GOOD_MS,
      );

      it(
        'a fault that makes echo_server -> echo_client lose everything for 10 s stops the good echoes, which resume after it',
        async () => {
          const lab = await importZephyrLab(env, RADIO_BUILDS, {
            name: 'zq-154-fault',
            edit: (doc) => {
              doc.set(
                'faults',
                doc.createNode([
                  {
                    at: `${RADIO_FAULT_AT_S}s`,
                    for: `${RADIO_FAULT_FOR_S}s`,
                    node: 'air',
                    action: 'impair',
                    impair: 'loss=100%',
                    pair: `${SERVER}->echo_client`,
                  },
                ]),
              );
            },
          });
          started.add(lab.name);
          await labUp(env, lab);
          const faults = async (): Promise<FaultStatus[]> =>
            JSON.parse((await env.run(['faults', lab.name, '--json'])).stdout) as FaultStatus[];
          let client: string[] = [];
          await waitFor(
            "echo_client's first good echo, before the fault",
            async () => count((client = await lines(env, lab.name, 'echo_client')), GOOD_ECHO) > 0,
            RADIO_FAULT_AT_S * 1000,
            { stepMs: 1_000, detail: () => client.slice(-10).join('\n') },
          );
          await waitFor('the fault', async () => (await faults())[0]?.fired.length === 1, LAB_MS, {
            stepMs: 100,
          });
          // While it is in force nothing reaches the client: no frame, no good echo.
          const toClient = async (): Promise<number> =>
            portCounters(await stats(env, lab.name), 'echo_client:serial1').tx.frames;
          const framesAtFault = await toClient();
          // A good echo received just before the fault may reach the console a little later.
          await new Promise((r) => setTimeout(r, CONSOLE_LAG_MS));
          const echoAtFault = lastGoodEcho(await lines(env, lab.name, 'echo_client'));
          const air = JSON.parse((await env.run(['status', lab.name, '--json'])).stdout) as {
            nodes: { name: string; detail?: string }[];
          };
          expect(air.nodes.find((n) => n.name === 'air')?.detail).toContain(
            `impairment ${SERVER}->echo_client loss=100%`,
          );
          await new Promise((r) => setTimeout(r, (RADIO_FAULT_FOR_S * 1000) / 2));
          const inWindow = await faults();
          expect(inWindow[0]?.fired, 'the fault was undone before the check').toHaveLength(1);
          expect(await toClient()).toBe(framesAtFault);
          expect(lastGoodEcho(await lines(env, lab.name, 'echo_client'))).toBe(echoAtFault);
          // After it, good echoes come again (once the client's 10 s wait for a lost one ends).
          await waitFor(
            'the fault undone',
            async () => (await faults())[0]?.fired.length === 2,
            LAB_MS,
            {
              stepMs: 100,
            },
          );
          await waitFor(
            'a good echo after the fault',
            async () =>
              lastGoodEcho((client = await lines(env, lab.name, 'echo_client'))) > echoAtFault,
            RADIO_CUT_MS,
            { stepMs: 1_000, detail: () => client.slice(-10).join('\n') },
          );
          const [fault] = await faults();
          expect(fault?.fired.map((e) => [e.action, e.ok])).toEqual([
            ['impair', true],
            ['clear', true],
          ]);
          expect(fault?.fired[0]?.atMs).toBeGreaterThanOrEqual(RADIO_FAULT_AT_S * 1000);
          expect(fault?.fired[1]?.atMs).toBeGreaterThanOrEqual(
            (RADIO_FAULT_AT_S + RADIO_FAULT_FOR_S) * 1000,
          );

          expect(await labDown(env, lab.name)).toEqual([]);
          started.delete(lab.name);
        },
        LAB_MS + RADIO_CUT_MS + (RADIO_FAULT_AT_S + RADIO_FAULT_FOR_S) * 1000,
      );

      it.each([
        {
          how: 'a delivery matrix',
          name: 'zq-154-cut',
          edit: radioMatrix('air', {
            echo_client: { echo_server: 1 },
            echo_server: { echo_client: 0 },
          }),
          written: /delivery: matrix/,
        },
        {
          how: 'per-pair loss in the file',
          name: 'zq-154-loss',
          edit: radioSettings('air', { impair: { 'echo_server->echo_client': 'loss=100%' } }),
          written: /echo_server->echo_client: loss=100%/,
        },
      ])(
        'with $how that cuts echo_server -> echo_client, the client gets no good echo',
        async ({ name, edit, written }) => {
          const lab = await importZephyrLab(env, RADIO_BUILDS, { name, edit });
          expect(lab.yaml).toMatch(written);
          started.add(lab.name);
          await labUp(env, lab);
          let client: string[] = [];
          await waitFor(
            'echo_client giving up on an echo that never came',
            async () => count((client = await lines(env, lab.name, 'echo_client')), NO_ECHO) > 0,
            RADIO_CUT_MS,
            { stepMs: 1_000, detail: () => client.slice(-10).join('\n') },
          );
          expect(count(client, GOOD_ECHO), client.join('\n')).toBe(0);
          // The medium carried the client's frames to the server and lost every frame back.
          const snap = await stats(env, lab.name);
          const toServer = portCounters(snap, `${SERVER}:serial1`);
          const toClient = portCounters(snap, 'echo_client:serial1');
          expect(toServer.tx.frames).toBeGreaterThan(0);
          expect(toServer.rx.frames).toBeGreaterThan(0);
          expect(toClient.tx.frames).toBe(0);
          // Lost by the model (extra 'lost') or by the pair's impairment (a 'loss' drop).
          expect((toClient.extra?.['lost'] ?? 0) + toClient.tx.drops.loss).toBeGreaterThan(0);

          expect(await labDown(env, lab.name)).toEqual([]);
          started.delete(lab.name);
        },
        LAB_MS,
      );
    });
  },
);
