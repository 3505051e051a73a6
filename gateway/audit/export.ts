/**
 * `interlock audit export`: the records of a range and the checkpoints that end inside it, as JSON
 * lines.
 */
import type { Db } from '../store/db.ts';
import { rowToCheckpoint } from './checkpoint.ts';
import type { ExportRecord } from './sources.ts';
import { checkpointsEndingIn, recordsAfter } from '../store/audit-log.ts';

export interface ExportRange {
  from?: number;
  to?: number;
}

/**
 * Yields one JSON line per checkpoint, then per record. Only checkpoints whose range ends inside
 * the export are included: their signed chain head vouches for every exported record before it,
 * and a verifier can then tell a truncated file from a shorter range.
 */
export async function* exportAudit(
  db: Db,
  range: ExportRange = {},
  pageSize = 5000,
): AsyncGenerator<string> {
  const from = range.from ?? 1;
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  const cps = await checkpointsEndingIn(db, from, to);
  for (const row of cps) {
    const cp = rowToCheckpoint(row);
    yield JSON.stringify({ kind: 'checkpoint', body: cp.body, bundle: cp.bundle });
  }
  let after = from - 1;
  for (;;) {
    const rows = await recordsAfter(db, after, pageSize, to);
    if (rows.length === 0) return;
    for (const r of rows) {
      const line: ExportRecord = {
        kind: 'record',
        seq: Number(r.seq),
        ts: r.ts,
        type: r.type,
        action_id: r.action_id,
        actor: r.actor,
        payload: JSON.parse(r.payload) as Record<string, unknown>,
        prev_hash: r.prev_hash,
        hash: r.hash,
      };
      yield JSON.stringify(line);
    }
    after = Number(rows[rows.length - 1]!.seq);
  }
}
