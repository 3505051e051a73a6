/**
 * Indexes that bound every query on the proposal and execution paths by their window or LIMIT,
 * so a proposal costs the same on a target with a million actions as on a new one:
 * - the last completed action of a kind (the ramp constraint): target, kind, status, finished_at;
 * - per-actor rate limits: proposer, created_at;
 * - the time-of-use re-check, which counts executions started in a window: target, started_at.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('actions_last_completed')
    .on('actions')
    .columns(['target', 'kind', 'status', 'finished_at'])
    .execute();
  await db.schema
    .createIndex('actions_proposer_window')
    .on('actions')
    .columns(['proposer', 'created_at'])
    .execute();
  await db.schema
    .createIndex('actions_target_started')
    .on('actions')
    .columns(['target', 'started_at'])
    .execute();
}
