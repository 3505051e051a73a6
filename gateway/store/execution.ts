/**
 * What the executor reads and writes: the approved queue, leases, orphans, and the claim's checks.
 */
import { sql } from 'kysely';
import type { Conn, Tx } from './conn.ts';
import type { Dialect } from './dialect.ts';
import type { ActionsTable } from './types.ts';

/** Approved actions, oldest approval first (batch members in order). */
export async function approvedQueue(db: Conn, limit: number): Promise<ActionsTable[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('status', '=', 'APPROVED')
    .orderBy('approved_at')
    .orderBy('batch_seq')
    .limit(limit)
    .execute();
}

/** The status of the batch member before `seq`, if there is one. */
export async function batchPredecessorStatus(
  db: Conn,
  batchId: string,
  seq: number,
): Promise<string | undefined> {
  const prev = await db
    .selectFrom('actions')
    .select(['status'])
    .where('batch_id', '=', batchId)
    .where('batch_seq', '=', seq - 1)
    .executeTakeFirst();
  return prev?.status;
}

/** Extends this executor's leases on the executions it still runs. */
export async function renewLeases(
  db: Conn,
  executorId: string,
  ids: readonly string[],
  until: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('actions')
    .set({ lease_until: until })
    .where('id', 'in', [...ids])
    .where('status', '=', 'EXECUTING')
    .where('executor_id', '=', executorId)
    .execute();
}

/** Executions whose lease ran out and that another executor (or none) holds. */
export async function orphanedExecutions(
  db: Conn,
  now: number,
  executorId: string,
): Promise<Pick<ActionsTable, 'id' | 'executor_id'>[]> {
  return db
    .selectFrom('actions')
    .select(['id', 'executor_id'])
    .where('status', '=', 'EXECUTING')
    .where((eb) => eb.or([eb('lease_until', '<', now), eb('lease_until', 'is', null)]))
    .where((eb) => eb.or([eb('executor_id', '!=', executorId), eb('executor_id', 'is', null)]))
    .execute();
}

/** Actions in UNKNOWN, with their targets, for asking the drivers what happened. */
export async function unknownOutcomes(db: Conn): Promise<Pick<ActionsTable, 'id' | 'target'>[]> {
  return db
    .selectFrom('actions')
    .select(['id', 'target'])
    .where('status', '=', 'UNKNOWN')
    .execute();
}

/**
 * The facts a claim must re-read inside its transaction. On PostgreSQL they take locks: a
 * per-target advisory lock, and shared row locks on the stop flag and the target's level.
 */
export async function claimFacts(
  trx: Tx,
  dialect: Dialect,
  row: { id: string; target: string },
): Promise<{ estopEngaged: boolean; levelUpdatedAt?: number; busyWith?: string }> {
  const pg = dialect === 'postgres';
  if (pg)
    await sql`select pg_advisory_xact_lock(hashtext(${`interlock:target:${row.target}`}))`.execute(
      trx,
    );
  const estopQuery = trx.selectFrom('estop').select('engaged').where('id', '=', 1);
  const estop = await (pg ? estopQuery.forShare() : estopQuery).executeTakeFirst();
  const levelQuery = trx
    .selectFrom('autonomy_levels')
    .select('updated_at')
    .where('target', '=', row.target);
  const level = await (pg ? levelQuery.forShare() : levelQuery).executeTakeFirst();
  const busy = await trx
    .selectFrom('actions')
    .select('id')
    .where('target', '=', row.target)
    .where('status', 'in', ['EXECUTING', 'UNKNOWN'])
    .where('id', '!=', row.id)
    .executeTakeFirst();
  return {
    // No stop row means the schema is broken: engaged (fail closed).
    estopEngaged: Number(estop?.engaged ?? 1) === 1,
    ...(level ? { levelUpdatedAt: Number(level.updated_at) } : {}),
    ...(busy ? { busyWith: busy.id } : {}),
  };
}
