/** Recorded decisions: one per proposal, re-check and dry run. */
import type { Insertable } from 'kysely';
import type { Conn, Tx } from './conn.ts';
import { reusableQuery } from './reusable-query.ts';
import type { DecisionsTable } from './types.ts';

const insertDecisionQuery = reusableQuery(
  'insertDecision',
  (db: Conn, row: Insertable<DecisionsTable>) => db.insertInto('decisions').values(row),
);
const proposalDecisionQuery = reusableQuery('proposalDecisionOf', (db: Conn, actionId: string) =>
  db
    .selectFrom('decisions')
    .selectAll()
    .where('action_id', '=', actionId)
    .where('purpose', '=', 'proposal'),
);

export async function insertDecision(trx: Tx, row: Insertable<DecisionsTable>): Promise<void> {
  await insertDecisionQuery(trx, row);
}

/** The decision an action was proposed with. */
export async function proposalDecisionOf(
  db: Conn,
  actionId: string,
): Promise<DecisionsTable | undefined> {
  return (await proposalDecisionQuery(db, actionId)).rows[0];
}

export type DecisionInWindow = DecisionsTable & { kind: string | null; target: string | null };

/**
 * The decisions of [from, to), newest first, with their action's kind and target (none for a
 * dry run), at most `limit`; optionally of one effect, kind or target.
 */
export async function decisionsBetween(
  db: Conn,
  q: { from: number; to: number; effect?: string; kind?: string; target?: string; limit: number },
): Promise<DecisionInWindow[]> {
  let query = db
    .selectFrom('decisions')
    .leftJoin('actions', 'actions.id', 'decisions.action_id')
    .selectAll('decisions')
    .select(['actions.kind as kind', 'actions.target as target'])
    .where('decisions.created_at', '>=', q.from)
    .where('decisions.created_at', '<', q.to);
  if (q.effect !== undefined) query = query.where('decisions.effect', '=', q.effect);
  if (q.kind !== undefined) query = query.where('actions.kind', '=', q.kind);
  if (q.target !== undefined) query = query.where('actions.target', '=', q.target);
  return query
    .orderBy('decisions.created_at', 'desc')
    .orderBy('decisions.id', 'desc')
    .limit(q.limit)
    .execute();
}
