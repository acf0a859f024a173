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
