/**
 * Reads of the audit log for people: an action's trail, a time window. Only records in the chain
 * (seq ≥ 1).
 */
import type { Conn } from './conn.ts';

/**
 * The chain's first sequence number. Readers (the API, the console, evidence, governance)
 * read only records at or after it: a row written below it by hand is not in the chain, and
 * `audit verify` fails on it.
 */
export const FIRST_SEQ = 1;

export interface AuditLine {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  actionId: string | null;
  payload: Record<string, unknown>;
}

const line = (r: {
  seq: number;
  ts: string;
  type: string;
  actor: string;
  action_id: string | null;
  payload: string;
}): AuditLine => ({
  seq: Number(r.seq),
  ts: r.ts,
  type: r.type,
  actor: r.actor,
  actionId: r.action_id,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
});

export async function trailOf(db: Conn, actionId: string): Promise<AuditLine[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['seq', 'ts', 'type', 'actor', 'action_id', 'payload'])
    .where('action_id', '=', actionId)
    .where('seq', '>=', FIRST_SEQ)
    .orderBy('seq')
    .execute();
  return rows.map(line);
}

export async function recordsSince(db: Conn, fromIso: string, limit: number): Promise<AuditLine[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['seq', 'ts', 'type', 'actor', 'action_id', 'payload'])
    .where('ts', '>=', fromIso)
    .where('seq', '>=', FIRST_SEQ)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(line);
}

/**
 * A page of the records in a window (seq bounds inclusive-exclusive as given, times as ISO
 * text, which sorts as time), after `afterSeq`, in order: reports read a window page by page.
 */
export async function recordsInWindow(
  db: Conn,
  window: { fromSeq?: number; toSeq?: number; fromIso?: string; toIso?: string },
  afterSeq: number,
  limit: number,
): Promise<AuditLine[]> {
  let q = db
    .selectFrom('audit_log')
    .select(['seq', 'ts', 'type', 'actor', 'action_id', 'payload'])
    .where('seq', '>', Math.max(afterSeq, FIRST_SEQ - 1));
  if (window.fromSeq !== undefined) q = q.where('seq', '>=', window.fromSeq);
  if (window.toSeq !== undefined) q = q.where('seq', '<', window.toSeq);
  if (window.fromIso !== undefined) q = q.where('ts', '>=', window.fromIso);
  if (window.toIso !== undefined) q = q.where('ts', '<', window.toIso);
  const rows = await q.orderBy('seq').limit(limit).execute();
  return rows.map(line);
}
