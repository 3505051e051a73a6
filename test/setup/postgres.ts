/**
 * Vitest global setup: when INTERLOCK_TEST_DB=postgres, one throwaway PostgreSQL cluster for
 * the whole run (each test gateway gets a fresh database in it), removed afterwards.
 */
import type { TestProject } from 'vitest/node';
// The `pgUrl` it provides is declared beside the cluster helper (test/helpers/postgres.ts).
import { startCluster } from '../helpers/postgres.ts';

export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  if (process.env.INTERLOCK_TEST_DB !== 'postgres') {
    project.provide('pgUrl', undefined);
    return undefined;
  }
  const cluster = await startCluster();
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}
