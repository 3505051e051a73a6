/** Filtered, paged reads of the audit log. */
import { FIRST_SEQ } from './audit-reads.ts';
import type { Conn } from './conn.ts';

export interface AuditQuery {
  action_id?: string;
  actor?: string;
  type?: string;
  from?: string;
  to?: string;
  cursor?: number;
  limit: number;
}

/** A stored record: the hashed fields plus its links in the chain. */
export interface AuditRecordView {
  seq: number;
  ts: string;
  type: string;
  action_id: string | null;
  actor: string;
  payload: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export async function queryAudit(
  db: Conn,
  query: AuditQuery,
): Promise<{ records: AuditRecordView[]; nextCursor: number | null }> {
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>=', Math.max((query.cursor ?? 0) + 1, FIRST_SEQ));
  if (query.action_id) q = q.where('action_id', '=', query.action_id);
  if (query.actor) q = q.where('actor', '=', query.actor);
  if (query.type) q = q.where('type', '=', query.type);
  // Timestamps are stored as ISO-8601 UTC strings, which sort as text.
  if (query.from) q = q.where('ts', '>=', new Date(query.from).toISOString());
  if (query.to) q = q.where('ts', '<', new Date(query.to).toISOString());
  const rows = await q
    .orderBy('seq')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    records: page.map((r) => ({
      ...r,
      seq: Number(r.seq),
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    })),
    nextCursor: rows.length > query.limit ? Number(page.at(-1)?.seq ?? 0) : null,
  };
}
