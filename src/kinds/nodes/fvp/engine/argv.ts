// The command line of an Arm FVP running Zephyr, as Zephyr's run_armfvp target builds it, with
// user-mode networking and port forwards. Pure: unit-tested on exact argv.
import type { FvpFamily, FvpNodeSpec } from '../../../../shared/topology/kinds/index.js';
import { formatFvpForward, parseFvpForward } from '../facts.js';

/** Parameter names of one FVP family. */
export interface FvpParameterNames {
  /** Component prefix of board parameters: "bp." (Base, BaseR) or "mps3_board." (Corstone). */
  prefix: string;
  /** UART0 component (out_file, unbuffered_output). */
  uart0: string;
  /** Telnet terminal of UART0 (start_telnet). */
  terminal0: string;
  /** The full parameter that turns the visualisation window off. */
  visualisationOff: string;
  /** Model binary name when the file names none. */
  defaultModel: string;
}

const BASE_NAMES = {
  prefix: 'bp.',
  uart0: 'bp.pl011_uart0',
  terminal0: 'bp.terminal_0',
  visualisationOff: 'bp.vis.disable_visualisation',
} as const;

const CORSTONE_NAMES = {
  prefix: 'mps3_board.',
  uart0: 'mps3_board.uart0',
  terminal0: 'mps3_board.telnetterminal0',
  visualisationOff: 'mps3_board.visualisation.disable-visualisation',
} as const;

/** Parameter names and default model per family (Zephyr's fvp_base_revc_2xaemv8a, fvp_baser_aemv8r, mps3 boards). */
export const FVP_PARAMETERS: Readonly<Record<FvpFamily, FvpParameterNames>> = {
  base: { ...BASE_NAMES, defaultModel: 'FVP_Base_RevC-2xAEMvA' },
  'base-r': { ...BASE_NAMES, defaultModel: 'FVP_BaseR_AEMv8R' },
  'corstone-300': { ...CORSTONE_NAMES, defaultModel: 'FVP_Corstone_SSE-300_Ethos-U55' },
  'corstone-310': { ...CORSTONE_NAMES, defaultModel: 'FVP_Corstone_SSE-310' },
};

/** The model binary name of a node. */
export function fvpModelName(spec: FvpNodeSpec): string {
  return spec.model ?? FVP_PARAMETERS[spec.family].defaultModel;
}

/** The value of hostbridge.userNetPorts: the forwards, normalised, comma-separated. */
export function userNetPorts(forwards: readonly string[]): string {
  return forwards
    .map((f) => {
      const parsed = parseFvpForward(f);
      return parsed.ok ? formatFvpForward(parsed.value) : f;
    })
    .join(',');
}

/**
 * The model's arguments after its binary: UART0 to stdout, no telnet, no window, user-mode
 * networking with forwards, the image, then the file's extra arguments. `elf` is absolute.
 */
export function fvpArgs(spec: FvpNodeSpec, elf: string): string[] {
  const names = FVP_PARAMETERS[spec.family];
  const p = names.prefix;
  const c = (param: string): string[] => ['-C', param];
  const args = [
    ...c(`${names.uart0}.out_file=-`),
    ...c(`${names.uart0}.unbuffered_output=1`),
    ...c(`${names.terminal0}.start_telnet=0`),
    ...c(`${names.visualisationOff}=1`),
  ];
  if (spec.networking) {
    args.push(...c(`${p}smsc_91c111.enabled=1`), ...c(`${p}hostbridge.userNetworking=1`));
    if (spec.forwards !== undefined && spec.forwards.length > 0) {
      args.push(...c(`${p}hostbridge.userNetPorts=${userNetPorts(spec.forwards)}`));
    }
    if (spec.subnet !== undefined) args.push(...c(`${p}hostbridge.userNetSubnet=${spec.subnet}`));
  }
  args.push('-a', elf, ...(spec.args ?? []));
  return args;
}
