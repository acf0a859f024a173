// The isolated lab's way out (pasta's command line, the choice between slirp4netns and pasta)
// and the hand-over of net.ipv4.ip_forward between host-mode labs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/shared/contract.js';
import { Journal, labJournal, type LiveLab } from '../../../src/engine/host/journal.js';
import { LAB_FILES } from '../../../src/engine/paths.js';
import { handOverSysctl, IP_FORWARD } from '../../../src/engine/services/nat.js';
import {
  chooseOutsideTool,
  OUTSIDE_TOOL_ENV,
  pastaArgv,
  tetherArgv,
} from '../../../src/engine/services/outside.js';

describe('pastaArgv', () => {
  const base = {
    binary: '/usr/bin/pasta',
    enginePid: 4242,
    pidFile: '/run/lab/pasta.pid',
    logFile: '/logs/pasta.log',
  };

  it('configures nwout0 in the engine namespace with addresses of its own, IPv4 only', () => {
    const argv = pastaArgv({ ...base, root: false });
    expect(argv[0]).toBe('/usr/bin/pasta');
    expect(argv.at(-1)).toBe('4242');
    const pairs = (flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
    expect(argv).toContain('--config-net');
    expect(argv).toContain('--ipv4-only');
    expect(pairs('--ns-ifname')).toBe('nwout0');
    // Never the machine's own address and routes (192.0.2.0/24 may be a lab segment).
    expect(pairs('--address')).toBe('10.0.2.100');
    expect(pairs('--netmask')).toBe('24');
    expect(pairs('--gateway')).toBe('10.0.2.2');
    // The DNS forwarder dnsmasq uses in isolated mode, as slirp4netns offers it.
    expect(pairs('--dns-forward')).toBe('10.0.2.3');
    // The lab must not reach the machine's loopback through the gateway.
    expect(argv).toContain('--no-map-gw');
    for (const flag of ['--tcp-ports', '--udp-ports', '--tcp-ns', '--udp-ns']) {
      expect(pairs(flag), flag).toBe('none');
    }
    expect(pairs('--pid')).toBe('/run/lab/pasta.pid');
    expect(pairs('--log-file')).toBe('/logs/pasta.log');
    // It daemonizes once configured (readiness): never --foreground.
    expect(argv).not.toContain('--foreground');
    expect(argv).not.toContain('-f');
  });

  it('stays root only when started by root', () => {
    expect(pastaArgv({ ...base, root: false })).not.toContain('--runas');
    const argv = pastaArgv({ ...base, root: true });
    expect(argv[argv.indexOf('--runas') + 1]).toBe('0');
  });

  it('runs under the tether, which gets the pid file and the command after --', () => {
    const argv = tetherArgv('/usr/bin/node', '/run/lab/pasta.pid', ['/usr/bin/pasta', '9']);
    expect(argv[0]).toBe('/usr/bin/node');
    expect(argv[1]).toMatch(/outsideTether\.js$/);
    expect(argv.slice(2)).toEqual([
      '--pid-file',
      '/run/lab/pasta.pid',
      '--',
      '/usr/bin/pasta',
      '9',
    ]);
  });
});

describe('chooseOutsideTool', () => {
  const finder =
    (installed: string[]) =>
    (name: string): Promise<string | undefined> =>
      Promise.resolve(installed.includes(name) ? `/usr/bin/${name}` : undefined);

  it('prefers slirp4netns, falls back to pasta', async () => {
    expect(await chooseOutsideTool({}, finder(['slirp4netns', 'pasta']))).toEqual({
      tool: 'slirp4netns',
      binary: '/usr/bin/slirp4netns',
    });
    expect(await chooseOutsideTool({}, finder(['pasta']))).toEqual({
      tool: 'pasta',
      binary: '/usr/bin/pasta',
    });
  });

  it('takes the tool NETWEAVE_OUTSIDE names', async () => {
    const env = { [OUTSIDE_TOOL_ENV]: 'pasta' };
    expect((await chooseOutsideTool(env, finder(['slirp4netns', 'pasta']))).tool).toBe('pasta');
  });

  it('refuses in one sentence naming both packages when neither is installed', async () => {
    const err = await chooseOutsideTool({}, finder([])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('missing-binary');
    expect((err as EngineError).message).toBe(
      'NAT in isolated mode needs slirp4netns or pasta, and neither is installed; install one (apt install slirp4netns, or apt install passt) or run the lab with --network host',
    );
  });

  it('refuses a named tool that is missing, and an unknown name', async () => {
    await expect(
      chooseOutsideTool({ [OUTSIDE_TOOL_ENV]: 'pasta' }, finder(['slirp4netns'])),
    ).rejects.toThrow(/asks for pasta, which is not installed; install it \(apt install passt\)/);
    await expect(chooseOutsideTool({ [OUTSIDE_TOOL_ENV]: 'vde' }, finder([]))).rejects.toThrow(
      /NETWEAVE_OUTSIDE=vde names no known way out of an isolated lab; set it to slirp4netns or pasta/,
    );
  });
});

describe('handOverSysctl', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A "live" host-mode lab whose engine is this process (so: in this network namespace). */
  function lab(id: string, entry?: { previous: string; value?: string }): LiveLab {
    const dir = mkdtempSync(join(tmpdir(), 'nw-handover-'));
    dirs.push(dir);
    if (entry) {
      new Journal(join(dir, LAB_FILES.journal)).willCreate({
        type: 'sysctl',
        ref: IP_FORWARD,
        mode: 'host',
        ...entry,
      });
    }
    return { labId: id, labDir: dir, enginePid: process.pid, network: 'host' };
  }
  const mine = {
    type: 'sysctl',
    ref: IP_FORWARD,
    previous: '0',
    value: '1',
    mode: 'host',
  } as const;

  it('passes the original value to a live lab that found the setting as this lab left it', () => {
    const heir = lab('bbbbbbbb', { previous: '1', value: '1' });
    expect(handOverSysctl(mine, 'aaaaaaaa', [heir])).toBe(true);
    const theirs = labJournal(heir.labDir).outstanding();
    expect(theirs).toEqual([
      { type: 'sysctl', ref: IP_FORWARD, mode: 'host', previous: '0', value: '1' },
    ]);
  });

  it('keeps an heir that recorded an original value of its own', () => {
    const heir = lab('bbbbbbbb', { previous: '0', value: '1' });
    expect(handOverSysctl({ ...mine, previous: '1' }, 'aaaaaaaa', [heir])).toBe(true);
    expect(labJournal(heir.labDir).outstanding()[0]?.previous).toBe('0');
  });

  it('finds no heir in itself, in labs without the entry, or in isolated labs', () => {
    const self = lab('aaaaaaaa', { previous: '1', value: '1' });
    const bystander = lab('cccccccc');
    const isolated = {
      ...lab('dddddddd', { previous: '1', value: '1' }),
      network: 'isolated' as const,
    };
    expect(handOverSysctl(mine, 'aaaaaaaa', [self, bystander, isolated])).toBe(false);
    // Entries written before `value` existed never take over.
    expect(handOverSysctl(mine, 'aaaaaaaa', [lab('eeeeeeee', { previous: '1' })])).toBe(false);
  });

  it('finds no heir whose engine is in no namespace it can see', () => {
    const gone = { ...lab('bbbbbbbb', { previous: '1', value: '1' }), enginePid: 2 ** 30 };
    expect(handOverSysctl(mine, 'aaaaaaaa', [gone])).toBe(false);
  });
});
