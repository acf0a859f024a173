// The command line of zephyr.exe for a native-sim node, planned from the options the build
// lists in its --help (probe.ts). Pure: unit-tested on exact argv.
import { EngineError } from '../../../../shared/contract.js';
import type { NativeSimNodeSpec } from '../../../../shared/topology/kinds/index.js';
import { nativeSimPorts, nativeSimTapName } from '../facts.js';
import { parseCidr } from '../../../../shared/topology/address.js';
import { listChoices } from '../../../../shared/topology/text.js';
import type { NativeSimOptions } from './probe.js';

/** One TAP port as zephyr.exe sees it: the fabric port name and the TAP it opens. */
export interface NativeSimTap {
  /** Port name in the topology ("eth0"). */
  port: string;
  /** TAP name inside the node's namespace ("zeth", "zeth0"...). */
  tap: string;
  /** The option (without dashes) that names the TAP, or undefined when the build's own name is used. */
  flag: string | undefined;
}

/** The option that names the first (or only) TAP: the Ethernet TAP driver's "eth-if". */
export const ETH_IF_OPTION = 'eth-if';

/**
 * The Zephyr release that added each option netweave may pass, for the sentence that refuses a
 * setting an older build cannot honour. Read from Zephyr's history: --eth-if came with the
 * interface-name option of the TAP driver (pull request 74952, released in 3.7), the IPv4 options
 * and --mac-addr in 4.2 (pull requests 86730 and 87889), per-interface options in 4.5.
 */
const ADDED_IN: Readonly<Record<string, string>> = {
  'eth-if': '3.7',
  'mac-addr': '4.2',
  'ipv4-addr': '4.2',
  'ipv4-nm': '4.2',
  'ipv4-gw': '4.2',
  [`*_${ETH_IF_OPTION}`]: '4.5',
};

/** How zephyr.exe's UART pty is opened before the firmware writes to it. */
export type UartAttach =
  /** -attach_uart_cmd runs this command (through system()) with the pty's path, synchronously. */
  | { kind: 'command'; command: string }
  /** -wait_uart: the UART holds its output until a reader opened the pty. */
  | { kind: 'wait' }
  /** Neither: the pty is opened as soon as zephyr.exe announces it. */
  | { kind: 'announced' };

/** A planned launch: the arguments after zephyr.exe's path, the TAPs, the UART handshake. */
export interface NativeSimLaunch {
  args: string[];
  taps: NativeSimTap[];
  uart: UartAttach['kind'];
  /** The -seed given (random MACs are drawn from it), if the build takes one. */
  seed: number | undefined;
}

/**
 * What the build's own Kconfig (zephyr/.config beside zephyr.exe, when it is there) says about
 * its TAP driver: settings that contradict it would be silently ignored by zephyr.exe.
 */
export interface NativeSimKconfig {
  /** ETH_NATIVE_TAP (4.x) or ETH_NATIVE_POSIX (up to 3.7): the prefix of the symbols below. */
  symbol: string;
  /** CONFIG_<symbol>_RANDOM_MAC: --mac-addr is then ignored. */
  randomMac: boolean;
  /** CONFIG_<symbol>_INTERFACE_COUNT. */
  interfaceCount: number;
  /** CONFIG_<symbol>_DRV_NAME. */
  drvName: string;
}

/** What the engine adds to a node's own settings. */
export interface LaunchExtras {
  /** Seed used when the node sets none (distinct per node, so random MACs differ). */
  defaultSeed?: number;
  /** The command -attach_uart_cmd should run (see zephyrProcess.ts), if the engine offers one. */
  attachCommand?: string;
  /** The build's Kconfig facts, when its .config is beside zephyr.exe. */
  kconfig?: NativeSimKconfig;
}

/** Refuses settings the build's Kconfig makes zephyr.exe ignore. */
function checkKconfig(
  node: string,
  spec: NativeSimNodeSpec,
  k: NativeSimKconfig,
  opts: NativeSimOptions,
): void {
  const ports = nativeSimPorts(spec);
  if (ports.length !== k.interfaceCount) {
    throw new EngineError(
      'bad-request',
      `native-sim node "${node}" has ${ports.length} port(s) (${ports.map(([p]) => p).join(', ')}), but its build has ${k.interfaceCount} TAP interface(s) (CONFIG_${k.symbol}_INTERFACE_COUNT=${k.interfaceCount}); declare ${k.interfaceCount} port(s) under "ports" or rebuild`,
    );
  }
  if (spec.mac !== undefined && k.randomMac) {
    throw new EngineError(
      'bad-request',
      `native-sim node "${node}" sets mac: ${spec.mac}, but its build draws a random MAC (CONFIG_${k.symbol}_RANDOM_MAC=y) and ignores --mac-addr; remove "mac" (netweave keeps the drawn MACs distinct) or rebuild with CONFIG_${k.symbol}_RANDOM_MAC=n`,
    );
  }
  if (spec.drvName !== k.drvName && !opts.has(ETH_IF_OPTION) && opts.ethIfNodes.length === 0) {
    throw new EngineError(
      'bad-request',
      `native-sim node "${node}" has drvName "${spec.drvName}", but its build opens TAPs named after "${k.drvName}" (CONFIG_${k.symbol}_DRV_NAME) and has no --eth-if option to change that; set drvName: ${k.drvName}`,
    );
  }
}

/** Dotted netmask of an IPv4 prefix length, as --ipv4-nm takes it. */
export function ipv4Netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

function refuse(node: string, setting: string, option: string, consequence: string): never {
  const added = ADDED_IN[option.endsWith(`_${ETH_IF_OPTION}`) ? `*_${ETH_IF_OPTION}` : option];
  throw new EngineError(
    'bad-request',
    `native-sim node "${node}" sets ${setting}, but its zephyr.exe has no --${option} option${
      added !== undefined ? ` (Zephyr added it in ${added})` : ''
    }; ${consequence}`,
  );
}

/** The TAPs of a node in tap mode, with the option that names each one in this build. */
export function nativeSimTaps(
  node: string,
  spec: NativeSimNodeSpec,
  opts: NativeSimOptions,
): NativeSimTap[] {
  const ports = nativeSimPorts(spec);
  const perNode = opts.ethIfNodes;
  return ports.map(([port, p], i) => {
    const tap = nativeSimTapName(spec, p, i, ports.length);
    const builtIn = ports.length === 1 ? spec.drvName : `${spec.drvName}${i}`;
    if (p.flag !== undefined) {
      if (!opts.has(p.flag))
        refuse(
          node,
          `ports.${port}.flag: ${p.flag}`,
          p.flag,
          'remove "flag" or name an option its --help lists',
        );
      return { port, tap, flag: p.flag };
    }
    if (p.dtNode !== undefined) {
      const flag = `${p.dtNode}_${ETH_IF_OPTION}`;
      if (!opts.has(flag)) {
        const known = perNode.length > 0 ? `; its interfaces are ${listChoices(perNode)}` : '';
        refuse(node, `ports.${port}.dtNode: ${p.dtNode}`, flag, `remove "dtNode"${known}`);
      }
      return { port, tap, flag };
    }
    // Zephyr 4.5: every interface has its own <node>_eth-if, the first also --eth-if.
    if (perNode.length >= ports.length)
      return { port, tap, flag: `${perNode[i]}_${ETH_IF_OPTION}` };
    if (i === 0 && opts.has(ETH_IF_OPTION) && (ports.length === 1 || perNode.length > 0))
      return { port, tap, flag: ETH_IF_OPTION };
    if (i > 0 && perNode.length === ports.length - 1)
      return { port, tap, flag: `${perNode[i - 1]}_${ETH_IF_OPTION}` };
    // Before 4.5 one global --eth-if renames every interface, so with several TAPs the build's
    // own names <drvName>0..N-1 are used; without --eth-if the build's name is the only one.
    if (tap !== builtIn) {
      const why =
        ports.length > 1
          ? `with ${ports.length} interfaces this build opens ${listChoices(ports.map((_, j) => `${spec.drvName}${j}`))} by itself`
          : `it always opens the TAP "${builtIn}" (CONFIG_ETH_NATIVE_TAP_DRV_NAME, formerly CONFIG_ETH_NATIVE_POSIX_DRV_NAME)`;
      refuse(
        node,
        `ports.${port}.tap: ${tap}`,
        ports.length > 1 ? `<node>_${ETH_IF_OPTION}` : ETH_IF_OPTION,
        `${why}; remove "tap" or rebuild with that driver name`,
      );
    }
    return { port, tap, flag: undefined };
  });
}

/**
 * The arguments after zephyr.exe's path, in a fixed order, using only options the build lists;
 * throws one sentence naming the setting a build cannot honour.
 */
export function planNativeSimLaunch(
  node: string,
  spec: NativeSimNodeSpec,
  opts: NativeSimOptions,
  extras: LaunchExtras = {},
): NativeSimLaunch {
  const args: string[] = [];
  const need = (setting: string, option: string, consequence: string): void => {
    if (!opts.has(option)) refuse(node, setting, option, consequence);
  };
  let taps: NativeSimTap[] = [];
  if (spec.sockets === 'tap') {
    taps = nativeSimTaps(node, spec, opts);
    for (const t of taps) if (t.flag !== undefined) args.push(`--${t.flag}=${t.tap}`);
    if (spec.mac !== undefined) {
      need(
        `mac: ${spec.mac}`,
        'mac-addr',
        'remove "mac" (the build then uses its own MAC, from Kconfig or drawn from the seed)',
      );
      args.push(`--mac-addr=${spec.mac}`);
    }
    if (spec.ipv4 !== undefined) {
      const fix = 'remove "ipv4" and set CONFIG_NET_CONFIG_MY_IPV4_ADDR in the build instead';
      need(`ipv4: ${spec.ipv4}`, 'ipv4-addr', fix);
      need(`ipv4: ${spec.ipv4}`, 'ipv4-nm', fix);
      const cidr = parseCidr(spec.ipv4, 4);
      const [address] = spec.ipv4.split('/');
      args.push(`--ipv4-addr=${address}`);
      if (cidr.ok) args.push(`--ipv4-nm=${ipv4Netmask(cidr.value.prefix)}`);
    }
    if (spec.gateway !== undefined) {
      need(
        `gateway: ${spec.gateway}`,
        'ipv4-gw',
        'remove "gateway" and set CONFIG_NET_CONFIG_MY_IPV4_GW in the build instead',
      );
      args.push(`--ipv4-gw=${spec.gateway}`);
    }
    // After the option checks: a missing option is the first thing to fix.
    if (extras.kconfig !== undefined) checkKconfig(node, spec, extras.kconfig, opts);
  }
  if (spec.rt !== undefined) {
    const option = spec.rt ? 'rt' : 'no-rt';
    need(`rt: ${spec.rt}`, option, 'remove "rt"');
    args.push(`--${option}`);
  }
  let seed: number | undefined;
  if (spec.seed !== undefined) {
    need(`seed: ${spec.seed}`, 'seed', 'remove "seed"');
    seed = spec.seed;
  } else if (extras.defaultSeed !== undefined && opts.has('seed')) {
    seed = extras.defaultSeed;
  }
  if (seed !== undefined) args.push(`--seed=${seed}`);
  let uart: UartAttach['kind'] = 'announced';
  if (extras.attachCommand !== undefined && opts.has('attach_uart_cmd')) {
    uart = 'command';
    args.push(`--attach_uart_cmd=${extras.attachCommand}`);
  } else if (opts.has('wait_uart')) {
    uart = 'wait';
    args.push('--wait_uart');
  }
  args.push(...(spec.args ?? []));
  return { args, taps, uart, seed };
}
