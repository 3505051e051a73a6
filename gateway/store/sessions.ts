/** Console sessions: a cookie's hash, bound to the token secret it was opened with. */
import type { Insertable } from 'kysely';
import type { Conn, Tx } from './conn.ts';
import type { ConsoleSessionsTable } from './types.ts';

export async function insertSession(trx: Tx, row: Insertable<ConsoleSessionsTable>): Promise<void> {
  await trx.insertInto('console_sessions').values(row).execute();
}

/** A session with whether its token has been revoked since. */
export async function sessionById(db: Conn, id: string) {
  return db
    .selectFrom('console_sessions')
    .innerJoin('tokens', 'tokens.hash', 'console_sessions.token_hash')
    .select([
      'console_sessions.actor',
      'console_sessions.role',
      'console_sessions.csrf',
      'console_sessions.expires_at',
      'console_sessions.last_seen_at',
      'console_sessions.ended_at',
      'tokens.revoked_at',
    ])
    .where('console_sessions.id', '=', id)
    .executeTakeFirst();
}

export async function touchSession(db: Conn, id: string, now: number): Promise<void> {
  await db
    .updateTable('console_sessions')
    .set({ last_seen_at: now })
    .where('id', '=', id)
    .execute();
}

/** Ends an open session; false when it was not open. */
export async function endSession(trx: Tx, id: string, now: number): Promise<boolean> {
  const r = await trx
    .updateTable('console_sessions')
    .set({ ended_at: now })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
