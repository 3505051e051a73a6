/**
 * `interlock policy impact` and the CI gate's impact step: compile the candidate tree, replay
 * the window of an audit database through it, report.
 */
import { candidateEvaluator, type PolicyTree } from '../impact/candidate.ts';
import { analyseImpact, impactGate, type ImpactReport } from '../impact/replay.ts';
import type { LogWindow } from '../store/decision-replay.ts';
import { windowOf } from '../impact/window.ts';
import { flagValue, openGatewayDatabase, UsageError } from './args.ts';

/** The window of the flags --from and --to; a bad bound is a usage error naming the flag. */
export function logWindow(
  from: string | undefined,
  to: string | undefined,
  now: number,
): LogWindow {
  return flagValue(() =>
    windowOf({ field: '--from', value: from }, { field: '--to', value: to }, now),
  );
}

export interface ImpactRun {
  dbUrl: string;
  policyDir: string;
  invariantsDir: string;
  window: LogWindow;
  examples: number;
  allowLoosening: boolean;
  allowEmpty: boolean;
  /** The tree the candidate would replace; without it, the decisions as recorded. */
  baseline?: PolicyTree;
}

/** runImpact compiles the candidate, replays the window and applies the gate. */
export async function runImpact(
  run: ImpactRun,
): Promise<{ report: ImpactReport; gate: { ok: boolean; problems: string[] } }> {
  const { db, close } = await openGatewayDatabase(run.dbUrl, '--db');
  try {
    const evaluator = await candidateEvaluator(run);
    const baseline = run.baseline ? await candidateEvaluator(run.baseline) : undefined;
    const report = await analyseImpact({
      db,
      evaluator,
      ...(baseline ? { baseline } : {}),
      window: run.window,
      examples: run.examples,
    });
    return {
      report,
      gate: impactGate(report, { allowLoosening: run.allowLoosening, allowEmpty: run.allowEmpty }),
    };
  } finally {
    await close();
  }
}

export function examplesCount(value: string | undefined): number {
  const n = Number(value ?? 10);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new UsageError('--examples takes a whole number from 0 to 1000');
  return n;
}
