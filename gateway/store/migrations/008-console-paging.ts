/**
 * The console pages through every action newest first, filtered or not. Without an index on
 * the creation time that read sorted the whole table on every page; with it, a page reads its
 * rows in order and stops at the limit.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('actions_created')
    .on('actions')
    .columns(['created_at', 'id'])
    .execute();
}
