/**
 * Appends to the audit log inside the caller's transaction, so a state change and its record
 * commit or roll back together. The single audit_head row is updated first: on PostgreSQL
 * that row lock orders concurrent appenders; SQLite serialises writers anyway.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../store/types.ts';
import { recordHash, type AuditRecord } from './chain.ts';
import { canonicalJson } from '../schema/canonical-json.ts';

export interface AuditEntry {
  type: string;
  actionId?: string | null;
  actor: string;
  payload: Record<string, unknown>;
  /** Epoch milliseconds; defaults to now. */
  at?: number;
}

export type Tx = Transaction<Database>;

export async function appendAudit(trx: Tx, entry: AuditEntry): Promise<AuditRecord & { hash: string }> {
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  // JSON round trip drops undefined fields, so the stored payload is exactly what was hashed.
  const payload = JSON.parse(canonicalJson(entry.payload)) as Record<string, unknown>;
  const record: AuditRecord = {
    seq: Number(head.seq),
    ts: new Date(entry.at ?? Date.now()).toISOString(),
    type: entry.type,
    action_id: entry.actionId ?? null,
    actor: entry.actor,
    payload,
  };
  const hash = recordHash(head.hash, record);
  await trx
    .insertInto('audit_log')
    .values({ ...record, payload: canonicalJson(payload), prev_hash: head.hash, hash })
    .execute();
  await trx.updateTable('audit_head').set({ hash }).where('id', '=', 1).execute();
  return { ...record, hash };
}

/**
 * Appends several records in one statement: the head is read and moved once, the hashes are
 * chained in memory. For transactions that record many things at once (an emergency stop
 * cancelling every pending action, a batch); same chain, same order as one appendAudit each.
 */
export async function appendAuditMany(trx: Tx, entries: readonly AuditEntry[]): Promise<(AuditRecord & { hash: string })[]> {
  if (entries.length === 0) return [];
  const head = await trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', entries.length) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  let seq = Number(head.seq) - entries.length;
  let prev = head.hash;
  const out: (AuditRecord & { hash: string })[] = [];
  const rows = entries.map((entry) => {
    const payloadText = canonicalJson(entry.payload);
    const record: AuditRecord = { seq: ++seq, ts: new Date(entry.at ?? Date.now()).toISOString(), type: entry.type, action_id: entry.actionId ?? null, actor: entry.actor, payload: JSON.parse(payloadText) as Record<string, unknown> };
    const hash = recordHash(prev, record);
    const row = { ...record, payload: payloadText, prev_hash: prev, hash };
    prev = hash;
    out.push({ ...record, hash });
    return row;
  });
  // SQLite caps bound parameters per statement; 8 columns × 500 rows stays well inside it.
  for (let i = 0; i < rows.length; i += 500) await trx.insertInto('audit_log').values(rows.slice(i, i + 500)).execute();
  await trx.updateTable('audit_head').set({ hash: prev }).where('id', '=', 1).execute();
  return out;
}
