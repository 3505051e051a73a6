/** What the lifecycle services share: the database, the policy in force, targets, events, clock. */
import type { Config } from '../config/config.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { Db } from '../store/db.ts';
import type { Dialect } from '../store/dialect.ts';

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
