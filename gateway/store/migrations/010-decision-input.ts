/**
 * The whole input each decision was made on (canonical JSON; null when over the size cap or
 * recorded before this migration). Policy impact analysis replays it through a candidate
 * bundle; the decision's audit record carries its sha256, so a replayed input is checked
 * against the signed log.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('decisions').addColumn('input', 'text').execute();
}
