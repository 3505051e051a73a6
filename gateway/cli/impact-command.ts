/**
 * `interlock policy impact` and the CI gate's impact step: compile the candidate tree, replay
 * the window of an audit database through it, report.
 */
import { candidateEvaluator, type PolicyTree } from '../impact/candidate.ts';
import { analyseImpact, impactGate, type ImpactReport } from '../impact/replay.ts';
import type { LogWindow } from '../store/decision-replay.ts';
import { openDatabase, type OpenedDb } from '../store/db.ts';
import { InterlockError, ValidationError } from '../schema/errors.ts';
import { windowOf } from '../impact/window.ts';
import { UsageError } from './args.ts';

/** The window of the flags --from and --to; a bad bound is a usage error naming the flag. */
export function logWindow(
  from: string | undefined,
  to: string | undefined,
  now: number,
): LogWindow {
  try {
    return windowOf({ field: '--from', value: from }, { field: '--to', value: to }, now);
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(err.message);
    throw err;
  }
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
  const { db, close } = await openExisting(run.dbUrl);
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

/** The database the gateway wrote: a path with nothing there is a usage error, not an empty log. */
async function openExisting(url: string): Promise<OpenedDb> {
  try {
    return await openDatabase(url, { mustExist: true });
  } catch (err) {
    if (err instanceof InterlockError && err.code === 'not_found')
      throw new UsageError(`${err.message}: give the gateway's database (--db)`);
    throw err;
  }
}

export function examplesCount(value: string | undefined): number {
  const n = Number(value ?? 10);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new UsageError('--examples takes a whole number from 0 to 1000');
  return n;
}
