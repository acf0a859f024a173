import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Integration tests create real namespaces, TAPs and processes; run files one at a time
    // so that two labs never race for the same machine resources on a 2-core box.
    // netweave's cache in a temporary folder of the run's own (removed after it).
    globalSetup: ['test/helpers/cacheDir.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
