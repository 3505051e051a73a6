/**
 * Append-only tables: database triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL).
 * On SQLite an insert must also extend the table's key: no gap filled, no key reused.
 * PostgreSQL's trigger function is created once, by the first migration.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function appendOnly(
  db: Kysely<unknown>,
  dialect: Dialect,
  table: string,
  key: string,
): Promise<void> {
  if (dialect === 'sqlite') {
    const refuse = `SELECT RAISE(ABORT, '${table} is append-only')`;
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(
          `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table} BEGIN ${refuse}; END`,
        )
        .execute(db);
    }
    await sql
      .raw(
        `CREATE TRIGGER ${table}_append_at_head BEFORE INSERT ON ${table} WHEN NEW.${key} <= (SELECT COALESCE(MAX(${key}), 0) FROM ${table}) BEGIN ${refuse}; END`,
      )
      .execute(db);
  } else {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_change BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`,
      )
      .execute(db);
  }
}
