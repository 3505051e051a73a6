/** The one emergency-stop row. */
import type { Conn, Tx } from './conn.ts';
import { reusableQuery } from './reusable-query.ts';
import type { EstopTable } from './types.ts';

const estopQuery = reusableQuery('estopRow', (db: Conn) =>
  db.selectFrom('estop').selectAll().where('id', '=', 1),
);

export async function estopRow(db: Conn): Promise<EstopTable | undefined> {
  return (await estopQuery(db)).rows[0];
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
