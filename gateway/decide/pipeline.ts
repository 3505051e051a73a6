/**
 * The decision pipeline: envelope and params validation, emergency stop, then the
 * policy bundle's baseline, invariants, rate limits and policy, with deny-overrides.
 * Pure: everything it needs is passed in, and any error anywhere yields deny.
 */
import type { z } from 'zod';
import { ActionEnvelopeSchema, type ActionEnvelope, type Actor } from '../schema/action.ts';
import { paramsSchema, type CatalogEntry } from '../schema/catalog.ts';
import type { DecisionContext } from '../schema/context.ts';
import {
  RawResultSchema,
  type Decision,
  type DecisionStage,
  type RawResult,
} from '../schema/decision.ts';
import { describeIssues, fieldIssues } from '../schema/errors.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { ShellAnalysis } from '../schema/shell.ts';
import { ILL_FORMED_MESSAGE, illFormedField } from '../schema/unicode.ts';
import { canonicalShellParams, hasBothSpellings, type ProgramResolver } from './shell-argv.ts';

export interface DecisionRequest {
  /** The proposal as received; validated here. */
  envelope: unknown;
  actor: Actor;
  context: DecisionContext;
  /**
   * How the target turns a program name into the absolute path it would run (the shell
   * driver's allowlist), so a command line's argv[0] is decided as it will execute.
   */
  resolveProgram?: ProgramResolver;
  /** What the same snapshot as the context says stands in the way before any rule. */
  world?: WorldFacts;
}

/** Facts about the world read with the context that deny on their own. */
export interface WorldFacts {
  /** Why the target's state could not be read or decided on; set means deny. */
  stateUnavailable?: string;
  /** The circuit-breaker rule that paused this kind on the target. */
  pausedBy?: string;
}

/** A monotonic clock in milliseconds, used only to report timings. */
export type Stopwatch = () => number;

const paramsSchemas = new WeakMap<CatalogEntry, z.ZodType<Record<string, unknown>>>();

function paramsSchemaFor(entry: CatalogEntry): z.ZodType<Record<string, unknown>> {
  let schema = paramsSchemas.get(entry);
  if (!schema) {
    schema = paramsSchema(entry);
    paramsSchemas.set(entry, schema);
  }
  return schema;
}

/** decide returns the decision for one proposal. It never throws and never allows on error. */
export function decide(
  req: DecisionRequest,
  evaluator: PolicyEvaluator | undefined,
  stopwatch: Stopwatch = () => 0,
): Decision {
  const t0 = stopwatch();
  const digest = evaluator?.digest ?? null;
  const signer = evaluator?.signer;
  const timings = { validateUs: 0, evaluateUs: 0, totalUs: 0 };
  const finish = (
    d: Omit<Decision, 'policyDigest' | 'timings' | 'invariants'> & {
      invariants?: Decision['invariants'];
    },
  ): Decision => {
    timings.totalUs = Math.round((stopwatch() - t0) * 1000);
    return {
      invariants: [],
      ...d,
      policyDigest: digest,
      ...(signer ? { policySigner: signer } : {}),
      timings,
    };
  };
  const deny = (
    stage: DecisionStage,
    rule: string,
    reason: string,
    extra: Partial<Decision> = {},
  ): Decision => finish({ effect: 'deny', stage, reasons: [reason], rules: [rule], ...extra });

  try {
    // A lone surrogate cannot be encoded for the engine: refuse it by name, before anything else.
    const illFormed = illFormedField(req.envelope);
    if (illFormed !== undefined) {
      const issues = [{ field: illFormed, message: ILL_FORMED_MESSAGE }];
      return deny('validation', 'validation.unicode', describeIssues(issues), { issues });
    }
    const parsed = ActionEnvelopeSchema.safeParse(req.envelope);
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error.issues);
      return deny('validation', 'validation.envelope', describeIssues(issues), { issues });
    }
    const action = parsed.data;
    if (!evaluator)
      return deny(
        'engine',
        'engine.no_bundle',
        'no policy bundle is loaded: every action is denied',
      );

    const entry = evaluator.data.catalog[action.kind];
    if (!entry) {
      const issues = [{ field: 'kind', message: `unknown action kind "${action.kind}"` }];
      return deny('validation', 'validation.unknown_kind', describeIssues(issues), { issues });
    }
    const params = paramsSchemaFor(entry).safeParse(action.params);
    if (!params.success) {
      const issues = fieldIssues(params.error.issues, ['params']);
      return deny('validation', 'validation.params', describeIssues(issues), { issues });
    }
    let decided = params.data;
    if (action.kind === SHELL_KIND) {
      const shape = shellParamsIssue(decided);
      if (shape)
        return deny('validation', 'validation.params', describeIssues([shape]), {
          issues: [shape],
        });
      // The one tokenization: everything after this decides on argv, and the caller stores it.
      const canonical = canonicalShellParams(decided, req.resolveProgram);
      if (!canonical.ok) return deny('baseline', canonical.refusal.rule, canonical.refusal.reason);
      decided = canonical.params;
    }
    timings.validateUs = Math.round((stopwatch() - t0) * 1000);

    if (req.context.estop && !entry.estop_exempt) {
      return deny(
        'estop',
        'estop.engaged',
        `emergency stop is engaged: ${action.kind} is denied until rearm`,
      );
    }
    if (req.world?.stateUnavailable !== undefined)
      return deny('state', 'state.unavailable', req.world.stateUnavailable);
    if (req.world?.pausedBy !== undefined) {
      const rule = req.world.pausedBy;
      return deny(
        'breaker',
        `breaker.${rule}`,
        `${action.kind} is paused on ${action.target} by circuit breaker ${rule}`,
      );
    }

    const t1 = stopwatch();
    const raw = evaluateSafely(evaluator, {
      action: { ...action, params: decided },
      actor: req.actor,
      context: req.context,
      ...hostAnalysis(evaluator, action.kind, decided),
    });
    timings.evaluateUs = Math.round((stopwatch() - t1) * 1000);
    if ('error' in raw)
      return deny('engine', 'engine.evaluation_failed', `policy evaluation failed: ${raw.error}`);
    return finish(combine(raw.result, action));
  } catch (err) {
    return deny('engine', 'engine.internal', `decision failed: ${errorText(err)}`);
  }
}

const SHELL_KIND = 'shell.exec';

/** A shell.exec action gives argv or a command line, not both and not neither. */
export function shellParamsIssue(
  params: Record<string, unknown>,
): { field: string; message: string } | undefined {
  if (hasBothSpellings(params))
    return { field: 'params.argv', message: 'give argv or command, not both' };
  if (params.argv === undefined && params.command === undefined)
    return {
      field: 'params.argv',
      message: 'required: the argv to run (or a command line in params.command)',
    };
  return undefined;
}

/**
 * input.analysis: facts the host computes for the policy. Only the shell analysis exists, and
 * only where the evaluator mirrors the bundle's own; the policy reads it for this argv alone.
 */
function hostAnalysis(
  evaluator: PolicyEvaluator,
  kind: string,
  params: Record<string, unknown>,
): { analysis?: { shell: ShellAnalysis } } {
  const argv = params.argv;
  if (kind !== SHELL_KIND || !Array.isArray(argv) || !evaluator.analyseShell) return {};
  const shell = evaluator.analyseShell(argv as string[]);
  return shell ? { analysis: { shell } } : {};
}

function evaluateSafely(
  evaluator: PolicyEvaluator,
  input: unknown,
): { result: RawResult } | { error: string } {
  let out: unknown;
  try {
    out = evaluator.evaluate(input);
  } catch (err) {
    return { error: errorText(err) };
  }
  const first = Array.isArray(out) ? (out[0] as { result?: unknown } | undefined) : undefined;
  if (!first || first.result === undefined)
    return { error: 'the decision entrypoint is undefined for this input' };
  const result = RawResultSchema.safeParse(first.result);
  if (!result.success)
    return { error: `malformed decision: ${result.error.issues[0]?.message ?? 'invalid'}` };
  return { result: result.data };
}

/** Deny-overrides, in the design's order: baseline, invariants, rate limits, then policy. */
function combine(
  raw: RawResult,
  action: ActionEnvelope,
): Omit<Decision, 'policyDigest' | 'timings'> {
  const invariants = raw.invariants.map((v) => ({
    id: v.id,
    message: v.message,
    severity: v.severity,
    values: v.values,
  }));
  if (raw.baseline.length > 0) {
    return {
      effect: 'deny',
      stage: 'baseline',
      reasons: raw.baseline.map((f) => f.reason),
      rules: raw.baseline.map((f) => f.rule),
      invariants,
    };
  }
  if (invariants.length > 0) {
    return {
      effect: 'deny',
      stage: 'invariants',
      reasons: invariants.map((v) => `${v.id}: ${v.message}`),
      rules: invariants.map((v) => `invariant.${v.id}`),
      invariants,
    };
  }
  if (raw.rate_limits.length > 0) {
    const retry = Math.max(...raw.rate_limits.map((f) => f.retry_after_seconds ?? 0));
    return {
      effect: 'deny',
      stage: 'rate_limit',
      reasons: raw.rate_limits.map((f) => f.reason),
      rules: raw.rate_limits.map((f) => f.rule),
      retryAfterSeconds: retry,
      invariants,
    };
  }
  const p = raw.policy;
  if (p.effect === 'require_approval' && !p.approval) {
    return {
      effect: 'deny',
      stage: 'engine',
      reasons: [`policy required approval for ${action.kind} without saying by whom`],
      rules: ['engine.approval_missing'],
      invariants,
    };
  }
  return {
    effect: p.effect,
    stage: 'policy',
    reasons: p.reasons,
    rules: p.rules,
    invariants,
    ...(p.recommendation ? { recommendation: true } : {}),
    ...(p.effect === 'require_approval' && p.approval
      ? {
          approval: {
            count: p.approval.count,
            roles: p.approval.roles,
            timeoutSeconds: p.approval.timeout_seconds,
            ...(p.approval.veto_window_seconds !== undefined
              ? { vetoWindowSeconds: p.approval.veto_window_seconds }
              : {}),
          },
        }
      : {}),
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return 'unknown error';
  }
}
