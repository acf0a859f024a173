// fvp: the exact model argv per family, forward parsing and checks, and host port clashes.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fvpArgs, fvpModelName } from '../../../src/kinds/nodes/fvp/engine/argv.js';
import { checkFvp, fvpBinaryCandidate } from '../../../src/kinds/nodes/fvp/engine/index.js';
import { checkForwardPorts } from '../../../src/kinds/nodes/fvp/engine/ports.js';
import {
  fvpSchema,
  parseFvpForward,
  type FvpNodeSpec,
} from '../../../src/kinds/nodes/fvp/definition.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';

const spec = (s: Record<string, unknown>): FvpNodeSpec =>
  fvpSchema.parse({ kind: 'fvp', elf: 'zephyr.elf', ...s });

function problems(node: string): string[] {
  const r = validateTopologyText(`name: t\nnodes:\n  f:\n${node}`, 't.yaml');
  return r.ok ? [] : r.problems.map((p) => p.message);
}

describe('FVP command line', () => {
  it('Base RevC: bp. parameters, UART0 to stdout, no telnet, no window, user networking, forwards, subnet, image, extra flags', () => {
    expect(
      fvpArgs(
        spec({
          forwards: ['8022=22', '127.0.0.1:5080=80'],
          subnet: '172.20.51.0/24',
          args: ['--stat'],
        }),
        '/b/zephyr.elf',
      ),
    ).toEqual([
      '-C',
      'bp.pl011_uart0.out_file=-',
      '-C',
      'bp.pl011_uart0.unbuffered_output=1',
      '-C',
      'bp.terminal_0.start_telnet=0',
      '-C',
      'bp.vis.disable_visualisation=1',
      '-C',
      'bp.smsc_91c111.enabled=1',
      '-C',
      'bp.hostbridge.userNetworking=1',
      '-C',
      'bp.hostbridge.userNetPorts=8022=22,127.0.0.1:5080=80',
      '-C',
      'bp.hostbridge.userNetSubnet=172.20.51.0/24',
      '-a',
      '/b/zephyr.elf',
      '--stat',
    ]);
    expect(fvpModelName(spec({}))).toBe('FVP_Base_RevC-2xAEMvA');
    expect(fvpModelName(spec({ family: 'base-r' }))).toBe('FVP_BaseR_AEMv8R');
  });

  it('Corstone-300: mps3_board. parameters with the MPS3 UART, telnet terminal and visualisation names', () => {
    expect(fvpArgs(spec({ family: 'corstone-300' }), '/b/zephyr.elf')).toEqual([
      '-C',
      'mps3_board.uart0.out_file=-',
      '-C',
      'mps3_board.uart0.unbuffered_output=1',
      '-C',
      'mps3_board.telnetterminal0.start_telnet=0',
      '-C',
      'mps3_board.visualisation.disable-visualisation=1',
      '-C',
      'mps3_board.smsc_91c111.enabled=1',
      '-C',
      'mps3_board.hostbridge.userNetworking=1',
      '-a',
      '/b/zephyr.elf',
    ]);
    expect(fvpModelName(spec({ family: 'corstone-300' }))).toBe('FVP_Corstone_SSE-300_Ethos-U55');
  });

  it('networking: false leaves the NIC off', () => {
    expect(fvpArgs(spec({ networking: false }), '/e')).not.toContain('bp.smsc_91c111.enabled=1');
  });

  it('finds the model in "path", else in ARMFVP_BIN_PATH, else on PATH', () => {
    expect(fvpBinaryCandidate(spec({ path: '/opt/fvp/FVP_X' }), '/t', {})).toBe('/opt/fvp/FVP_X');
    expect(fvpBinaryCandidate(spec({}), '/t', { ARMFVP_BIN_PATH: '/opt/models' })).toBe(
      '/opt/models/FVP_Base_RevC-2xAEMvA',
    );
    expect(fvpBinaryCandidate(spec({}), '/t', {})).toBe('FVP_Base_RevC-2xAEMvA');
  });
});

describe('port forwards', () => {
  it('parses [host-ip:]hostport=[model-ip:]modelport', () => {
    expect(parseFvpForward('8022=22')).toEqual({
      ok: true,
      value: { hostPort: 8022, modelPort: 22 },
    });
    expect(parseFvpForward('127.0.0.1:5080=172.20.51.1:80')).toEqual({
      ok: true,
      value: { hostIp: '127.0.0.1', hostPort: 5080, modelIp: '172.20.51.1', modelPort: 80 },
    });
  });

  it('rejects bad syntax, out-of-range ports, bad addresses and duplicate host ports before launch', () => {
    expect(problems('    kind: fvp\n    elf: z.elf\n    forwards: ["8022:22"]\n')[0]).toMatch(
      /"8022:22" .*write \[host-ip:\]hostport=\[model-ip:\]modelport/,
    );
    expect(problems('    kind: fvp\n    elf: z.elf\n    forwards: ["70000=22"]\n')[0]).toMatch(
      /host port 70000 is outside 1-65535/,
    );
    expect(problems('    kind: fvp\n    elf: z.elf\n    forwards: ["0=22"]\n')[0]).toMatch(
      /host port 0 is outside 1-65535/,
    );
    expect(problems('    kind: fvp\n    elf: z.elf\n    forwards: ["1.2.3:80=22"]\n')[0]).toMatch(
      /host address "1.2.3"/,
    );
    expect(
      problems(
        '    kind: fvp\n    elf: z.elf\n    forwards: ["8022=22", "127.0.0.1:8022=23"]\n',
      )[0],
    ).toMatch(/host port 8022 is already forwarded by forwards\[0\]/);
    expect(
      problems('    kind: fvp\n    elf: z.elf\n    forwards: ["8022=22", "8023=22"]\n'),
    ).toEqual([]);
  });

  describe('clashes with ports in use', () => {
    let server: Server | undefined;
    afterAll(() => server?.close());

    it('a host port something already listens on is refused; a free one passes', async () => {
      server = createServer();
      const port = await new Promise<number>((res) => {
        server?.listen({ host: '127.0.0.1', port: 0 }, () => {
          const a = server?.address();
          res(typeof a === 'object' && a ? a.port : 0);
        });
      });
      expect(await checkForwardPorts([`127.0.0.1:${port}=22`])).toEqual([
        {
          forward: `127.0.0.1:${port}=22`,
          reason: `host port ${port} is already in use on the lab's host`,
        },
      ]);
      expect(await checkForwardPorts([`${port}=22`])).toHaveLength(1);
      server.close();
      server = undefined;
      expect(await checkForwardPorts([`127.0.0.1:${port}=22`])).toEqual([]);
    });
  });

  it('checkFvp names a missing image and a busy forward in one sentence each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fvp-unit-'));
    try {
      const model = join(dir, 'FVP_Base_RevC-2xAEMvA');
      writeFileSync(model, '#!/bin/sh\n');
      chmodSync(model, 0o755);
      await expect(checkFvp('f', spec({ path: dir, elf: 'missing.elf' }), dir)).rejects.toThrow(
        `fvp node "f" cannot start: the image ${join(dir, 'missing.elf')} does not exist (elf: missing.elf); build it with west build or correct "elf"`,
      );
      writeFileSync(join(dir, 'z.elf'), '');
      const busy = createServer();
      const port = await new Promise<number>((res) =>
        busy.listen({ host: '127.0.0.1', port: 0 }, () => {
          const a = busy.address();
          res(typeof a === 'object' && a ? a.port : 0);
        }),
      );
      await expect(
        checkFvp('f', spec({ path: dir, elf: 'z.elf', forwards: [`127.0.0.1:${port}=22`] }), dir),
      ).rejects.toThrow(
        `fvp node "f" cannot forward "127.0.0.1:${port}=22": host port ${port} is already in use on the lab's host; choose another host port`,
      );
      busy.close();
      const argv = await checkFvp('f', spec({ path: dir, elf: 'z.elf' }), dir);
      expect(argv[0]).toBe(model);
      expect(argv.slice(-2)).toEqual(['-a', join(dir, 'z.elf')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
