/** Signed audit checkpoints: one row per signed Merkle root over a range of the audit log. */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './001-initial.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('idx', 'bigint', (c) => c.primaryKey())
    .addColumn('from_seq', 'bigint', (c) => c.notNull())
    .addColumn('to_seq', 'bigint', (c) => c.notNull().unique())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('chain_head', 'text', (c) => c.notNull())
    /** The signed artifact: the checkpoint body as RFC 8785 canonical JSON. */
    .addColumn('body', 'text', (c) => c.notNull())
    /** The Sigstore bundle (JSON) over `body`. */
    .addColumn('bundle', 'text', (c) => c.notNull())
    .addColumn('signer', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  if (dialect === 'sqlite') {
    for (const op of ['UPDATE', 'DELETE']) {
      await sql
        .raw(`CREATE TRIGGER audit_checkpoints_no_${op.toLowerCase()} BEFORE ${op} ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`)
        .execute(db);
    }
    await sql
      .raw(`CREATE TRIGGER audit_checkpoints_append_at_head BEFORE INSERT ON audit_checkpoints WHEN NEW.idx <= (SELECT COALESCE(MAX(idx), 0) FROM audit_checkpoints) BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END`)
      .execute(db);
  } else {
    await sql`CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
    await sql`CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
  }
}
