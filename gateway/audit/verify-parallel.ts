/**
 * The same verification as verifyLog, spread over worker threads for large SQLite logs. Each
 * record's own hash check is independent of the others, so workers check ranges on their own
 * connections; this thread joins the ranges, rebuilds each checkpoint's Merkle root and
 * checks the signatures. Only a clean log takes this path to the end: at the first sign of
 * trouble the sequential verifier runs and names the first bad record exactly as it would
 * have alone.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RawSqlite } from '../store/audit-raw.ts';
import type { Db } from '../store/db.ts';
import type { TrustPolicy } from '../signing/verify.ts';
import { GENESIS_HASH } from './chain.ts';
import { merkleRoot } from './merkle.ts';
import { databaseSource } from './sources.ts';
import {
  checkCheckpoints,
  judgeCoverage,
  verifyLog,
  type LogReport,
  type VerifyOptions,
} from './verify-log.ts';
import type { RangeResult, RangeTask } from './verify-worker.ts';

export interface ParallelOptions extends VerifyOptions {
  /** Below this many records the threads cost more than they save. */
  minRecords?: number;
  workers?: number;
  chunk?: number;
}

/** Workers run the TypeScript module through tsx's loader, as the CLI does. */
function spawn(): Worker {
  const loader = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./verify-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(loader)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true },
  );
}

async function runPool(tasks: RangeTask[], workers: number): Promise<RangeResult[]> {
  const pool = Array.from({ length: Math.min(workers, tasks.length) }, spawn);
  const results: RangeResult[] = new Array<RangeResult>(tasks.length);
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = (): void => {
              if (next >= tasks.length) return resolve();
              const i = next++;
              w.once('message', (r: RangeResult) => {
                results[i] = r;
                give();
              });
              w.postMessage(tasks[i]);
            };
            w.once('error', reject);
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}

export async function verifyLogParallel(
  file: string,
  db: Db,
  sqlite: RawSqlite,
  trust: TrustPolicy,
  options: ParallelOptions = {},
): Promise<LogReport> {
  const sequential = (): Promise<LogReport> =>
    verifyLog(databaseSource(db, { sqlite }), trust, options);
  const { head, below, rows } = sqlite
    .prepare(
      'SELECT COALESCE(MAX(seq), 0) AS head, COUNT(*) FILTER (WHERE seq < 1) AS below, COUNT(*) AS rows FROM audit_log',
    )
    .get() as { head: number; below: number; rows: number };
  // Anything but exactly the records 1..head is for the sequential walk to name.
  if (below > 0 || rows !== head) return sequential();
  const workers = options.workers ?? Math.max(1, Math.min(availableParallelism(), 4));
  if (head < (options.minRecords ?? 50_000) || workers < 2) return sequential();

  const { valid, failure } = checkCheckpoints(await databaseSource(db).checkpoints(), trust, true);
  const last = valid[valid.length - 1];
  if (failure || (last && last.body.to_seq > head)) return sequential();

  const chunk = options.chunk ?? 20_000;
  const tasks: RangeTask[] = [];
  for (let from = 1; from <= head; from += chunk)
    tasks.push({ file, from, to: Math.min(head, from + chunk - 1) });
  const results = await runPool(tasks, workers);

  const leaves = Buffer.allocUnsafe(32 * head);
  const hashes = Buffer.allocUnsafe(32 * head);
  for (const [k, r] of results.entries()) {
    if (!r.clean) return sequential();
    const expectedPrev =
      k === 0 ? GENESIS_HASH : hashes.toString('hex', 32 * (r.from - 2), 32 * (r.from - 1));
    if (r.firstPrev !== expectedPrev) return sequential();
    Buffer.from(r.leaves).copy(leaves, 32 * (r.from - 1));
    Buffer.from(r.hashes).copy(hashes, 32 * (r.from - 1));
  }
  for (const cp of valid) {
    const b = cp.body;
    const range: Buffer[] = [];
    for (let s = b.from_seq; s <= b.to_seq; s++) range.push(leaves.subarray(32 * (s - 1), 32 * s));
    const headAt = hashes.toString('hex', 32 * (b.to_seq - 1), 32 * b.to_seq);
    if (headAt !== b.chain_head || merkleRoot(range).toString('hex') !== b.root)
      return sequential();
  }
  const signedThrough = last?.body.to_seq ?? 0;
  const tail =
    head > signedThrough
      ? (sqlite.prepare('SELECT ts FROM audit_log WHERE seq = ?').get(signedThrough + 1) as
          { ts: string } | undefined)
      : undefined;
  const report: LogReport = {
    ok: true,
    records: head,
    firstSeq: 1,
    lastSeq: head,
    checkpoints: valid.length,
    signedThrough,
    unsignedTail: head - signedThrough,
    ...(tail ? { tailStartsAt: tail.ts, tailLinked: signedThrough > 0 } : {}),
    head: hashes.toString('hex', 32 * (head - 1), 32 * head),
  };
  return judgeCoverage(report, options);
}
