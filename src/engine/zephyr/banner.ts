// Facts about Zephyr's console output shared by the kinds that run Zephyr images.

/**
 * Zephyr's boot banner ("*** Booting Zephyr OS build v3.7.0 ***", printed by the kernel before
 * main() unless CONFIG_BOOT_BANNER=n): the default ready line of every Zephyr node.
 */
export const ZEPHYR_BANNER_PATTERN = '\\*\\*\\* Booting Zephyr OS';

/**
 * Default wait for the banner: native_sim and QEMU print it within a second; an FVP on a
 * loaded 2-core machine can take tens of seconds to load its image, so 60 s.
 */
export const DEFAULT_ZEPHYR_READY_TIMEOUT_S = 60;

/**
 * Default ready line of a native-sim node, on stdout or any UART: the boot banner (4.3 prints it
 * on stdout), the shell prompt of the UART backend (3.5's echo_server never prints the banner
 * anywhere; its UART starts with the prompt) or net_config's first log line (builds without a
 * shell). Each is printed within milliseconds of boot; `ready.pattern` replaces the set.
 */
export const NATIVE_SIM_READY_PATTERN = `${ZEPHYR_BANNER_PATTERN}|uart:~\\$ |<inf> net_config: `;
