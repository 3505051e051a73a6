import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // PostgreSQL-only suites run in the PostgreSQL pass (INTERLOCK_TEST_DB=postgres).
    exclude: [
      'node_modules/**',
      '.tools/**',
      '.cache/**',
      ...(process.env.INTERLOCK_TEST_DB === 'postgres'
        ? []
        : ['test/replicas/**', '**/*.pg.test.ts']),
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Policy compilation shells out to opa; a shared cache keeps repeated builds cheap.
    pool: 'forks',
    // INTERLOCK_TEST_DB=postgres starts a throwaway PostgreSQL cluster for the run.
    globalSetup: ['test/setup/postgres.ts'],
  },
});
