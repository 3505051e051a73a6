/**
 * The initial schema. Written once for both dialects: column types are the portable subset
 * (text, bigint, integer, double precision), and only the audit log's append-only triggers
 * differ between SQLite and PostgreSQL.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { appendOnly } from './append-only.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('rationale', 'text')
    .addColumn('confidence', 'double precision')
    .addColumn('proposer', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_digest', 'text', (c) => c.notNull())
    .addColumn('action_digest', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_reason', 'text')
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text')
    .addColumn('batch_seq', 'integer')
    .addColumn('approvals_required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('approval_roles', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('expires_at', 'bigint')
    .addColumn('veto_deadline', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('approved_at', 'bigint')
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('executor_id', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('outcome', 'text')
    .execute();
  await db.schema
    .createIndex('actions_idempotency')
    .on('actions')
    .columns(['proposer', 'idempotency_key'])
    .unique()
    .execute();
  await db.schema
    .createIndex('actions_status')
    .on('actions')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createIndex('actions_target')
    .on('actions')
    .columns(['target', 'created_at'])
    .execute();
  await db.schema
    .createIndex('actions_batch')
    .on('actions')
    .columns(['batch_id', 'batch_seq'])
    .execute();

  await db.schema
    .createTable('decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('action_id', 'text')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('effect', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('approval', 'text')
    .addColumn('invariants', 'text', (c) => c.notNull())
    .addColumn('retry_after_seconds', 'integer')
    .addColumn('recommendation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('policy_digest', 'text')
    .addColumn('timings', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('decisions_action')
    .on('decisions')
    .columns(['action_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('action_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('action_digest', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // One verdict of each kind per person per action: a second approval cannot count twice.
  await db.schema
    .createIndex('approvals_once')
    .on('approvals')
    .columns(['action_id', 'actor', 'verdict'])
    .unique()
    .execute();

  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('proposer', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('rationale', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('autonomy_levels')
    .addColumn('target', 'text', (c) => c.primaryKey())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('estop')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('engaged', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('actor', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db
    .insertInto('estop' as never)
    .values({ id: 1, engaged: 0, updated_at: 0 } as never)
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('action_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_action')
    .on('audit_log')
    .columns(['action_id', 'seq'])
    .execute();
  await db.schema.createIndex('audit_type').on('audit_log').columns(['type', 'seq']).execute();

  // The chain head: one row, locked by every append, so concurrent writers queue in order.
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('audit_head' as never)
    .values({ id: 1, seq: 0, hash: '0'.repeat(64) } as never)
    .execute();

  if (dialect === 'postgres') {
    // One trigger function for every append-only table; it names the table it guards.
    await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`.execute(
      db,
    );
  }
  await appendOnly(db, dialect, 'audit_log', 'seq');
}
