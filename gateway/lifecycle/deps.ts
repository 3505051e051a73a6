/** What the lifecycle services share: the database, the policy in force, targets, events, clock. */
import type { Config } from '../config/config.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { Db } from '../store/db.ts';
import type { Dialect } from '../store/dialect.ts';
import type { GroupCommitter } from '../store/group-commit.ts';

/** Whether an error means the database could not be reached (the front doors answer 503). */
export { databaseUnavailable } from '../store/unavailable.ts';
import type { Target } from '../targets.ts';
import type { Tx } from '../audit/append.ts';
import type { EventBus, LifecycleEvent } from './events.ts';

export interface Deps {
  db: Db;
  dialect: Dialect;
  policy: () => PolicyEvaluator | undefined;
  targets: Map<string, Target>;
  events: EventBus;
  config: Config;
  now: () => number;
  /** Groups the request paths' transactions into shared commits (store/group-commit.ts). */
  commits?: GroupCommitter;
}

/** inTx runs `fn` in one transaction and publishes its events only after the commit. */
export async function inTx<T>(
  deps: Deps,
  fn: (trx: Tx, events: LifecycleEvent[]) => Promise<T>,
): Promise<T> {
  const events: LifecycleEvent[] = [];
  const result = await deps.db.transaction().execute((trx) => fn(trx, events));
  for (const event of events) deps.events.publish(event);
  return result;
}

/**
 * inGroupTx is inTx for the request paths (proposals, batches, dry runs, audit-only records): the
 * transaction may commit together with other requests', and resolves only after that commit.
 * Only for short work that touches nothing but the database (a group waits for all of it) and
 * locks no existing row: a group holds the audit head from its start, so a member waiting for a
 * row lock held by a transaction that is itself waiting for the head would deadlock. Verdicts,
 * the stop and the executor lock actions and stay in inTx.
 */
export async function inGroupTx<T>(
  deps: Deps,
  fn: (trx: Tx, events: LifecycleEvent[]) => Promise<T>,
): Promise<T> {
  const events: LifecycleEvent[] = [];
  const result = await commitGrouped(deps, (trx) => fn(trx, events));
  for (const event of events) deps.events.publish(event);
  return result;
}

/** `work` in a group commit when the gateway groups, else in a transaction of its own. */
export function commitGrouped<T>(
  deps: Pick<Deps, 'db' | 'commits'>,
  work: (trx: Tx) => Promise<T>,
): Promise<T> {
  return deps.commits ? deps.commits.run(work) : deps.db.transaction().execute(work);
}
