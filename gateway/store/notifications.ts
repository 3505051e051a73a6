/** The notification outbox and its deliveries (migration 012). */
import { sql } from 'kysely';
import type { Conn, Tx } from './conn.ts';
import type { NotificationDeliveriesTable, NotificationOutboxTable } from './types.ts';

export type OutboxRow = NotificationOutboxTable;
export type DeliveryRow = NotificationDeliveriesTable;

/** Adds events; an id already there is left as it is (a clock event is raised once). */
export async function insertOutbox(trx: Conn | Tx, rows: readonly OutboxRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await trx
      .insertInto('notification_outbox')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}

/** Events not yet composed and routed, oldest first. */
export async function unroutedEvents(db: Conn, limit: number): Promise<OutboxRow[]> {
  const rows = await db
    .selectFrom('notification_outbox')
    .selectAll()
    .where('fanned_out', '=', 0)
    .orderBy('at')
    .limit(limit)
    .execute();
  return rows.map(numbersOfOutbox);
}

/**
 * Stores an event's composed body and creates its deliveries, once: a replica that routed it
 * first wins, and the second finds `fanned_out` already set and adds nothing.
 */
export async function routeEvent(
  trx: Tx,
  id: string,
  body: string,
  deliveries: readonly DeliveryRow[],
): Promise<boolean> {
  const marked = await trx
    .updateTable('notification_outbox')
    .set({ fanned_out: 1, body })
    .where('id', '=', id)
    .where('fanned_out', '=', 0)
    .executeTakeFirst();
  if (Number(marked.numUpdatedRows) !== 1) return false;
  if (deliveries.length > 0)
    await trx
      .insertInto('notification_deliveries')
      .values([...deliveries])
      .onConflict((oc) => oc.columns(['event_id', 'sink']).doNothing())
      .execute();
  return true;
}

export interface DueDelivery extends DeliveryRow {
  body: string;
}

/**
 * One sink's pending deliveries whose time has come and that no live claim holds, oldest first.
 * Per sink, so a sink with a backlog it cannot clear never hides another sink's deliveries.
 */
export async function dueDeliveries(
  db: Conn,
  sink: string,
  now: number,
  limit: number,
): Promise<DueDelivery[]> {
  const rows = await db
    .selectFrom('notification_deliveries as d')
    .innerJoin('notification_outbox as o', 'o.id', 'd.event_id')
    .selectAll('d')
    .select('o.body')
    .where('d.sink', '=', sink)
    .where('d.status', '=', 'pending')
    .where('d.next_at', '<=', now)
    .where((eb) => eb.or([eb('d.claimed_until', 'is', null), eb('d.claimed_until', '<=', now)]))
    .orderBy('d.next_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...numbersOfDelivery(r), body: r.body ?? '{}' }));
}

/** Claims a delivery for one attempt; false when another worker holds or finished it. */
export async function claimDelivery(
  db: Conn,
  key: { event_id: string; sink: string },
  now: number,
  until: number,
): Promise<boolean> {
  const r = await db
    .updateTable('notification_deliveries')
    .set({ claimed_until: until })
    .where('event_id', '=', key.event_id)
    .where('sink', '=', key.sink)
    .where('status', '=', 'pending')
    // Not before its backoff, even when another replica's list said it was due.
    .where('next_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Records an attempt's outcome, only while this worker's claim (`claim`, the claimed_until it
 * wrote) still holds: a late answer cannot undo another replica's delivery.
 */
export async function finishAttempt(
  db: Conn,
  key: { event_id: string; sink: string },
  claim: number,
  outcome:
    | { ok: true; at: number; attempts: number }
    | { ok: false; attempts: number; nextAt: number; error: string; dead: boolean },
): Promise<void> {
  await db
    .updateTable('notification_deliveries')
    .set(
      outcome.ok
        ? {
            status: 'delivered',
            delivered_at: outcome.at,
            attempts: outcome.attempts,
            claimed_until: null,
          }
        : {
            status: outcome.dead ? 'dead' : 'pending',
            attempts: outcome.attempts,
            next_at: outcome.nextAt,
            last_error: outcome.error,
            claimed_until: null,
          },
    )
    .where('event_id', '=', key.event_id)
    .where('sink', '=', key.sink)
    .where('status', '=', 'pending')
    .where('claimed_until', '=', claim)
    .execute();
}

export interface SinkCounts {
  sink: string;
  pending: number;
  delivered: number;
  dead: number;
  /** The latest failure's message, while the sink has pending or dead deliveries. */
  lastError: string | null;
}

/** Deliveries by sink and status, for the Status page and the metrics. */
export async function deliveryCounts(db: Conn): Promise<SinkCounts[]> {
  const rows = await db
    .selectFrom('notification_deliveries')
    .select(['sink', 'status'])
    .select((eb) => eb.fn.countAll().as('n'))
    .groupBy(['sink', 'status'])
    .execute();
  const bySink = new Map<string, SinkCounts>();
  for (const r of rows) {
    const c = bySink.get(r.sink) ?? {
      sink: r.sink,
      pending: 0,
      delivered: 0,
      dead: 0,
      lastError: null,
    };
    c[r.status] = Number(r.n);
    bySink.set(r.sink, c);
  }
  for (const c of bySink.values()) {
    if (c.pending + c.dead === 0) continue;
    const last = await db
      .selectFrom('notification_deliveries')
      .select('last_error')
      .where('sink', '=', c.sink)
      .where('status', 'in', ['pending', 'dead'])
      .where('last_error', 'is not', null)
      .orderBy('next_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    c.lastError = last?.last_error ?? null;
  }
  return [...bySink.values()].sort((a, b) => a.sink.localeCompare(b.sink));
}

/** Pending approvals that expire within (now, now + horizon], for approval.expiring. */
export async function approvalsExpiringBy(
  db: Conn,
  now: number,
  horizon: number,
  limit: number,
): Promise<{ id: string; expires_at: number }[]> {
  const rows = await db
    .selectFrom('actions')
    .select(['id', 'expires_at'])
    .where('status', '=', 'PENDING_APPROVAL')
    .where('expires_at', '>', now)
    .where('expires_at', '<=', now + horizon)
    // Not those already warned about: otherwise the first `limit` would hide the rest for good.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('notification_outbox as o')
            .select('o.id')
            .whereRef('o.id', '=', sql<string>`'expiring-' || actions.id`),
        ),
      ),
    )
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, expires_at: Number(r.expires_at) }));
}

/**
 * Forgets, once older than `before`: finished deliveries, pending ones of sinks no longer
 * configured, and events with no delivery left (routed, or never routed: no replica had sinks).
 */
export async function pruneNotifications(
  db: Conn,
  before: number,
  configuredSinks: readonly string[],
): Promise<void> {
  await db
    .deleteFrom('notification_deliveries')
    .where('created_at', '<', before)
    .where((eb) =>
      configuredSinks.length > 0
        ? eb.or([eb('status', '!=', 'pending'), eb('sink', 'not in', [...configuredSinks])])
        : eb.lit(true),
    )
    .execute();
  await db
    .deleteFrom('notification_outbox')
    .where('at', '<', before)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('notification_deliveries as d')
            .select('d.event_id')
            .whereRef('d.event_id', '=', 'notification_outbox.id'),
        ),
      ),
    )
    .execute();
}

function numbersOfOutbox(r: OutboxRow): OutboxRow {
  return { ...r, audit_seq: r.audit_seq === null ? null : Number(r.audit_seq), at: Number(r.at) };
}

function numbersOfDelivery(r: DeliveryRow): DeliveryRow {
  return {
    ...r,
    next_at: Number(r.next_at),
    created_at: Number(r.created_at),
    claimed_until: r.claimed_until === null ? null : Number(r.claimed_until),
    delivered_at: r.delivered_at === null ? null : Number(r.delivered_at),
  };
}
