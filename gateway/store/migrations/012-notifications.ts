/**
 * Notifications: the outbox (written in the transaction of the audit record it comes from) and
 * one delivery row per event and sink, which the worker retries until delivered or given up.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('notification_outbox')
    // `audit-<seq>` for events from audit records, `expiring-<action id>` for clock events.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('audit_seq', 'bigint')
    .addColumn('action_id', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    // 0 until the worker has composed the notification and created its deliveries.
    .addColumn('fanned_out', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('body', 'text')
    .execute();
  await db.schema
    .createIndex('notification_outbox_fanout')
    .on('notification_outbox')
    .columns(['fanned_out', 'at'])
    .execute();
  await db.schema
    .createTable('notification_deliveries')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('sink', 'text', (c) => c.notNull())
    // pending, delivered or dead (given up after notifications.retry.giveUpAfterMs).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_at', 'bigint', (c) => c.notNull())
    // A worker that claimed the delivery; another replica leaves it alone until this passes.
    .addColumn('claimed_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addPrimaryKeyConstraint('notification_deliveries_pk', ['event_id', 'sink'])
    .execute();
  await db.schema
    .createIndex('notification_deliveries_due')
    .on('notification_deliveries')
    .columns(['status', 'next_at'])
    .execute();
}
