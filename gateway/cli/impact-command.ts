/**
 * `interlock policy impact` and the CI gate's impact step: compile the candidate tree, replay
 * the window of an audit database through it, report.
 */
import { invariantSources } from '../invariants/compile.ts';
import { defaultCacheDir } from '../paths.ts';
import { compilePolicy } from '../policy/compile.ts';
import { analyseImpact, impactGate, type ImpactReport } from '../impact/replay.ts';
import { loadEvaluator } from '../policy/wasm-policy.ts';
import type { LogWindow } from '../store/decision-replay.ts';
import { openDatabase } from '../store/db.ts';
import { UsageError } from './args.ts';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A window bound: an audit sequence number (digits), a duration back from now (`7d`, `12h`),
 * or a time Date.parse reads (ISO 8601).
 */
export function windowBound(
  flag: string,
  value: string,
  now: number,
): { seq: number } | { time: number } {
  if (/^\d{1,15}$/.test(value)) return { seq: Number(value) };
  const ago = /^(\d{1,9})([smhd])$/.exec(value);
  if (ago) return { time: now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS] };
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new UsageError(
      `${flag} takes an audit sequence number, a duration back from now (7d, 12h) or an ISO time; got "${value}"`,
    );
  return { time };
}

export function logWindow(
  from: string | undefined,
  to: string | undefined,
  now: number,
): LogWindow {
  const window: LogWindow = {};
  if (from !== undefined) {
    const b = windowBound('--from', from, now);
    if ('seq' in b) window.fromSeq = b.seq;
    else window.fromTime = b.time;
  }
  if (to !== undefined) {
    const b = windowBound('--to', to, now);
    if ('seq' in b) window.toSeq = b.seq;
    else window.toTime = b.time;
  }
  return window;
}

export interface ImpactRun {
  dbUrl: string;
  policyDir: string;
  invariantsDir: string;
  window: LogWindow;
  examples: number;
  allowLoosening: boolean;
}

/** runImpact compiles the candidate, replays the window and applies the gate. */
export async function runImpact(
  run: ImpactRun,
): Promise<{ report: ImpactReport; gate: { ok: boolean; problems: string[] } }> {
  const extraSources = await invariantSources(run.invariantsDir, run.policyDir);
  const bundle = await compilePolicy({
    policyDir: run.policyDir,
    cacheDir: defaultCacheDir,
    extraSources,
  });
  const evaluator = await loadEvaluator(bundle);
  const { db, close } = await openDatabase(run.dbUrl);
  try {
    const report = await analyseImpact({
      db,
      evaluator,
      window: run.window,
      examples: run.examples,
    });
    return { report, gate: impactGate(report, run.allowLoosening) };
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
