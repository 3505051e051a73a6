/** Acknowledgements: an operator has seen a failed or blocked action. One per action. */
import type { Conn, Tx } from './conn.ts';

export async function acknowledgedAmong(
  db: Conn,
  actionIds: readonly string[],
): Promise<Set<string>> {
  if (actionIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('acknowledgements')
    .select('action_id')
    .where('action_id', 'in', [...actionIds])
    .execute();
  return new Set(rows.map((r) => r.action_id));
}

export async function acknowledgementOf(
  db: Conn,
  actionId: string,
): Promise<{ actor: string } | undefined> {
  return db
    .selectFrom('acknowledgements')
    .select('actor')
    .where('action_id', '=', actionId)
    .executeTakeFirst();
}

export async function insertAcknowledgement(
  trx: Tx,
  row: { action_id: string; actor: string; note: string | null; created_at: number },
): Promise<void> {
  await trx.insertInto('acknowledgements').values(row).execute();
}
