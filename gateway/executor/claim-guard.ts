/**
 * What must still hold, inside the claiming transaction, for an approved action to start:
 * no emergency stop, no level change since the re-check decided, and no other action running
 * on the same target in any gateway process. On PostgreSQL the checks take locks (a
 * per-target advisory lock; shared row locks on the stop flag and the level), so a stop or a
 * level change committed by another replica either lands before the claim, and the claim sees
 * it, or waits for the claim to commit, and then finds the action EXECUTING, which every
 * replica's executor aborts within one poll (`executor.pollMs`). SQLite serializes write
 * transactions, which gives the same order for one file.
 */
import { sql } from 'kysely';
import type { Tx } from '../audit/append.ts';
import type { Dialect } from '../store/dialect.ts';

export type ClaimVerdict = { ok: true } | { ok: false; cancel?: string; wait?: string };

/** `estopExempt`: the catalog lets this kind run during a stop (aborts, emergency shutdown). */
export async function claimGuard(trx: Tx, dialect: Dialect, row: { id: string; target: string }, recheckStartedAt: number, estopExempt: boolean): Promise<ClaimVerdict> {
  const pg = dialect === 'postgres';
  if (pg) await sql`select pg_advisory_xact_lock(hashtext(${`interlock:target:${row.target}`}))`.execute(trx);
  const estopQuery = trx.selectFrom('estop').select('engaged').where('id', '=', 1);
  const estop = await (pg ? estopQuery.forShare() : estopQuery).executeTakeFirst();
  if (Number(estop?.engaged ?? 1) === 1 && !estopExempt) return { ok: false, cancel: 'emergency stop engaged before the action started' };
  const levelQuery = trx.selectFrom('autonomy_levels').select('updated_at').where('target', '=', row.target);
  const level = await (pg ? levelQuery.forShare() : levelQuery).executeTakeFirst();
  if (level && Number(level.updated_at) >= recheckStartedAt) return { ok: false, wait: 'the level changed during the re-check; deciding again' };
  const busy = await trx.selectFrom('actions').select('id').where('target', '=', row.target).where('status', 'in', ['EXECUTING', 'UNKNOWN']).where('id', '!=', row.id).executeTakeFirst();
  if (busy) return { ok: false, wait: `action ${busy.id} is running on ${row.target}` };
  return { ok: true };
}
