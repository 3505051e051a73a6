/**
 * The history a decision reads: windowed counts for rate limits and invariants, and the last
 * completed action of a kind. Each is one indexed query bounded by its window or a LIMIT.
 */
import { sql } from 'kysely';
import type { Conn } from './conn.ts';
import { reusableQuery } from './reusable-query.ts';
import { InterlockError } from '../schema/errors.ts';

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

/**
 * The kind patterns as the query takes them: prefixes (with their lengths, for substr) and
 * exact kinds; undefined when every kind matches.
 */
function splitPatterns(patterns: readonly string[] | undefined) {
  if (!patterns || patterns.includes('*')) return undefined;
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return {
    prefixes,
    prefixLengths: prefixes.map((p) => p.length),
    exact: patterns.filter((p) => !p.endsWith('*')),
  };
}

function windowCount(purpose: WindowPurpose) {
  const timeColumn: 'created_at' | 'started_at' =
    purpose === 'proposal' ? 'created_at' : 'started_at';
  return reusableQuery(
    `countInWindow(${purpose})`,
    (
      db: Conn,
      since: number,
      excludeActionId: string | undefined,
      proposer: string | undefined,
      target: string | undefined,
      kinds: string[] | undefined,
      patterns: ReturnType<typeof splitPatterns>,
    ) => {
      let q = db.selectFrom('actions').where(timeColumn, '>=', since);
      q =
        purpose === 'proposal'
          ? // Spelled exactly as the partial indexes' predicate (migration 007), so they apply.
            q.where(sql<boolean>`status <> 'DENIED'`)
          : q.where('started_at', 'is not', null);
      if (excludeActionId !== undefined) q = q.where('id', '!=', excludeActionId);
      if (proposer !== undefined) q = q.where('proposer', '=', proposer);
      if (target !== undefined) q = q.where('target', '=', target);
      if (kinds !== undefined) q = q.where('kind', 'in', kinds);
      if (patterns !== undefined)
        q = q.where((eb) =>
          eb.or([
            ...patterns.prefixes.map((p, i) =>
              eb(sql`substr(kind, 1, ${patterns.prefixLengths[i]})`, '=', p),
            ),
            ...patterns.exact.map((k) => eb('kind', '=', k)),
          ]),
        );
      return q.select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min(timeColumn).as('oldest'),
      ]);
    },
  );
}

const countProposals = windowCount('proposal');
const countExecutions = windowCount('execution');

/** How many actions the window counts, and when the oldest of them entered it. */
export async function countInWindow(
  db: Conn,
  w: WindowQuery,
): Promise<{ count: number; oldest?: number }> {
  if (w.kinds && w.kinds.length === 0) return { count: 0 };
  const run = w.purpose === 'proposal' ? countProposals : countExecutions;
  const row = (
    await run(
      db,
      w.since,
      w.excludeActionId || undefined,
      w.proposer,
      w.target,
      w.kinds ? [...w.kinds] : undefined,
      splitPatterns(w.kindPatterns),
    )
  ).rows[0];
  if (!row) throw new InterlockError('internal', 'a count returned no row');
  const count = Number(row.n);
  return count > 0 && row.oldest !== null ? { count, oldest: Number(row.oldest) } : { count };
}

const lastCompletedQuery = reusableQuery(
  'lastCompleted',
  (db: Conn, target: string, kind: string) =>
    db
      .selectFrom('actions')
      .select(['params', 'finished_at'])
      .where('target', '=', target)
      .where('kind', '=', kind)
      .where('status', '=', 'COMPLETED')
      .orderBy('finished_at', 'desc')
      .limit(1),
);

/** The params and finish time of the last completed action of a kind on a target. */
export async function lastCompleted(
  db: Conn,
  target: string,
  kind: string,
): Promise<{ params: string; finishedAt: number } | undefined> {
  const prev = (await lastCompletedQuery(db, target, kind)).rows[0];
  return prev && prev.finished_at !== null
    ? { params: prev.params, finishedAt: Number(prev.finished_at) }
    : undefined;
}
