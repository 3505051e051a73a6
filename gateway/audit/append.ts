/**
 * Appends to the audit log inside the caller's transaction, so a state change and its record
 * commit or roll back together. The single audit_head row is moved first: on PostgreSQL that
 * row lock orders concurrent appenders; SQLite serialises writers anyway.
 */
import { canonicalJson } from '../schema/canonical-json.ts';
import { notifyEventOfAudit } from '../schema/notification.ts';
import { auditStamperOf } from '../store/audit-stamp.ts';
import { reserveSeqs, writeRecords } from '../store/audit-log.ts';
import { insertOutbox, type OutboxRow } from '../store/notifications.ts';
import type { Tx } from '../store/conn.ts';
import { recordHash, type AuditRecord } from './chain.ts';

export type { Tx };

export interface AuditEntry {
  type: string;
  actionId?: string | null;
  actor: string;
  payload: Record<string, unknown>;
  /** Epoch milliseconds; defaults to now. */
  at?: number;
}

export async function appendAudit(
  trx: Tx,
  entry: AuditEntry,
): Promise<AuditRecord & { hash: string }> {
  const [record] = await appendAuditMany(trx, [entry]);
  return record!;
}

/**
 * Appends several records: the head is read and moved once, the hashes are chained in memory.
 * For transactions that record many things at once (an emergency stop cancelling every
 * pending action, a batch); same chain, same order as one appendAudit each.
 */
export async function appendAuditMany(
  trx: Tx,
  entries: readonly AuditEntry[],
): Promise<(AuditRecord & { hash: string })[]> {
  if (entries.length === 0) return [];
  const stamped = await stampEntries(trx, entries);
  const head = await reserveSeqs(trx, entries.length);
  let seq = head.seq - entries.length;
  let prev = head.hash;
  const out: (AuditRecord & { hash: string })[] = [];
  const rows = stamped.map((entry) => {
    // JSON round trip drops undefined fields, so the stored payload is exactly what was hashed.
    const payloadText = canonicalJson(entry.payload);
    const record: AuditRecord = {
      seq: ++seq,
      ts: new Date(entry.at ?? Date.now()).toISOString(),
      type: entry.type,
      action_id: entry.actionId ?? null,
      actor: entry.actor,
      payload: JSON.parse(payloadText) as Record<string, unknown>,
    };
    const hash = recordHash(prev, record);
    const row = { ...record, payload: payloadText, prev_hash: prev, hash };
    prev = hash;
    out.push({ ...record, hash });
    return row;
  });
  await writeRecords(trx, rows, prev);
  await insertOutbox(trx, outboxRowsOf(out));
  return out;
}

/**
 * Marks the entries made during a declared unattended window (the radio station's lights-out
 * mode wants the marker on every log entry): `unattended: true` in the payload, so it is hashed
 * and signed with the rest of the record. Nothing is added outside a window.
 */
async function stampEntries(trx: Tx, entries: readonly AuditEntry[]): Promise<AuditEntry[]> {
  const stamper = auditStamperOf(trx);
  const out: AuditEntry[] = [];
  for (const entry of entries) {
    // Only the stamper says a record is unattended: a payload cannot bring the marker along.
    const plain = 'unattended' in entry.payload ? withoutMarker(entry) : entry;
    const payload = plain.payload;
    if (!stamper) {
      out.push(plain);
      continue;
    }
    // The time is fixed here, so the record's time is the one the window was checked at.
    const at = entry.at ?? Date.now();
    const target = payload.target;
    const unattended = await stamper.unattended(trx, {
      target: typeof target === 'string' ? target : null,
      actionId: entry.actionId ?? null,
      at,
    });
    out.push({ ...plain, at, payload: unattended ? { ...payload, unattended: true } : payload });
  }
  return out;
}

function withoutMarker(entry: AuditEntry): AuditEntry {
  const { unattended: _forged, ...payload } = entry.payload;
  return { ...entry, payload };
}

/**
 * The notifiable records' outbox rows, written in the same transaction: a notification exists
 * exactly when its record does, and the worker (notify/worker.ts) delivers it after the commit,
 * off the request path.
 */
function outboxRowsOf(records: readonly AuditRecord[]): OutboxRow[] {
  const rows: OutboxRow[] = [];
  for (const r of records) {
    const event = notifyEventOfAudit(r.type);
    if (!event) continue;
    rows.push({
      id: `audit-${r.seq}`,
      event,
      audit_seq: r.seq,
      action_id: r.action_id,
      at: Date.parse(r.ts),
      fanned_out: 0,
      body: null,
    });
  }
  return rows;
}
