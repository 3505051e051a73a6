/** Breaker reads the decision path needs. */
import type { Conn } from './conn.ts';

/** The rule of the unresolved breaker event that paused `kind` on `target`, if any. */
export async function pausedBy(db: Conn, target: string, kind: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('paused_kinds')
    .innerJoin('breaker_events', 'breaker_events.id', 'paused_kinds.event_id')
    .select('breaker_events.rule')
    .where('paused_kinds.target', '=', target)
    .where('paused_kinds.kind', '=', kind)
    .executeTakeFirst();
  return row?.rule;
}

/** An unresolved breaker event on a target, if any. */
export async function openBreakerOn(db: Conn, target: string): Promise<{ rule: string } | undefined> {
  return db.selectFrom('breaker_events').select('rule').where('target', '=', target).where('resolved_at', 'is', null).executeTakeFirst();
}
