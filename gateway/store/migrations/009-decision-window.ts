/**
 * The console's decision cards page reads the decisions of a time window, newest first: an
 * index on the decision time keeps that read to the window instead of the whole table.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createIndex('decisions_created')
    .on('decisions')
    .columns(['created_at', 'id'])
    .execute();
}
