/** The actions table: one row per proposal, its status moved only by conditional updates. */
import type { Insertable, Updateable } from 'kysely';
import { reusableQuery } from './reusable-query.ts';
import type { Conn, Tx } from './conn.ts';
import type { ActionsTable, ApprovalsTable } from './types.ts';

const insertActionQuery = reusableQuery('insertAction', (db: Conn, row: Insertable<ActionsTable>) =>
  db.insertInto('actions').values(row),
);
const actionByIdQuery = reusableQuery('actionById', (db: Conn, id: string) =>
  db.selectFrom('actions').selectAll().where('id', '=', id),
);

export async function insertAction(trx: Tx, row: Insertable<ActionsTable>): Promise<void> {
  await insertActionQuery(trx, row);
}

export async function actionById(db: Conn, id: string): Promise<ActionsTable | undefined> {
  return (await actionByIdQuery(db, id)).rows[0];
}

/**
 * Claims the row for this transaction (a row lock on PostgreSQL; SQLite's one writer is the
 * transaction already) and returns it, or undefined when there is no such action.
 */
export async function lockAction(
  trx: Tx,
  id: string,
  now: number,
): Promise<ActionsTable | undefined> {
  const touched = await trx
    .updateTable('actions')
    .set({ updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(touched.numUpdatedRows) !== 1) return undefined;
  return trx.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/**
 * Moves an action from one status to another, setting other columns with it, only if it is
 * still in `from`; true when this call moved it.
 */
const moveStatusQuery = reusableQuery(
  'moveStatus',
  (db: Conn, id: string, from: string, values: Updateable<ActionsTable>) =>
    db.updateTable('actions').set(values).where('id', '=', id).where('status', '=', from),
);

export async function moveStatus(
  trx: Tx,
  move: {
    id: string;
    from: string;
    to: string;
    reason: string | null;
    at: number;
    set?: Partial<Omit<ActionsTable, 'id' | 'status'>>;
  },
): Promise<boolean> {
  const result = await moveStatusQuery(trx, move.id, move.from, {
    ...move.set,
    status: move.to,
    status_reason: move.reason,
    updated_at: move.at,
  });
  return Number(result.numAffectedRows) === 1;
}

/** The proposer's earlier action under an Idempotency-Key. */
export async function actionByIdempotencyKey(
  db: Conn,
  proposer: string,
  key: string,
): Promise<Pick<ActionsTable, 'id' | 'request_digest'> | undefined> {
  return db
    .selectFrom('actions')
    .select(['id', 'request_digest'])
    .where('proposer', '=', proposer)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/** A proposer's actions in the given statuses (what revoking their token withdraws). */
export async function actionsOfProposer(
  trx: Conn,
  proposer: string,
  statuses: readonly string[],
): Promise<Pick<ActionsTable, 'id' | 'status'>[]> {
  return trx
    .selectFrom('actions')
    .select(['id', 'status'])
    .where('proposer', '=', proposer)
    .where('status', 'in', [...statuses])
    .execute();
}

/** Pending actions whose deadline has come: approvals timed out, veto windows passed. */
export async function dueForSweep(
  db: Conn,
  now: number,
  limit: number,
): Promise<{ expiring: string[]; vetoPassed: string[] }> {
  const [expiring, vetoPassed] = await Promise.all([
    db
      .selectFrom('actions')
      .select('id')
      .where('status', '=', 'PENDING_APPROVAL')
      .where('expires_at', '<=', now)
      .limit(limit)
      .execute(),
    db
      .selectFrom('actions')
      .select('id')
      .where('status', '=', 'PENDING_VETO')
      .where('veto_deadline', '<=', now)
      .limit(limit)
      .execute(),
  ]);
  return { expiring: expiring.map((r) => r.id), vetoPassed: vetoPassed.map((r) => r.id) };
}

/** The actions of a batch, in batch order. */
export async function actionsOfBatch(db: Conn, batchId: string): Promise<ActionsTable[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('batch_id', '=', batchId)
    .orderBy('batch_seq')
    .execute();
}

export type ApprovalLine = Pick<
  ApprovalsTable,
  'action_id' | 'actor' | 'role' | 'verdict' | 'created_at'
>;

function approvalsOfBuilder(db: Conn, actionIds: readonly string[]) {
  return db
    .selectFrom('approvals')
    .select(['action_id', 'actor', 'role', 'verdict', 'created_at'])
    .where('action_id', 'in', [...actionIds])
    .orderBy('created_at');
}
const approvalsOfQuery = reusableQuery('approvalsOf', approvalsOfBuilder);

/** The approvals and other verdicts on these actions, in one query. */
export async function approvalsOf(db: Conn, actionIds: readonly string[]): Promise<ApprovalLine[]> {
  if (actionIds.length === 0) return [];
  // Lists of up to 16 ids reuse their compiled SQL; longer ones (listings) are built each time.
  if (actionIds.length <= 16) return (await approvalsOfQuery(db, actionIds)).rows;
  return approvalsOfBuilder(db, actionIds).execute();
}

export async function insertApproval(
  trx: Tx,
  row: Insertable<ApprovalsTable>,
  options: { ignoreDuplicate?: boolean } = {},
): Promise<void> {
  let q = trx.insertInto('approvals').values(row);
  if (options.ignoreDuplicate) q = q.onConflict((oc) => oc.doNothing());
  await q.execute();
}

/** Each approval of an action with the digest it was given for. */
export async function approvalBindings(
  db: Conn,
  actionId: string,
): Promise<{ actor: string; action_digest: string }[]> {
  return db
    .selectFrom('approvals')
    .select(['actor', 'action_digest'])
    .where('action_id', '=', actionId)
    .where('verdict', '=', 'approve')
    .execute();
}

/** Who has approved an action so far (one line per approval). */
export async function approversOf(trx: Conn, actionId: string): Promise<string[]> {
  return (await approvalBindings(trx, actionId)).map((r) => r.actor);
}

/** Every action in the given statuses (what the emergency stop cancels). */
export async function actionsInStatus(
  db: Conn,
  statuses: readonly string[],
): Promise<Pick<ActionsTable, 'id' | 'status'>[]> {
  return db
    .selectFrom('actions')
    .select(['id', 'status'])
    .where('status', 'in', [...statuses])
    .execute();
}

/** The newest actions in the given statuses, at most `limit`. */
export async function newestInStatus(
  db: Conn,
  statuses: readonly string[],
  limit: number,
): Promise<ActionsTable[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('status', 'in', [...statuses])
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** How many actions each target has in each of the given statuses. */
export async function countsByTargetAndStatus(
  db: Conn,
  statuses: readonly string[],
): Promise<{ target: string; status: string; n: number }[]> {
  const rows = await db
    .selectFrom('actions')
    .select(['target', 'status'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', [...statuses])
    .groupBy(['target', 'status'])
    .execute();
  return rows.map((r) => ({ target: r.target, status: r.status, n: Number(r.n) }));
}

/** How many actions are in the given statuses. */
export async function countInStatus(db: Conn, statuses: readonly string[]): Promise<number> {
  const r = await db
    .selectFrom('actions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', [...statuses])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The kind and target of each of these actions (labels for reports). */
export async function kindsAndTargets(
  db: Conn,
  ids: readonly string[],
): Promise<{ id: string; kind: string; target: string }[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('actions')
    .select(['id', 'kind', 'target'])
    .where('id', 'in', [...ids])
    .execute();
}
