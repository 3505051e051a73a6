import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.tools/**', '.cache/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Policy compilation shells out to opa; a shared cache keeps repeated builds cheap.
    pool: 'forks',
  },
});
