/**
 * The reads a proposal and a time-of-use re-check make, through the store's own functions, for
 * the query-plan tests (SQLite and PostgreSQL): the tests capture the SQL and explain it.
 */
import type { Kysely } from 'kysely';
import {
  actionById,
  actionByIdempotencyKey,
  approvalsOf,
  dueForSweep,
} from '../../gateway/store/actions.ts';
import { pausedBy } from '../../gateway/store/breakers.ts';
import { proposalDecisionOf } from '../../gateway/store/decisions.ts';
import { estopRow } from '../../gateway/store/estop.ts';
import { countInWindow, lastCompleted } from '../../gateway/store/history.ts';
import { storedLevel } from '../../gateway/store/levels.ts';
import { activeTokenByHash } from '../../gateway/store/tokens.ts';
import type { Database } from '../../gateway/store/types.ts';

/** The id of the newest seeded action, `a${rows - 1}`. */
export async function runHotPathReads(
  db: Kysely<Database>,
  now: number,
  newestId = 'a199999',
): Promise<void> {
  const since = now - 60_000;
  await countInWindow(db, {
    purpose: 'proposal',
    since,
    target: 'roaster-1',
    kindPatterns: ['roaster.set_*'],
  });
  await countInWindow(db, { purpose: 'proposal', since, proposer: 'agent-1', kindPatterns: ['*'] });
  await countInWindow(db, {
    purpose: 'proposal',
    since,
    proposer: 'agent-1',
    target: 'roaster-1',
    kindPatterns: ['shell.exec'],
  });
  await countInWindow(db, {
    purpose: 'execution',
    since,
    target: 'roaster-1',
    kindPatterns: ['roaster.set_*'],
    excludeActionId: 'a1',
  });
  await countInWindow(db, {
    purpose: 'proposal',
    since: now - 10_000,
    target: 'roaster-1',
    kinds: ['roaster.set_power'],
  });
  await lastCompleted(db, 'roaster-1', 'roaster.set_power');
  await pausedBy(db, 'roaster-1', 'roaster.set_power');
  await storedLevel(db, 'roaster-1');
  await estopRow(db);
  await actionByIdempotencyKey(db, 'agent-1', 'k');
  await actionById(db, newestId);
  await approvalsOf(db, [newestId]);
  await proposalDecisionOf(db, newestId);
  await activeTokenByHash(db, 'h');
  await dueForSweep(db, now, 500);
}
