/** The grouped counts behind a target's windowed metrics (breaker conditions, readiness). */
import { sql } from 'kysely';
import { FIRST_SEQ } from './audit-reads.ts';
import type { Conn } from './conn.ts';

type Count<K extends string> = Record<K, string> & { n: number };

/** Actions of a target that finished in the window, in the given statuses, per kind and status. */
export async function finishedCounts(
  db: Conn,
  target: string,
  since: number,
  statuses: readonly string[],
): Promise<Count<'kind' | 'status'>[]> {
  const rows = await db
    .selectFrom('actions')
    .select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('target', '=', target)
    .where('finished_at', '>=', since)
    .where('status', 'in', [...statuses])
    .groupBy(['kind', 'status'])
    .execute();
  return rows.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) }));
}

/**
 * Actions of a target proposed in the window that needed approval, in the given statuses, per
 * status.
 */
export async function decidedCounts(
  db: Conn,
  target: string,
  since: number,
  statuses: readonly string[],
): Promise<Count<'status'>[]> {
  const rows = await db
    .selectFrom('actions')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('target', '=', target)
    .where('created_at', '>=', since)
    .where('approvals_required', '>', 0)
    .where('status', 'in', [...statuses])
    .groupBy('status')
    .execute();
  return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
}

/** Emergency stops (any target) and driver errors of this target since a time, per type. */
export async function incidentCounts(
  db: Conn,
  target: string,
  sinceIso: string,
): Promise<Count<'type'>[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
    .where('type', 'in', ['estop.engaged', 'driver.error'])
    .where('seq', '>=', FIRST_SEQ)
    .where('ts', '>=', sinceIso)
    .where((eb) =>
      eb.or([
        eb('type', '=', 'estop.engaged'),
        eb('payload', 'like', sql<string>`${`%"target":${JSON.stringify(target)}%`}`),
      ]),
    )
    .groupBy('type')
    .execute();
  return rows.map((r) => ({ type: r.type, n: Number(r.n) }));
}
