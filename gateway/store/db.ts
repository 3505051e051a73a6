/**
 * Opens the database: SQLite (WAL) by default, PostgreSQL when the URL says so, and brings
 * the schema up to date with Kysely's Migrator.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import { InterlockError } from '../schema/errors.ts';
import type { Dialect } from './dialect.ts';
import { migrationProvider } from './migrations/index.ts';
import { AuditStampCarrier, type AuditStamper } from './audit-stamp.ts';
import { cachingStatements } from './statement-cache.ts';
import type { Database } from './types.ts';

export type Db = Kysely<Database>;

export interface OpenedDb {
  db: Db;
  dialect: Dialect;
  /**
   * The SQLite handle, for bulk reads by one-shot tools (verify, evidence) where Kysely's row
   * objects cost too much; it bypasses Kysely's connection queue, so never while the gateway runs
   * on it.
   */
  sqlite?: SQLite.Database;
  /** PostgreSQL: the connection pool (the event relay sends its NOTIFYs through it). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** SQLite's synchronous setting (config database.synchronous); default full. */
  synchronous?: 'full' | 'normal';
  /**
   * SQLite: open only a database that is already there (tools that read one the gateway wrote);
   * otherwise a mistyped path would open a new, empty one.
   */
  mustExist?: boolean;
  /** PostgreSQL: an idle pooled connection failed (the server went away); informational. */
  onIdleError?: (err: Error) => void;
  /** Stamps every audit record written through this connection (audit-stamp.ts). */
  auditStamper?: AuditStamper;
}

/** openDatabase accepts `sqlite:<path>`, a bare file path, or `postgres://…`. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<OpenedDb> {
  const dialect: Dialect = /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
  let db: Db;
  let sqlite: SQLite.Database | undefined;
  let pgPool: pg.Pool | undefined;
  if (dialect === 'postgres') {
    // int8 columns hold epoch milliseconds, well inside the safe integer range.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
    // An idle connection the server drops (restart, failover, admin kill) must not crash the
    // process: the pool discards it and the next query opens a new one.
    pool.on('error', (err) => options.onIdleError?.(err));
    // …and neither may a connection lost while checked out between two queries: pg emits that
    // on the client, where nobody listens. The query in flight (if any) still fails and answers
    // 503.
    pool.on('connect', (client) => client.on('error', (err) => options.onIdleError?.(err)));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    pgPool = pool;
  } else {
    const file = url.replace(/^sqlite:/, '');
    if (options.mustExist && (file === ':memory:' || !existsSync(file)))
      throw new InterlockError('not_found', `no audit database at ${file}`, { field: 'database' });
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before it returns, so what the gateway acknowledged survives a
    // power loss; group commit (group-commit.ts) shares that sync between requests.
    sqlite.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // INSERT OR REPLACE deletes the row it replaces; without this the delete trigger stays silent.
    sqlite.pragma('recursive_triggers = ON');
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    });
  }
  await migrate(db, dialect);
  if (options.auditStamper) db = db.withPlugin(new AuditStampCarrier(options.auditStamper));
  return {
    db,
    dialect,
    ...(sqlite ? { sqlite } : {}),
    ...(pgPool ? { pool: pgPool } : {}),
    close: () => db.destroy(),
  };
}

export async function migrate(db: Db, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new InterlockError(
      'internal',
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Whether the database answers a trivial query. */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
