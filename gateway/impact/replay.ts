/**
 * Policy impact analysis: replays every decision recorded in a window of the audit log through
 * a candidate bundle and reports each one whose effect, stage, rules or approval count would
 * change, with its direction. A loosening (a deny or a hold that would now pass, fewer
 * approvals) is what a reviewer must see before a policy change lands.
 */
import { z } from 'zod';
import { decide } from '../decide/pipeline.ts';
import { canonicalJson, sha256Hex } from '../schema/canonical-json.ts';
import { EffectSchema } from '../schema/decision.ts';
import type {
  Direction,
  DirectionCounts,
  ImpactChange,
  ImpactGate,
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
  /**
   * The policy the candidate would replace, replayed on the same inputs; without it the candidate
   * is compared with the decisions as recorded (whatever policy made them).
   */
  baseline?: PolicyEvaluator;
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
  approval: z
    .object({
      count: z.number(),
      roles: z.array(z.string()).default([]),
      vetoWindowSeconds: z.number().optional(),
    })
    .optional(),
  recommendation: z.boolean().optional(),
  input_sha256: z.string().optional(),
  input_kept: z.literal(false).optional(),
});

/**
 * How much stands between a decision and running, in the order the lifecycle applies it: a hold
 * that needs approvals, a veto window alone, a recommendation only, or nothing (a hold needing
 * no approval and no veto window is approved at once, as statusFor does).
 */
function rank(v: Verdict): number {
  if (v.effect === 'deny') return 4;
  if (v.effect === 'require_approval') return v.approvals > 0 ? 3 : v.vetoSeconds > 0 ? 2 : 0;
  return v.recommendation ? 1 : 0;
}

/**
 * direction orders two verdicts: by rank, then (two holds) by the approvals they need, who may
 * give them (a role that may now approve is looser) and the veto window.
 */
export function direction(before: Verdict, after: Verdict): Direction | undefined {
  const moved = rank(after) - rank(before);
  if (moved < 0) return 'loosened';
  if (moved > 0) return 'tightened';
  if (before.effect === 'require_approval' && after.effect === 'require_approval') {
    if (after.approvals < before.approvals) return 'loosened';
    if (after.approvals > before.approvals) return 'tightened';
    if (after.roles.some((r) => !before.roles.includes(r))) return 'loosened';
    if (before.roles.some((r) => !after.roles.includes(r))) return 'tightened';
    if (after.vetoSeconds < before.vetoSeconds) return 'loosened';
    if (after.vetoSeconds > before.vetoSeconds) return 'tightened';
  }
  const same =
    before.effect === after.effect &&
    before.stage === after.stage &&
    [...before.rules].sort().join('\n') === [...after.rules].sort().join('\n');
  return same ? undefined : 'changed';
}

/** "deny → allow", "require_approval(2) → require_approval(1)", "require_approval(0, veto 30 s)". */
export function transitionLabel(before: Verdict, after: Verdict): string {
  const show = (v: Verdict) =>
    v.effect === 'require_approval'
      ? `require_approval(${v.approvals}${v.vetoSeconds ? `, veto ${v.vetoSeconds} s` : ''})`
      : v.recommendation
        ? `${v.effect} (recommendation)`
        : v.effect;
  return `${show(before)} → ${show(after)}`;
}

/** What a decision (replayed, or as its audit record has it) settled, as far as impact goes. */
function verdictOf(d: {
  effect: Verdict['effect'];
  stage: string;
  rules: string[];
  approval?: { count: number; roles: string[]; vetoWindowSeconds?: number | undefined };
  recommendation?: boolean | undefined;
}): Verdict {
  const hold = d.effect === 'require_approval';
  return {
    effect: d.effect,
    stage: d.stage,
    rules: d.rules,
    approvals: hold ? (d.approval?.count ?? 0) : 0,
    roles: hold ? (d.approval?.roles ?? []) : [],
    vetoSeconds: hold ? (d.approval?.vetoWindowSeconds ?? 0) : 0,
    recommendation: d.recommendation === true,
  };
}

/**
 * The policy data the gateway reads to build a decision's input (levels and their aliases, rate
 * limits, the invariants' counts, state fields, ramps): where the candidate changes it, the
 * recorded inputs are not what the candidate would have seen.
 */
export function contextCaveats(baseline: PolicyEvaluator, candidate: PolicyEvaluator): string[] {
  const ramps = (e: PolicyEvaluator) =>
    Object.fromEntries(
      Object.entries(e.data.catalog).map(([kind, entry]) => [
        kind,
        entry.constraints?.ramp ?? null,
      ]),
    );
  const parts: [string, (e: PolicyEvaluator) => unknown][] = [
    ['autonomy levels (order, aliases)', (e) => [e.data.autonomy.order, e.data.autonomy.aliases]],
    ['rate limits', (e) => e.data.rate_limits],
    ['the counts invariants ask for', (e) => e.data.invariant_manifest ?? null],
    ['state fields', (e) => e.data.state_fields],
    ['ramp constraints', ramps],
  ];
  return parts
    .filter(
      ([, read]) =>
        canonicalJson(read(baseline) ?? null) !== canonicalJson(read(candidate) ?? null),
    )
    .map(
      ([what]) =>
        `the candidate changes ${what}, which the gateway used to build the recorded inputs: the replay cannot show that change's effect`,
    );
}

const emptyCounts = (): DirectionCounts => ({ loosened: 0, tightened: 0, changed: 0 });

/** analyseImpact replays the window through the candidate and counts what would change. */
export async function analyseImpact(options: ImpactOptions): Promise<ImpactReport> {
  const started = performance.now();
  const keep = options.examples ?? 10;
  const report: ImpactReport = {
    candidate: { digest: options.evaluator.digest },
    baseline: options.baseline ? { digest: options.baseline.digest } : null,
    drift: 0,
    caveats: options.baseline ? contextCaveats(options.baseline, options.evaluator) : [],
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
      const change = replayOne(record, options.evaluator, options.baseline, report);
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
  baseline: PolicyEvaluator | undefined,
  report: ImpactReport,
): ImpactChange | undefined {
  const parsedPayload = PayloadVerdictSchema.safeParse(record.payload);
  if (!parsedPayload.success) {
    report.notReplayable.invalid += 1;
    return undefined;
  }
  const r = parsedPayload.data;
  if (r.input_kept === false) {
    report.notReplayable.overCap += 1;
    return undefined;
  }
  if (r.input_sha256 === undefined) {
    // Recorded before inputs were kept.
    report.notReplayable.noInput += 1;
    return undefined;
  }
  // The row is only trusted as far as the signed record vouches for it: an input that differs,
  // or that is gone although the record says it was kept, is tampering, not a gap.
  if (
    record.input === undefined ||
    record.input === null ||
    sha256Hex(record.input) !== r.input_sha256
  ) {
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
  const decision = decide(input, evaluator);
  const recorded = verdictOf(r);
  let before = recorded;
  if (baseline) {
    before = verdictOf(decide(input, baseline));
    if (direction(recorded, before) !== undefined) report.drift += 1;
  }
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

export interface GateOptions {
  /** A reviewer accepted what might loosen: looser decisions, unreplayable ones, caveats. */
  allowLoosening?: boolean;
  /** An empty window passes (a new deployment with no traffic yet). */
  allowEmpty?: boolean;
}

/**
 * Whether a change may land. It fails closed on whatever might loosen: a decision that would be
 * looser, one that could not be replayed (over the size cap, unreadable), a change the replay
 * cannot show (caveats); and on what leaves the check incomplete: inputs the signed log does
 * not vouch for, a window cut short by the limit, or nothing replayed at all.
 */
export function impactGate(report: ImpactReport, options: GateOptions = {}): ImpactGate {
  const problems: string[] = [];
  const accept = ' (pass --allow-loosening when a reviewer accepts it)';
  if (report.totals.loosened > 0 && !options.allowLoosening)
    problems.push(`${report.totals.loosened} recorded decision(s) would be looser${accept}`);
  const unreplayable = report.notReplayable.overCap + report.notReplayable.invalid;
  if (unreplayable > 0 && !options.allowLoosening)
    problems.push(
      `${unreplayable} recorded decision(s) could not be replayed (inputs over the size cap or unreadable)${accept}`,
    );
  if (report.caveats.length > 0 && !options.allowLoosening)
    problems.push(...report.caveats.map((c) => `${c}${accept}`));
  if (report.mismatched.count > 0)
    problems.push(
      `${report.mismatched.count} recorded input(s) differ from the digest in their signed audit record, or are missing`,
    );
  if (report.truncated)
    problems.push('the window holds more decisions than the limit: narrow it with from/to');
  if (report.replayed === 0 && !options.allowEmpty)
    problems.push(
      'no recorded decision was replayed, so nothing was checked (pass --allow-empty for a new deployment)',
    );
  return { ok: problems.length === 0, problems };
}
