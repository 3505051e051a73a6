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
import type { Tx } from '../store/conn.ts';
import { claimFacts } from '../store/execution.ts';
import type { Dialect } from '../store/dialect.ts';

export type ClaimVerdict = { ok: true } | { ok: false; cancel?: string; wait?: string };

/** `estopExempt`: the catalog lets this kind run during a stop (aborts, emergency shutdown). */
export async function claimGuard(
  trx: Tx,
  dialect: Dialect,
  row: { id: string; target: string },
  recheckStartedAt: number,
  estopExempt: boolean,
): Promise<ClaimVerdict> {
  const facts = await claimFacts(trx, dialect, row);
  if (facts.estopEngaged && !estopExempt)
    return { ok: false, cancel: 'emergency stop engaged before the action started' };
  if (facts.levelUpdatedAt !== undefined && facts.levelUpdatedAt >= recheckStartedAt)
    return { ok: false, wait: 'the level changed during the re-check; deciding again' };
  if (facts.busyWith)
    return { ok: false, wait: `action ${facts.busyWith} is running on ${row.target}` };
  return { ok: true };
}
