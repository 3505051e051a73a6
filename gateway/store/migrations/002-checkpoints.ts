/** Signed audit checkpoints: one row per signed Merkle root over a range of the audit log. */
import type { Kysely } from 'kysely';
import { appendOnly } from './append-only.ts';
import type { Dialect } from '../dialect.ts';

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

  await appendOnly(db, dialect, 'audit_checkpoints', 'idx');
}
