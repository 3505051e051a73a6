/** Breaker reads the decision path needs. */
import type { Conn, Tx } from './conn.ts';
import { reusableQuery } from './reusable-query.ts';
import type { BreakerEventsTable, BreakerRulesTable } from './types.ts';

const pausedByQuery = reusableQuery('pausedBy', (db: Conn, target: string, kind: string) =>
  db
    .selectFrom('paused_kinds')
    .innerJoin('breaker_events', 'breaker_events.id', 'paused_kinds.event_id')
    .select('breaker_events.rule')
    .where('paused_kinds.target', '=', target)
    .where('paused_kinds.kind', '=', kind),
);

/** The rule of the unresolved breaker event that paused `kind` on `target`, if any. */
export async function pausedBy(
  db: Conn,
  target: string,
  kind: string,
): Promise<string | undefined> {
  return (await pausedByQuery(db, target, kind)).rows[0]?.rule;
}

/** An unresolved breaker event on a target, if any. */
export async function openBreakerOn(
  db: Conn,
  target: string,
): Promise<{ rule: string } | undefined> {
  return db
    .selectFrom('breaker_events')
    .select('rule')
    .where('target', '=', target)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
}

/** How many breaker events are unresolved. */
export async function countOpenBreakers(db: Conn): Promise<number> {
  const r = await db
    .selectFrom('breaker_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('resolved_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Inserts a rule unless one of that name exists (seeding never overwrites a person's edit). */
export async function insertRuleIfAbsent(db: Conn, row: BreakerRulesTable): Promise<void> {
  await db
    .insertInto('breaker_rules')
    .values(row)
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function allRules(db: Conn): Promise<BreakerRulesTable[]> {
  return db.selectFrom('breaker_rules').selectAll().orderBy('name').execute();
}

export async function ruleNamed(db: Conn, name: string): Promise<BreakerRulesTable | undefined> {
  return db.selectFrom('breaker_rules').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function updateRule(
  trx: Tx,
  name: string,
  change: Partial<Omit<BreakerRulesTable, 'name'>>,
): Promise<void> {
  await trx.updateTable('breaker_rules').set(change).where('name', '=', name).execute();
}

/** Each rule's window, by name. */
export async function ruleWindows(db: Conn): Promise<Map<string, number>> {
  return new Map(
    (await db.selectFrom('breaker_rules').select(['name', 'window_ms']).execute()).map((r) => [
      r.name,
      Number(r.window_ms),
    ]),
  );
}

/** How many rules are enabled. */
export async function countEnabledRules(db: Conn): Promise<number> {
  const r = await db
    .selectFrom('breaker_rules')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('enabled', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The fence of each rule on a target: the trip time of its latest resolved event. What that
 * trip counted has been dealt with by a person and never trips the rule again. What happened
 * after the trip (while the event was open, the rule could not trip again) still counts: a
 * resolution must not silence an incident nobody looked at.
 */
export async function resolvedFences(db: Conn, target: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('breaker_events')
    .select(['rule', (eb) => eb.fn.max<number>('created_at').as('fence')])
    .where('target', '=', target)
    .where('resolved_at', 'is not', null)
    .groupBy('rule')
    .execute();
  return new Map(rows.map((r) => [r.rule, Number(r.fence)]));
}

/** Breaker events, newest first. */
export async function breakerEvents(
  db: Conn,
  options: { unresolved?: boolean; target?: string; limit: number },
): Promise<BreakerEventsTable[]> {
  let q = db
    .selectFrom('breaker_events')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(options.limit);
  if (options.unresolved) q = q.where('resolved_at', 'is', null);
  if (options.target) q = q.where('target', '=', options.target);
  return q.execute();
}

export async function breakerEventById(
  db: Conn,
  id: string,
): Promise<BreakerEventsTable | undefined> {
  return db.selectFrom('breaker_events').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertBreakerEvent(trx: Tx, row: BreakerEventsTable): Promise<void> {
  await trx.insertInto('breaker_events').values(row).execute();
}

/**
 * Pauses a kind on a target for an event (a kind already paused stays paused by its first event).
 */
export async function pauseKind(
  trx: Tx,
  row: { target: string; kind: string; event_id: string; created_at: number },
): Promise<void> {
  await trx
    .insertInto('paused_kinds')
    .values(row)
    .onConflict((oc) => oc.columns(['target', 'kind']).doNothing())
    .execute();
}

/** Resolves an open event and lifts the pauses it caused. */
export async function resolveBreakerEvent(
  trx: Tx,
  id: string,
  resolution: { at: number; by: string; reason: string },
): Promise<void> {
  await trx
    .updateTable('breaker_events')
    .set({ resolved_at: resolution.at, resolved_by: resolution.by, resolution: resolution.reason })
    .where('id', '=', id)
    .where('resolved_at', 'is', null)
    .execute();
  await trx.deleteFrom('paused_kinds').where('event_id', '=', id).execute();
}
