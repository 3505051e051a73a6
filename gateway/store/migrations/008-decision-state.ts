/**
 * The target state a decision was made on. The card shows it beside the state now and the
 * state before and after the write, so an operator can see what the policy saw.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('decisions').addColumn('state_used', 'text').execute();
}
