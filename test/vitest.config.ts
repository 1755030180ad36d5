import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** One config for all three layers; `npm test` runs them all. Kept under test/ so the top level stays fixed. */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['src/**/*.test.ts', 'bots/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every test file must leave no Redis keys without expiry under its prefixes.
    setupFiles: ['test/support/redis-leak-check.ts'],
  },
});
