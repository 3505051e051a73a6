/**
 * Appends to the audit log inside the caller's transaction, so a state change and its record
 * commit or roll back together. The single audit_head row is moved first: on PostgreSQL that
 * row lock orders concurrent appenders; SQLite serialises writers anyway.
 */
import { canonicalJson } from '../schema/canonical-json.ts';
import { reserveSeqs, writeRecords } from '../store/audit-log.ts';
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
  const head = await reserveSeqs(trx, entries.length);
  let seq = head.seq - entries.length;
  let prev = head.hash;
  const out: (AuditRecord & { hash: string })[] = [];
  const rows = entries.map((entry) => {
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
  return out;
}
