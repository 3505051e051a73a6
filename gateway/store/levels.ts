/** The autonomy level stored per target (the configured level applies where none is stored). */
import type { Conn, Tx } from './conn.ts';
import type { AutonomyTable } from './types.ts';

export async function storedLevel(db: Conn, target: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('autonomy_levels')
    .select('level')
    .where('target', '=', target)
    .executeTakeFirst();
  return row?.level;
}

export async function storedLevelRow(db: Conn, target: string): Promise<AutonomyTable | undefined> {
  return db
    .selectFrom('autonomy_levels')
    .selectAll()
    .where('target', '=', target)
    .executeTakeFirst();
}

export async function writeLevel(trx: Tx, row: AutonomyTable): Promise<void> {
  const { target: _target, ...change } = row;
  await trx
    .insertInto('autonomy_levels')
    .values(row)
    .onConflict((oc) => oc.column('target').doUpdateSet(change))
    .execute();
}
