/**
 * Policy impact analysis: replays every decision recorded in a window of the audit log through
 * a candidate bundle and reports each one whose effect, stage, rules or approval count would
 * change, with its direction. A loosening (a deny or a hold that would now pass, fewer
 * approvals) is what a reviewer must see before a policy change lands.
 */
import { z } from 'zod';
import { decide } from '../decide/pipeline.ts';
import { sha256Hex } from '../schema/canonical-json.ts';
import { EffectSchema, type Decision, type Effect } from '../schema/decision.ts';
import type {
  Direction,
  DirectionCounts,
  ImpactChange,
  ImpactReport,
  Verdict,
} from '../schema/impact.ts';
import { DecisionInputSchema, type DecisionInput } from '../schema/decision-input.ts';

export type { Direction, DirectionCounts, ImpactChange, ImpactReport, Verdict };
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { Conn } from '../store/conn.ts';
import {
  recordedDecisions,
  type LogWindow,
  type RecordedDecision,
} from '../store/decision-replay.ts';

export interface ImpactOptions {
  db: Conn;
  /** The candidate bundle. */
  evaluator: PolicyEvaluator;
  window?: LogWindow;
  /** Examples kept per direction (default 10). */
  examples?: number;
  /** Stop after this many decision records (the report says it was cut short). */
  limit?: number;
  /** Records per read; a live gateway uses small pages so its event loop is not held long. */
  pageSize?: number;
}

const PayloadVerdictSchema = z.object({
  decision_id: z.string(),
  purpose: z.string(),
  effect: EffectSchema,
  stage: z.string(),
  rules: z.array(z.string()),
  approval: z.object({ count: z.number() }).optional(),
  input_sha256: z.string().optional(),
  input_kept: z.literal(false).optional(),
});

const STRICTNESS: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };

/** direction orders two verdicts by effect, then (both holds) by the approvals they need. */
export function direction(before: Verdict, after: Verdict): Direction | undefined {
  const rank = STRICTNESS[after.effect] - STRICTNESS[before.effect];
  if (rank < 0) return 'loosened';
  if (rank > 0) return 'tightened';
  if (after.approvals < before.approvals) return 'loosened';
  if (after.approvals > before.approvals) return 'tightened';
  const same =
    before.stage === after.stage &&
    before.rules.length === after.rules.length &&
    [...before.rules].sort().join('\n') === [...after.rules].sort().join('\n');
  return same ? undefined : 'changed';
}

/** "deny → allow", "require_approval(2) → require_approval(1)". */
export function transitionLabel(before: Verdict, after: Verdict): string {
  const show = (v: Verdict) =>
    v.effect === 'require_approval' ? `require_approval(${v.approvals})` : v.effect;
  return `${show(before)} → ${show(after)}`;
}

function verdictOf(d: Decision): Verdict {
  return {
    effect: d.effect,
    stage: d.stage,
    rules: d.rules,
    approvals: d.effect === 'require_approval' ? (d.approval?.count ?? 0) : 0,
  };
}

const emptyCounts = (): DirectionCounts => ({ loosened: 0, tightened: 0, changed: 0 });

/** analyseImpact replays the window through the candidate and counts what would change. */
export async function analyseImpact(options: ImpactOptions): Promise<ImpactReport> {
  const started = performance.now();
  const keep = options.examples ?? 10;
  const report: ImpactReport = {
    candidate: { digest: options.evaluator.digest },
    window: { firstSeq: null, lastSeq: null },
    decisions: 0,
    truncated: false,
    replayed: 0,
    unchanged: 0,
    totals: emptyCounts(),
    notReplayable: { noInput: 0, overCap: 0, invalid: 0 },
    mismatched: { count: 0, first: [] },
    byTransition: {},
    byKind: {},
    byTarget: {},
    examples: { loosened: [], tightened: [], changed: [] },
    durationMs: 0,
  };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  pages: for await (const page of recordedDecisions(
    options.db,
    options.window ?? {},
    options.pageSize,
  )) {
    for (const record of page) {
      if (report.decisions >= limit) {
        report.truncated = true;
        break pages;
      }
      report.decisions += 1;
      report.window.firstSeq ??= record.seq;
      report.window.lastSeq = record.seq;
      const change = replayOne(record, options.evaluator, report);
      if (!change) continue;
      count(report, change);
      const list = report.examples[change.direction];
      if (list.length < keep) list.push(change);
    }
    // Let other work run between pages (requests, when the gateway itself replays).
    await new Promise((resolve) => setImmediate(resolve));
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

/** Replays one record; undefined when unchanged or not replayable (counted in the report). */
function replayOne(
  record: RecordedDecision,
  evaluator: PolicyEvaluator,
  report: ImpactReport,
): ImpactChange | undefined {
  const recorded = PayloadVerdictSchema.safeParse(record.payload);
  if (!recorded.success) {
    report.notReplayable.invalid += 1;
    return undefined;
  }
  const r = recorded.data;
  if (r.input_kept === false) {
    report.notReplayable.overCap += 1;
    return undefined;
  }
  if (record.input === undefined || record.input === null || r.input_sha256 === undefined) {
    report.notReplayable.noInput += 1;
    return undefined;
  }
  // The row is only trusted as far as the signed record vouches for it.
  if (sha256Hex(record.input) !== r.input_sha256) {
    report.mismatched.count += 1;
    if (report.mismatched.first.length < 20)
      report.mismatched.first.push({ seq: record.seq, decisionId: r.decision_id });
    return undefined;
  }
  let input: DecisionInput;
  try {
    const parsed = DecisionInputSchema.safeParse(JSON.parse(record.input));
    if (!parsed.success) throw parsed.error;
    input = parsed.data;
  } catch {
    report.notReplayable.invalid += 1;
    return undefined;
  }
  report.replayed += 1;
  const decision = decide(
    { envelope: input.envelope, actor: input.actor, context: input.context, world: input.world },
    evaluator,
  );
  const before: Verdict = {
    effect: r.effect,
    stage: r.stage,
    rules: r.rules,
    approvals: r.effect === 'require_approval' ? (r.approval?.count ?? 0) : 0,
  };
  const after = verdictOf(decision);
  const moved = direction(before, after);
  if (!moved) {
    report.unchanged += 1;
    return undefined;
  }
  const envelope = input.envelope as { kind?: unknown; target?: unknown };
  return {
    seq: record.seq,
    at: record.ts,
    purpose: r.purpose,
    decisionId: r.decision_id,
    actionId: record.actionId,
    kind: typeof envelope.kind === 'string' ? envelope.kind : '(none)',
    target: typeof envelope.target === 'string' ? envelope.target : '(none)',
    direction: moved,
    before,
    after: { ...after, reasons: decision.reasons },
    input,
  };
}

function count(report: ImpactReport, c: ImpactChange): void {
  report.totals[c.direction] += 1;
  const label = transitionLabel(c.before, c.after);
  report.byTransition[label] = (report.byTransition[label] ?? 0) + 1;
  (report.byKind[c.kind] ??= emptyCounts())[c.direction] += 1;
  (report.byTarget[c.target] ??= emptyCounts())[c.direction] += 1;
}

/** Whether a change may land: no loosening unless allowed, and every input vouched for. */
export function impactGate(
  report: ImpactReport,
  allowLoosening: boolean,
): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  if (report.totals.loosened > 0 && !allowLoosening)
    problems.push(
      `${report.totals.loosened} recorded decision(s) would be looser (pass --allow-loosening when a reviewer accepts it)`,
    );
  if (report.mismatched.count > 0)
    problems.push(
      `${report.mismatched.count} recorded input(s) differ from the digest in their signed audit record`,
    );
  return { ok: problems.length === 0, problems };
}
