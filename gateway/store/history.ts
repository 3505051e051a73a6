/**
 * The history a decision reads: windowed counts for rate limits and invariants, and the last
 * completed action of a kind. Each is one indexed query bounded by its window or a LIMIT.
 */
import { sql } from 'kysely';
import type { Conn } from './conn.ts';

/**
 * What a window counts: accepted proposals created in it, or, at the time-of-use re-check,
 * executions started in it.
 */
export type WindowPurpose = 'proposal' | 'execution';

export interface WindowQuery {
  purpose: WindowPurpose;
  since: number;
  /** The action being re-checked, not counted against itself. */
  excludeActionId?: string;
  proposer?: string;
  target?: string;
  /** Exact kinds. */
  kinds?: readonly string[];
  /** Kind patterns: exact, or a prefix ending in `*`; `*` alone matches every kind. */
  kindPatterns?: readonly string[];
}

function windowed(db: Conn, w: WindowQuery) {
  const timeColumn: 'created_at' | 'started_at' =
    w.purpose === 'proposal' ? 'created_at' : 'started_at';
  let q = db.selectFrom('actions').where(timeColumn, '>=', w.since);
  q =
    w.purpose === 'proposal'
      ? // Spelled exactly as the partial indexes' predicate (migration 007), so they apply.
        q.where(sql<boolean>`status <> 'DENIED'`)
      : q.where('started_at', 'is not', null);
  if (w.excludeActionId) q = q.where('id', '!=', w.excludeActionId);
  if (w.proposer !== undefined) q = q.where('proposer', '=', w.proposer);
  if (w.target !== undefined) q = q.where('target', '=', w.target);
  if (w.kinds) q = q.where('kind', 'in', [...w.kinds]);
  const patterns = w.kindPatterns;
  if (patterns && !patterns.includes('*')) {
    q = q.where((eb) =>
      eb.or(
        patterns.map((p) =>
          p.endsWith('*')
            ? eb(sql`substr(kind, 1, ${p.length - 1})`, '=', p.slice(0, -1))
            : eb('kind', '=', p),
        ),
      ),
    );
  }
  return { q, timeColumn };
}

/** How many actions the window counts, and when the oldest of them entered it. */
export async function countInWindow(
  db: Conn,
  w: WindowQuery,
): Promise<{ count: number; oldest?: number }> {
  if (w.kinds && w.kinds.length === 0) return { count: 0 };
  const { q, timeColumn } = windowed(db, w);
  const row = await q
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min(timeColumn).as('oldest')])
    .executeTakeFirstOrThrow();
  const count = Number(row.n);
  return count > 0 && row.oldest !== null ? { count, oldest: Number(row.oldest) } : { count };
}

/** The params and finish time of the last completed action of a kind on a target. */
export async function lastCompleted(
  db: Conn,
  target: string,
  kind: string,
): Promise<{ params: string; finishedAt: number } | undefined> {
  const prev = await db
    .selectFrom('actions')
    .select(['params', 'finished_at'])
    .where('target', '=', target)
    .where('kind', '=', kind)
    .where('status', '=', 'COMPLETED')
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return prev && prev.finished_at !== null
    ? { params: prev.params, finishedAt: Number(prev.finished_at) }
    : undefined;
}
