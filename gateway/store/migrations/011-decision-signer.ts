/**
 * Who sealed the policy bundle that made each decision (`policy.requireSignature`); null when
 * signatures are not required or before this migration. The decision's audit record carries it too.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('decisions').addColumn('policy_signer', 'text').execute();
}
