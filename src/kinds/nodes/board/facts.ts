// The facts of the "board" node kind (see NodeKindFacts). No zod here.
import type { BoardNodeSpec } from './definition.js';
import { defineNodeKindFacts } from '../../../shared/topology/kinds/types.js';

/** The one port of a board node: its USB network interface. */
export const BOARD_PORT = 'usb0';

/** The value of `serial` that gives a board no console. */
export const BOARD_NO_SERIAL = 'none';

/** Zephyr's default console speed (CONFIG_UART_CONSOLE on most boards). */
export const DEFAULT_BOARD_BAUD = 115200;

/** The board kind's facts. */
export const boardFacts = defineNodeKindFacts<BoardNodeSpec>()({
  kind: 'board',
  icon: 'board',
  description: 'A real Zephyr board on USB: its USB network interface and serial console.',
  attach: 'port',
  declaredPorts: () => [BOARD_PORT],
});
