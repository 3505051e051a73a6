/** Batches: members are actions with a batch id and sequence. */
import type { Insertable } from 'kysely';
import type { Conn, Tx } from './conn.ts';
import type { BatchesTable } from './types.ts';

export async function insertBatch(trx: Tx, row: Insertable<BatchesTable>): Promise<void> {
  await trx.insertInto('batches').values(row).execute();
}

export async function batchById(db: Conn, id: string): Promise<BatchesTable | undefined> {
  return db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
}
