/**
 * Token names unique as people read them: a `name_key` column (NFKC and case folded, see
 * gateway/auth/names.ts) with a unique index, so "alice" and "Alice" cannot both be created,
 * also by two admins at once on PostgreSQL. And console sessions bound to the token they came
 * from (`token_hash`), so rotating a token ends them; sessions from before have none and end.
 */
import { sql, type Kysely } from 'kysely';
import { nameKey } from '../../schema/names.ts';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('name_key', 'text').execute();
  const rows = await sql<{
    id: string;
    name: string;
  }>`select id, name from tokens order by created_at, id`.execute(db);
  const taken = new Set<string>();
  for (const { id, name } of rows.rows) {
    // Names that already collide keep working; only the first holds the plain key, so no new
    // token can take any of them.
    const key = taken.has(nameKey(name)) ? `${nameKey(name)}#${id}` : nameKey(name);
    taken.add(nameKey(name));
    await sql`update tokens set name_key = ${key} where id = ${id}`.execute(db);
  }
  await db.schema
    .createIndex('tokens_name_fold_unique')
    .unique()
    .on('tokens')
    .column('name_key')
    .execute();
  await db.schema.alterTable('console_sessions').addColumn('token_hash', 'text').execute();
}
