/**
 * Opens the database: SQLite (WAL) by default, PostgreSQL when the URL says so, and brings
 * the schema up to date with Kysely's Migrator.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { InterlockError } from '../schema/errors.ts';
import { migrationProvider, type Dialect } from './migrations/index.ts';
import type { Database } from './types.ts';

export type Db = Kysely<Database>;

export interface OpenedDb {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** openDatabase accepts `sqlite:<path>`, a bare file path, or `postgres://…`. */
export async function openDatabase(url: string): Promise<OpenedDb> {
  const dialect: Dialect = /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
  let db: Db;
  if (dialect === 'postgres') {
    // int8 columns hold epoch milliseconds, well inside the safe integer range.
    pg.types.setTypeParser(20, (v) => Number(v));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) }) });
  } else {
    const file = url.replace(/^sqlite:/, '');
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // INSERT OR REPLACE deletes the row it replaces; without this the delete trigger stays silent.
    sqlite.pragma('recursive_triggers = ON');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  await migrate(db, dialect);
  return { db, dialect, close: () => db.destroy() };
}

export async function migrate(db: Db, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new InterlockError('internal', `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
