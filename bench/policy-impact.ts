/**
 * Policy impact over 100,000 recorded decisions: the decision-latency workload (roaster commands
 * at several levels, safe and hostile shell lines) decided by the shipped bundle and recorded
 * through the gateway's own recordDecision (decision rows with their inputs, hash-chained audit
 * records) into a SQLite file; then `interlock policy impact` run as a user runs it, a separate
 * process that compiles the candidate and replays every decision: once with the shipped tree
 * (no change expected) and once with a candidate that takes roaster.set_power out of L3+.
 */
import { statSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { withContextDefaults } from '../gateway/decide/defaults.ts';
import { decide } from '../gateway/decide/pipeline.ts';
import { canonicalShellParams } from '../gateway/decide/shell-argv.ts';
import type { ImpactReport } from '../gateway/impact/replay.ts';
import { recordDecision } from '../gateway/lifecycle/record.ts';
import { projectRoot } from '../gateway/paths.ts';
import { openDatabase } from '../gateway/store/db.ts';
import { shippedEvaluator } from '../test/helpers/default-policy.ts';
import { workload } from './decision-latency.ts';

const DECISIONS = Number(process.env.BENCH_IMPACT_DECISIONS ?? 100_000);
const PER_TRANSACTION = 1_000;

export interface ImpactRun {
  /** Wall time of the whole command: start, compile (cached), read, replay, print. */
  wallSeconds: number;
  /** The replay itself, as the report states it. */
  replaySeconds: number;
  decisionsPerSecond: number;
  replayed: number;
  totals: ImpactReport['totals'];
  exitCode: number;
}

export interface PolicyImpactResult {
  decisions: number;
  seedSeconds: number;
  databaseMiB: number;
  same: ImpactRun;
  candidate: ImpactRun;
  /** The candidate against the shipped tree as baseline: every input decided twice. */
  withBaseline: ImpactRun;
}

export async function seed(dbFile: string): Promise<number> {
  const evaluator = await shippedEvaluator();
  const requests = workload();
  const { db, close } = await openDatabase(`sqlite:${dbFile}`, { synchronous: 'normal' });
  const started = performance.now();
  try {
    for (let done = 0; done < DECISIONS; done += PER_TRANSACTION) {
      await db.transaction().execute(async (trx) => {
        for (let i = done; i < Math.min(done + PER_TRANSACTION, DECISIONS); i++) {
          const req = requests[i % requests.length]!;
          const now = 60_000 + i * 1_000;
          const context = withContextDefaults(
            { ...req.context, now },
            now,
            evaluator.data.invariant_manifest,
          );
          const envelope = req.envelope as { kind: string; params: Record<string, unknown> };
          const canonical =
            envelope.kind === 'shell.exec'
              ? canonicalShellParams(envelope.params, req.resolveProgram)
              : undefined;
          const decided = canonical?.ok ? { ...envelope, params: canonical.params } : envelope;
          const decision = decide({ envelope: decided, actor: req.actor, context }, evaluator);
          await recordDecision(
            trx,
            null,
            req.actor.id,
            context.level,
            decision,
            'dry_run',
            now,
            context.state,
            { envelope: decided, actor: req.actor, context, world: {} },
          );
        }
      });
    }
  } finally {
    await close();
  }
  return (performance.now() - started) / 1000;
}

async function impact(dbFile: string, policies: string, baseline?: string): Promise<ImpactRun> {
  const t0 = performance.now();
  const r = await execa(
    'node',
    [
      path.join(projectRoot, 'bin', 'interlock.js'),
      'policy',
      'impact',
      '--db',
      `sqlite:${dbFile}`,
      '--policies',
      policies,
      ...(baseline ? ['--baseline', baseline] : []),
      '--json',
    ],
    { reject: false, cwd: projectRoot },
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`policy impact failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as ImpactReport;
  return {
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    replaySeconds: Math.round(report.durationMs / 100) / 10,
    decisionsPerSecond: Math.round(report.replayed / (report.durationMs / 1000)),
    replayed: report.replayed,
    totals: report.totals,
    exitCode: r.exitCode ?? -1,
  };
}

export async function benchPolicyImpact(): Promise<PolicyImpactResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'interlock-bench-impact-'));
  try {
    const dbFile = path.join(dir, 'interlock.db');
    const seedSeconds = await seed(dbFile);
    const { size } = statSync(dbFile);
    for (const tree of ['same', 'candidate']) {
      await cp(path.join(projectRoot, 'policies'), path.join(dir, tree, 'policies'), {
        recursive: true,
      });
      await cp(path.join(projectRoot, 'invariants'), path.join(dir, tree, 'invariants'), {
        recursive: true,
      });
    }
    const autonomy = path.join(dir, 'candidate', 'policies', 'autonomy.yaml');
    const text = await readFile(autonomy, 'utf8');
    const edited = text.replace('      - roaster.set_power\n', '');
    if (edited === text) throw new Error('the candidate edit did not apply');
    await writeFile(autonomy, edited);
    const same = await impact(dbFile, path.join(dir, 'same', 'policies'));
    const candidate = await impact(dbFile, path.join(dir, 'candidate', 'policies'));
    const withBaseline = await impact(
      dbFile,
      path.join(dir, 'candidate', 'policies'),
      path.join(dir, 'same', 'policies'),
    );
    return {
      decisions: DECISIONS,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      databaseMiB: Math.round(size / 1024 / 102.4) / 10,
      same,
      candidate,
      withBaseline,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
