/** Recorded decisions: one per proposal, re-check and dry run. */
import type { Insertable } from 'kysely';
import type { Conn, Tx } from './conn.ts';
import type { DecisionsTable } from './types.ts';

export async function insertDecision(trx: Tx, row: Insertable<DecisionsTable>): Promise<void> {
  await trx.insertInto('decisions').values(row).execute();
}

/** The decision an action was proposed with. */
export async function proposalDecisionOf(
  db: Conn,
  actionId: string,
): Promise<DecisionsTable | undefined> {
  return db
    .selectFrom('decisions')
    .selectAll()
    .where('action_id', '=', actionId)
    .where('purpose', '=', 'proposal')
    .executeTakeFirst();
}
