/**
 * Audit throughput: durable appends to a SQLite file with the checkpointer signing in the same
 * process (ECDSA P-256, every 1000 records), and full offline verification (chain, Merkle roots,
 * signatures) of the resulting log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { appendAudit, appendAuditMany } from '../gateway/audit/append.ts';
import { Checkpointer } from '../gateway/audit/checkpointer.ts';
import { databaseSource } from '../gateway/audit/sources.ts';
import { verifyLog } from '../gateway/audit/verify-log.ts';
import { verifyLogParallel } from '../gateway/audit/verify-parallel.ts';
import { generateSigningKey, loadSigningKey, loadTrustedKey } from '../gateway/signing/keys.ts';
import { localKeySigner } from '../gateway/signing/signer.ts';
import { openDatabase, type Db, type OpenedDb } from '../gateway/store/db.ts';

const SINGLE = Number(process.env.BENCH_AUDIT_SINGLE ?? 20_000);
const GROUPED = Number(process.env.BENCH_AUDIT_GROUPED ?? 200_000);
const GROUP = 100;

/** A record shaped like the gateway's commonest one, a policy decision. */
const entry = (i: number) => ({
  type: 'decision.proposal',
  actionId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  actor: 'agent-1',
  payload: {
    decision_id: `d-${i}`,
    purpose: 'proposal',
    level: 'L3',
    effect: i % 3 === 0 ? 'deny' : 'require_approval',
    stage: 'policy',
    reasons: ['roaster.set_power needs one operator approval at level L3'],
    rules: ['policy.approval.L3'],
    invariants: [],
    policy_digest: 'f'.repeat(64),
  },
});

export interface AppendRun {
  synchronous: string;
  recordsPerTransaction: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** Appends plus the time to sign the last checkpoint after them. */
  signedRecordsPerSecond: number;
  checkpoints: number;
}

export interface AuditBenchResult {
  appends: AppendRun[];
  verify: { records: number; checkpoints: number; seconds: number; recordsPerSecond: number };
  /** The same check on worker threads (what `audit verify --db sqlite:…` runs). */
  verifyParallel: { workers: number; seconds: number; recordsPerSecond: number };
}

async function appendRun(
  dir: string,
  name: string,
  synchronous: 'NORMAL' | 'FULL',
  count: number,
  perTx: number,
): Promise<{
  run: AppendRun;
  db: Db;
  sqlite: OpenedDb['sqlite'];
  close: () => Promise<void>;
  pub: string;
}> {
  const { db, sqlite, close } = await openDatabase(`sqlite:${path.join(dir, `${name}.db`)}`);
  await sql.raw(`PRAGMA synchronous = ${synchronous}`).execute(db);
  const key = generateSigningKey(path.join(dir, `${name}.key`));
  const checkpointer = new Checkpointer(db, localKeySigner(loadSigningKey(key.privatePath)), {
    every: 1000,
    intervalMs: 10_000,
  });
  await checkpointer.start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i += perTx) {
    await db.transaction().execute(async (trx) => {
      if (perTx === 1) await appendAudit(trx, entry(i));
      else
        await appendAuditMany(
          trx,
          Array.from({ length: Math.min(perTx, count - i) }, (_, k) => entry(i + k)),
        );
    });
  }
  const t1 = process.hrtime.bigint();
  await checkpointer.stop();
  const t2 = process.hrtime.bigint();
  const checkpoints = Number(
    (
      await db
        .selectFrom('audit_checkpoints')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  const seconds = Number(t1 - t0) / 1e9;
  return {
    run: {
      synchronous,
      recordsPerTransaction: perTx,
      records: count,
      seconds: Math.round(seconds * 100) / 100,
      recordsPerSecond: Math.round(count / seconds),
      signedRecordsPerSecond: Math.round(count / (Number(t2 - t0) / 1e9)),
      checkpoints,
    },
    db,
    sqlite,
    close,
    pub: key.publicPath,
  };
}

export async function benchAudit(): Promise<AuditBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-bench-audit-'));
  try {
    const appends: AppendRun[] = [];
    for (const [name, sync, count, perTx] of [
      ['single-normal', 'NORMAL', SINGLE, 1],
      ['single-full', 'FULL', SINGLE, 1],
      ['grouped-full', 'FULL', GROUPED, GROUP],
    ] as const) {
      const r = await appendRun(dir, name, sync, count, perTx);
      appends.push(r.run);
      console.error(
        `  ${name}: ${r.run.recordsPerSecond} records/s (${r.run.checkpoints} checkpoints)`,
      );
      if (name !== 'grouped-full') await r.close();
      else {
        // Verify the big log: every record hashed twice (chain, leaf), every root and signature
        // checked.
        const trust = { keys: [loadTrustedKey(r.pub)] };
        // The median of five runs after one warm-up.
        const runs: number[] = [];
        let report = await verifyLog(
          databaseSource(r.db, r.sqlite ? { sqlite: r.sqlite } : {}),
          trust,
        );
        for (let k = 0; k < 5; k++) {
          const t0 = process.hrtime.bigint();
          report = await verifyLog(
            databaseSource(r.db, r.sqlite ? { sqlite: r.sqlite } : {}),
            trust,
          );
          runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
        }
        if (!report.ok) throw new Error(`benchmark log does not verify: ${report.message}`);
        const seconds = runs.sort((a, b) => a - b)[2]!;
        const workers = Math.max(1, Math.min(availableParallelism(), 4));
        const par: number[] = [];
        for (let k = 0; k < 5; k++) {
          const t0 = process.hrtime.bigint();
          const p = await verifyLogParallel(path.join(dir, `${name}.db`), r.db, r.sqlite!, trust, {
            workers,
          });
          par.push(Number(process.hrtime.bigint() - t0) / 1e9);
          if (!p.ok || p.records !== report.records)
            throw new Error('parallel verification disagrees');
        }
        await r.close();
        const parSeconds = par.sort((a, b) => a - b)[2]!;
        return {
          appends,
          verify: {
            records: report.records,
            checkpoints: report.checkpoints,
            seconds: Math.round(seconds * 100) / 100,
            recordsPerSecond: Math.round(report.records / seconds),
          },
          verifyParallel: {
            workers,
            seconds: Math.round(parSeconds * 100) / 100,
            recordsPerSecond: Math.round(report.records / parSeconds),
          },
        };
      }
    }
    throw new Error('unreachable');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
