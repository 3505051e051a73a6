/**
 * A target's history written straight into a SQLite file: the query-plan test and the
 * history-scale benchmark seed the same shape (every status in turn, two proposers, the given
 * kinds, `rows` actions `stepMs` apart ending at `now`), then ANALYZE.
 */
import type SQLite from 'better-sqlite3';

export interface HistorySeed {
  rows: number;
  /** The newest action's time; the oldest is `rows × stepMs` before it. */
  now: number;
  stepMs: number;
  kinds: readonly string[];
  /** Ids are `${idPrefix}${i}`: the newest is `${idPrefix}${rows - 1}`. */
  idPrefix: string;
  params: string;
}

const STATUSES = ['COMPLETED', 'DENIED', 'FAILED', 'EXPIRED', 'REJECTED', 'CANCELLED'];

export function seedHistory(sqlite: SQLite.Database, seed: HistorySeed): void {
  const insert = sqlite.prepare(
    `insert into actions (id, kind, target, params, proposer, request_digest, action_digest, status, level, approvals_required, approval_roles, created_at, updated_at, started_at, finished_at, attempts)
     values (?, ?, 'roaster-1', ?, ?, 'r', 'a', ?, 'L3', 0, '[]', ?, ?, ?, ?, 0)`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < seed.rows; i++) {
      const at = seed.now - (seed.rows - i) * seed.stepMs;
      const status = STATUSES[i % STATUSES.length]!;
      const ran = status === 'COMPLETED' || status === 'FAILED';
      insert.run(
        `${seed.idPrefix}${i}`,
        seed.kinds[i % seed.kinds.length],
        seed.params,
        i % 3 ? 'agent-1' : 'agent-2',
        status,
        at,
        at,
        ran ? at : null,
        status === 'DENIED' ? null : at,
      );
    }
  })();
  sqlite.exec('analyze');
}
