import { defineConfig } from 'vitest/config';

// End-to-end tests: the built renderer in Chromium against a real `netweave serve` and real
// labs. Run with `npm run test:e2e` (it builds the renderer first).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    // netweave's cache in a temporary folder of the run's own (removed after it).
    globalSetup: ['test/helpers/cacheDir.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
