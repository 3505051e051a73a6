/**
 * The operator's reads over the whole action history: a filtered, searched page newest first,
 * the unresolved incidents, and which actions were recorded as recommendations.
 */
import { sql } from 'kysely';
import type { Conn } from './conn.ts';
import type { ActionsTable } from './types.ts';

export interface ActionSearch {
  target?: string;
  kind?: string;
  proposer?: string;
  /** Any of these statuses; an empty list matches nothing. */
  statuses?: readonly string[];
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Case-insensitive substring of the id, kind, target, proposer, params or status reason. */
  text?: string;
  /** Keyset cursor: rows strictly older than this one. */
  before?: { at: number; id: string };
  limit: number;
}

/** `%`, `_` and the escape itself stand for themselves in the searched text. */
const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;

const SEARCHED = ['id', 'kind', 'target', 'proposer', 'params', 'status_reason'] as const;

export async function searchActions(db: Conn, q: ActionSearch): Promise<ActionsTable[]> {
  if (q.statuses && q.statuses.length === 0) return [];
  let query = db.selectFrom('actions').selectAll();
  if (q.target !== undefined) query = query.where('target', '=', q.target);
  if (q.kind !== undefined) query = query.where('kind', '=', q.kind);
  if (q.proposer !== undefined) query = query.where('proposer', '=', q.proposer);
  if (q.statuses) query = query.where('status', 'in', [...q.statuses]);
  if (q.from !== undefined) query = query.where('created_at', '>=', q.from);
  if (q.to !== undefined) query = query.where('created_at', '<', q.to);
  const text = q.text;
  if (text !== undefined && text !== '') {
    const pattern = likePattern(text);
    // lower() on both sides: SQLite's LIKE folds ASCII case and PostgreSQL's does not.
    query = query.where((eb) =>
      eb.or(
        SEARCHED.map((col) => sql<boolean>`lower(${sql.ref(col)}) like ${pattern} escape '\\'`),
      ),
    );
  }
  const before = q.before;
  if (before)
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.at),
        eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)]),
      ]),
    );
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
}

/**
 * Actions in these statuses that nobody has acknowledged and that are not recommendations,
 * newest first: what the console lists as incidents.
 */
export async function unacknowledgedIn(
  db: Conn,
  statuses: readonly string[],
  limit: number,
): Promise<ActionsTable[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('status', 'in', [...statuses])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('acknowledgements')
            .select('action_id')
            .whereRef('acknowledgements.action_id', '=', 'actions.id'),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('decisions')
            .select('decisions.id')
            .whereRef('decisions.action_id', '=', 'actions.id')
            .where('decisions.recommendation', '=', 1),
        ),
      ),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Which of these actions the policy recorded as recommendations (L1/L2). */
export async function recommendedAmong(
  db: Conn,
  actionIds: readonly string[],
): Promise<Set<string>> {
  if (actionIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('decisions')
    .select('action_id')
    .where('action_id', 'in', [...actionIds])
    .where('recommendation', '=', 1)
    .execute();
  return new Set(rows.flatMap((r) => (r.action_id === null ? [] : [r.action_id])));
}
