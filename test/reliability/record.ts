/**
 * The reliability suite's counts. Under `npm run reliability` (RELIABILITY_RECORD=1) each part
 * writes what it tried and found to bench/results/reliability/<part>.json; ordinary test runs
 * write nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const FULL = process.env.RELIABILITY_SCALE === 'full';

/** A count for the quick pass (every test run) and the full one (`npm run reliability`). */
export const scale = (quick: number, full: number): number => (FULL ? full : quick);

export function record(part: string, result: Record<string, unknown>): void {
  if (process.env.RELIABILITY_RECORD !== '1') return;
  const dir = path.resolve(import.meta.dirname, '../../bench/results/reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${part}.json`),
    `${JSON.stringify({ part, at: new Date().toISOString(), node: process.version, ...result }, null, 2)}\n`,
  );
}
