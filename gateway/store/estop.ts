/** The one emergency-stop row. */
import type { Conn, Tx } from './conn.ts';
import type { EstopTable } from './types.ts';

export async function estopRow(db: Conn): Promise<EstopTable | undefined> {
  return db.selectFrom('estop').selectAll().where('id', '=', 1).executeTakeFirst();
}

export async function engageEstop(
  trx: Tx,
  change: { reason: string; actor: string; at: number },
): Promise<void> {
  await trx
    .updateTable('estop')
    .set({ engaged: 1, reason: change.reason, actor: change.actor, updated_at: change.at })
    .where('id', '=', 1)
    .execute();
}

/** Releases the stop; false when it was not engaged. */
export async function releaseEstop(
  trx: Tx,
  change: { reason: string; actor: string; at: number },
): Promise<boolean> {
  const row = await trx
    .updateTable('estop')
    .set({ engaged: 0, reason: change.reason, actor: change.actor, updated_at: change.at })
    .where('id', '=', 1)
    .where('engaged', '=', 1)
    .executeTakeFirst();
  return Number(row.numUpdatedRows) === 1;
}
