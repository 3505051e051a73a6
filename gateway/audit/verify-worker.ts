/**
 * A verification worker: checks one range of a SQLite audit log on its own read-only
 * connection (every record's own hash, the links inside the range, no gaps) and hands back
 * the records' Merkle leaves and chain hashes as transferable bytes. Anything odd is reported
 * as "not clean"; the sequential verifier then names the problem.
 */
import { parentPort } from 'node:worker_threads';
import { openRawReadOnly, rawRecordRange, type RawSqlite } from '../store/audit-raw.ts';
import { chainHash, storedCanonical } from './chain.ts';
import { leafHash } from './merkle.ts';

export interface RangeTask {
  file: string;
  from: number;
  to: number;
}

export type RangeResult =
  | {
      clean: true;
      from: number;
      count: number;
      firstPrev: string;
      leaves: ArrayBuffer;
      hashes: ArrayBuffer;
    }
  | { clean: false; from: number };

let db: RawSqlite | undefined;
let dbFile = '';

export function checkRange(task: RangeTask): RangeResult {
  if (!db || dbFile !== task.file) {
    db?.close();
    db = openRawReadOnly(task.file);
    dbFile = task.file;
  }
  const rows = rawRecordRange(db, task.from, task.to);
  const n = task.to - task.from + 1;
  if (rows.length !== n) return { clean: false, from: task.from };
  const leaves = Buffer.allocUnsafe(32 * n);
  const hashes = Buffer.allocUnsafe(32 * n);
  let prev = rows[0]![6];
  for (let i = 0; i < n; i++) {
    const [seq, ts, type, action_id, actor, payload, prevHash, hash] = rows[i]!;
    if (Number(seq) !== task.from + i || prevHash !== prev)
      return { clean: false, from: task.from };
    const canonical = storedCanonical({ seq: Number(seq), ts, type, action_id, actor, payload });
    if (chainHash(prevHash, canonical) !== hash) return { clean: false, from: task.from };
    leafHash(canonical).copy(leaves, 32 * i);
    hashes.write(hash, 32 * i, 'hex');
    prev = hash;
  }
  return {
    clean: true,
    from: task.from,
    count: n,
    firstPrev: rows[0]![6],
    leaves: leaves.buffer.slice(leaves.byteOffset, leaves.byteOffset + leaves.byteLength),
    hashes: hashes.buffer.slice(hashes.byteOffset, hashes.byteOffset + hashes.byteLength),
  };
}

parentPort?.on('message', (task: RangeTask) => {
  let result: RangeResult;
  try {
    result = checkRange(task);
  } catch {
    result = { clean: false, from: task.from };
  }
  const transfer = result.clean ? [result.leaves, result.hashes] : [];
  parentPort!.postMessage(result, transfer);
});
