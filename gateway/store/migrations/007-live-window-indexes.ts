/**
 * Rate-limit windows count accepted proposals only, so their indexes hold only those: a flood
 * of denied proposals (the usual shape of an agent that loops) no longer lengthens every later
 * count. With the columns the count reads in the index, the count never visits the table, and
 * because a rate limit denies past its maximum, the rows in a window stay near that maximum.
 * The predicate is written as history.ts writes it (a literal, not a parameter), which is what
 * lets SQLite and PostgreSQL prove the index applies.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

const LIVE_PREDICATE = sql<boolean>`status <> 'DENIED'`;

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('actions_target_live_window')
    .on('actions')
    .columns(['target', 'created_at', 'kind', 'status'])
    .where(LIVE_PREDICATE)
    .execute();
  await db.schema
    .createIndex('actions_proposer_live_window')
    .on('actions')
    .columns(['proposer', 'created_at', 'kind', 'target', 'status'])
    .where(LIVE_PREDICATE)
    .execute();
}
