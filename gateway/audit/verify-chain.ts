/** Walks the stored chain and reports the first record whose hash or link does not hold. */
import type { Db } from '../store/db.ts';
import { GENESIS_HASH, recordHash } from './chain.ts';
import { recordsFrom } from '../store/audit-log.ts';

export type ChainReport =
  | { ok: true; records: number; head: string }
  | { ok: false; records: number; seq: number; problem: string };

export async function verifyChain(db: Db, pageSize = 1000): Promise<ChainReport> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (;;) {
    const rows = await recordsFrom(db, expectedSeq, pageSize);
    if (rows.length === 0) return { ok: true, records: expectedSeq - 1, head: prev };
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq)
        return {
          ok: false,
          records: expectedSeq - 1,
          seq: expectedSeq,
          problem: `record ${expectedSeq} is missing`,
        };
      if (row.prev_hash !== prev)
        return {
          ok: false,
          records: seq - 1,
          seq,
          problem: `record ${seq} does not link to record ${seq - 1}`,
        };
      const hash = recordHash(prev, {
        seq,
        ts: row.ts,
        type: row.type,
        action_id: row.action_id,
        actor: row.actor,
        payload: JSON.parse(row.payload) as Record<string, unknown>,
      });
      if (hash !== row.hash)
        return {
          ok: false,
          records: seq - 1,
          seq,
          problem: `record ${seq} was modified (hash mismatch)`,
        };
      prev = row.hash;
      expectedSeq++;
    }
  }
}
