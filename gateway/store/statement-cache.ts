/**
 * Prepared statements kept for reuse. Kysely's SQLite driver prepares every query it runs;
 * preparing cost about a tenth of a proposal's CPU time, and the gateway sends the same few
 * dozen statements again and again. The cache is bounded (least recently used goes first)
 * because statements with `in (…)` lists differ by their list's length.
 */
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

export const STATEMENT_CACHE_SIZE = 256;

export function cachingStatements(
  database: SQLite.Database,
  capacity = STATEMENT_CACHE_SIZE,
): SqliteDatabase & { readonly cached: number } {
  const statements = new Map<string, SQLite.Statement>();
  return {
    get cached() {
      return statements.size;
    },
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sqlText: string): SQLite.Statement {
      const found = statements.get(sqlText);
      if (found) {
        // Map keeps insertion order: re-inserting marks it most recently used.
        statements.delete(sqlText);
        statements.set(sqlText, found);
        return found;
      }
      const prepared = database.prepare(sqlText);
      statements.set(sqlText, prepared);
      if (statements.size > capacity) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return prepared;
    },
  };
}
