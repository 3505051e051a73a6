/** The tokens table: bearer secrets stored as sha256, names unique as people read them. */
import type { Transaction } from 'kysely';
import { nameKey } from '../schema/names.ts';
import type { Db } from './db.ts';
import type { Database, TokensTable } from './types.ts';
import { reusableQuery } from './reusable-query.ts';

type Conn = Db | Transaction<Database>;

export async function insertToken(trx: Conn, row: Omit<TokensTable, 'revoked_at'>): Promise<void> {
  await trx
    .insertInto('tokens')
    .values({ ...row, revoked_at: null })
    .execute();
}

/**
 * Token rows whose name reads as `key`: by the indexed name_key, and rows a legacy collision
 * (name_key `key#id`) or an older replica (name_key null) left behind. LIKE's wildcards may
 * match more; the comparison in code decides.
 */
export async function sameNameRows(
  db: Conn,
  key: string,
  options: { activeOnly: boolean },
): Promise<TokensTable[]> {
  let q = db
    .selectFrom('tokens')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('name_key', '=', key),
        eb('name_key', 'like', `${key}#%`),
        eb('name_key', 'is', null),
      ]),
    );
  if (options.activeOnly) q = q.where('revoked_at', 'is', null);
  return (await q.execute()).filter((r) => nameKey(r.name) === key);
}

/**
 * The active token a name designates: the exact name first (a database from before unique
 * names may hold "alice" and "Alice" for two people, and one must never stand for the other),
 * else every active row that reads the same.
 */
export async function activeTokensNamed(trx: Conn, name: string): Promise<TokensTable[]> {
  const exact = await trx
    .selectFrom('tokens')
    .selectAll()
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return exact ? [exact] : sameNameRows(trx, nameKey(name), { activeOnly: true });
}

/** Revoke (revoked_at) or rotate (a new hash) one token row. */
export async function updateToken(
  trx: Conn,
  id: string,
  change: { revoked_at: number } | { hash: string },
): Promise<void> {
  await trx.updateTable('tokens').set(change).where('id', '=', id).execute();
}

const activeTokenQuery = reusableQuery('activeTokenByHash', (db: Conn, hash: string) =>
  db
    .selectFrom('tokens')
    .select(['id', 'name', 'role'])
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null),
);

/** The active token whose secret hashes to `hash`. */
export async function activeTokenByHash(
  db: Conn,
  hash: string,
): Promise<Pick<TokensTable, 'id' | 'name' | 'role'> | undefined> {
  return (await activeTokenQuery(db, hash)).rows[0];
}

export async function countTokens(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** End every open console session of an actor; returns how many ended. */
export async function endSessionsOf(trx: Conn, actor: string, now: number): Promise<number> {
  const r = await trx
    .updateTable('console_sessions')
    .set({ ended_at: now })
    .where('actor', '=', actor)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** A token by its exact name, revoked or not: whose word an action was proposed on. */
export async function tokenNamed(
  db: Conn,
  name: string,
): Promise<Pick<TokensTable, 'role' | 'revoked_at'> | undefined> {
  return db
    .selectFrom('tokens')
    .select(['role', 'revoked_at'])
    .where('name', '=', name)
    .executeTakeFirst();
}
