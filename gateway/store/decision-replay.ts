/**
 * Recorded decisions for replay, read from the audit log (the signed record of what was
 * decided) in sequence order, each with the input its decisions row kept.
 */
import type { Conn } from './conn.ts';

export const DECISION_RECORD_TYPES = [
  'decision.proposal',
  'decision.recheck',
  'decision.dry_run',
] as const;

/** A window of the log: sequence numbers and/or times, lower bounds inclusive, upper exclusive. */
export interface LogWindow {
  fromSeq?: number;
  toSeq?: number;
  /** Epoch milliseconds. */
  fromTime?: number;
  toTime?: number;
}

export interface RecordedDecision {
  seq: number;
  ts: string;
  type: string;
  actionId: string | null;
  /** The audit record's payload, parsed; undefined when it is not a JSON object. */
  payload: Record<string, unknown> | undefined;
  /** The decisions row's input text; null when not kept, undefined when the row is missing. */
  input: string | null | undefined;
}

/**
 * recordedDecisions yields the window's decision records page by page. Each page is one query on
 * the log's (type, seq) index and one lookup of the decision rows by id, so memory stays at a
 * page whatever the window.
 */
export async function* recordedDecisions(
  db: Conn,
  window: LogWindow,
  pageSize = 2_000,
): AsyncGenerator<RecordedDecision[]> {
  let after = window.fromSeq !== undefined ? window.fromSeq - 1 : Number.MIN_SAFE_INTEGER;
  for (;;) {
    let query = db
      .selectFrom('audit_log')
      .select(['seq', 'ts', 'type', 'action_id', 'payload'])
      .where('type', 'in', [...DECISION_RECORD_TYPES])
      .where('seq', '>', after);
    if (window.toSeq !== undefined) query = query.where('seq', '<', window.toSeq);
    if (window.fromTime !== undefined)
      query = query.where('ts', '>=', new Date(window.fromTime).toISOString());
    if (window.toTime !== undefined)
      query = query.where('ts', '<', new Date(window.toTime).toISOString());
    const rows = await query.orderBy('seq').limit(pageSize).execute();
    if (rows.length === 0) return;
    const payloads = rows.map((r) => parsedObject(r.payload));
    const ids = payloads
      .map((p) => (typeof p?.decision_id === 'string' ? p.decision_id : undefined))
      .filter((id): id is string => !!id);
    const inputs = new Map<string, string | null>();
    if (ids.length > 0) {
      const found = await db
        .selectFrom('decisions')
        .select(['id', 'input'])
        .where('id', 'in', ids)
        .execute();
      for (const f of found) inputs.set(f.id, f.input);
    }
    yield rows.map((r, i) => {
      const payload = payloads[i];
      const id = typeof payload?.decision_id === 'string' ? payload.decision_id : undefined;
      return {
        seq: Number(r.seq),
        ts: r.ts,
        type: r.type,
        actionId: r.action_id,
        payload,
        input: id !== undefined && inputs.has(id) ? inputs.get(id) : undefined,
      };
    });
    after = Number(rows[rows.length - 1]!.seq);
  }
}

function parsedObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
