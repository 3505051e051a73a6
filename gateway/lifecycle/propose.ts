/** Proposals and dry-run decisions: validate, build the context, decide, record. */
import { appendAudit } from '../audit/append.ts';
import { requireCurrentCredential, type Principal } from '../auth/tokens.ts';
import { decide, shellParamsIssue, type WorldFacts } from '../decide/pipeline.ts';
import { canonicalShellParams, type ProgramResolver } from '../decide/shell-argv.ts';
import { ActionEnvelopeSchema, type ActionEnvelope } from '../schema/action.ts';
import {
  describeIssues,
  fieldIssues,
  InterlockError,
  ValidationError,
  type FieldIssue,
} from '../schema/errors.ts';
import type { DecisionContext } from '../schema/context.ts';
import type { Decision } from '../schema/decision.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import { actionById, actionByIdempotencyKey, approvalsOf } from '../store/actions.ts';
import { proposalDecisionOf } from '../store/decisions.ts';
import { buildContext, rateWindows, withAhead, type ContextPurpose } from './context.ts';
import { lockHead } from '../store/audit-log.ts';
import type { Tx } from '../store/conn.ts';
import { inGroupTx, type Deps } from './deps.ts';
import {
  recordDecision,
  recordProposal,
  requestDigest,
  type DecisionInputParts,
} from './record.ts';
import { actionView, decisionView, type ActionView, type DecisionView } from './views.ts';

export interface ProposeResult {
  action: ActionView;
  decision: DecisionView;
  /** True when an Idempotency-Key matched an earlier proposal, which is returned unchanged. */
  replayed: boolean;
}

export interface Decided {
  envelope: ActionEnvelope;
  decision: Decision;
  level: string;
  /** The rate-limit counts the decision saw, by limit id. */
  rates: Record<string, number>;
  /** The target state the decision was made on. */
  state: Record<string, unknown>;
  /** What the decision was made from, for settleRates to decide again with fresh counts. */
  basis: DecisionBasis;
}

interface DecisionBasis {
  /** Undefined when no policy is loaded: the decision denied, and stays denied. */
  evaluator: PolicyEvaluator | undefined;
  actor: { id: string; roles: string[] };
  context: DecisionContext;
  world: WorldFacts;
  aheadInBatch?: Record<string, number>;
}

const stopwatch = (): number => performance.now();

/** parseProposal validates the envelope and the target; a failure is audited and thrown as 422. */
export async function parseProposal(
  deps: Deps,
  principal: Principal,
  body: unknown,
  field = '',
): Promise<ActionEnvelope> {
  const parsed = ActionEnvelopeSchema.safeParse(body);
  if (!parsed.success)
    return rejectInput(deps, principal, fieldIssues(parsed.error.issues, field ? [field] : []));
  if (!deps.targets.has(parsed.data.target)) {
    return rejectInput(deps, principal, [
      {
        field: prefix(field, 'target'),
        message: `unknown target "${parsed.data.target}" (known: ${[...deps.targets.keys()].join(', ')})`,
      },
    ]);
  }
  return canonicalEnvelope(deps, principal, parsed.data, field);
}

/**
 * A shell.exec command line becomes argv here, once, and the stored action carries that argv.
 * A line that cannot be tokenized is kept as given: the pipeline denies it, naming why.
 */
async function canonicalEnvelope(
  deps: Deps,
  principal: Principal,
  envelope: ActionEnvelope,
  field: string,
): Promise<ActionEnvelope> {
  if (envelope.kind !== 'shell.exec') return envelope;
  const issue = shellParamsIssue(envelope.params);
  if (issue) return rejectInput(deps, principal, [{ ...issue, field: prefix(field, issue.field) }]);
  const canonical = canonicalShellParams(envelope.params, resolverFor(deps, envelope.target));
  return canonical.ok ? { ...envelope, params: canonical.params } : envelope;
}

function resolverFor(deps: Deps, target: string): ProgramResolver | undefined {
  const driver = deps.targets.get(target)?.driver;
  return driver?.resolveProgram ? (name) => driver.resolveProgram?.(name) : undefined;
}

export interface DecideOptions {
  excludeActionId?: string;
  evaluator?: PolicyEvaluator;
  batchSize?: number;
  /** Per rate-limit id, earlier members of this batch that count toward it. */
  aheadInBatch?: Record<string, number>;
}

/**
 * decideNow reads one snapshot of the world (level, stop, pause, history, state) and lets
 * decide() settle the whole decision from it. Nothing is written: proposals and the executor's
 * time-of-use re-check both call it and record what they need themselves.
 */
export async function decideNow(
  deps: Deps,
  principal: Principal,
  envelope: ActionEnvelope,
  purpose: ContextPurpose,
  options: DecideOptions = {},
): Promise<Decided> {
  const evaluator = options.evaluator ?? deps.policy();
  const actor = { id: principal.id, roles: [principal.role] };
  const { context, world } = await buildContext(deps, evaluator, envelope, actor, purpose, {
    ...(options.excludeActionId ? { excludeActionId: options.excludeActionId } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.aheadInBatch ? { aheadInBatch: options.aheadInBatch } : {}),
  });
  const decision = decideOn(deps, envelope, { evaluator, actor, context, world });
  deps.events.publish({
    type: 'decision',
    target: envelope.target,
    at: deps.now(),
    detail: {
      purpose,
      effect: decision.effect,
      stage: decision.stage,
      rule: decision.rules[0] ?? 'none',
      totalUs: decision.timings.totalUs,
    },
  });
  return {
    envelope,
    decision,
    level: context.level,
    rates: rateCounts(context.history.rate),
    state: context.state,
    basis: {
      evaluator,
      actor,
      context,
      world,
      ...(options.aheadInBatch ? { aheadInBatch: options.aheadInBatch } : {}),
    },
  };
}

/** What decide() received for this decision, for the decision record (impact analysis). */
export function decisionInputOf(decided: Decided): DecisionInputParts {
  const { actor, context, world } = decided.basis;
  return { envelope: decided.envelope, actor, context, world };
}

function rateCounts(rate: DecisionContext['history']['rate']): Record<string, number> {
  return Object.fromEntries(Object.entries(rate).map(([id, w]) => [id, w.count]));
}

/**
 * beginRecording opens the recording of a principal's proposals: it takes the audit head first
 * (so nothing another transaction appends can land between what this one reads and writes:
 * not a proposal that would fill a rate window, not a revocation of this token), then checks
 * that the token is still current, which therefore sees any revocation committed before.
 */
export async function beginRecording(trx: Tx, principal: Principal): Promise<void> {
  await lockHead(trx);
  await requireCurrentCredential(trx, principal);
}

/**
 * settleRates counts a proposal's rate-limit windows again inside the transaction that records
 * it, where no other proposal can land unseen (a group holds the audit head; SQLite has one
 * writer). When a count moved since the decision (proposals that raced it, or were decided
 * ahead of it in the same group, have been recorded), the proposal is decided again from the
 * same snapshot with the fresh counts: the policy's rate limit decides, as for any proposal.
 */
export async function settleRates(trx: Tx, deps: Deps, decided: Decided): Promise<Decided> {
  const { evaluator, actor, context, aheadInBatch } = decided.basis;
  if (!evaluator) return decided;
  const counted = await rateWindows(
    trx,
    evaluator,
    decided.envelope,
    actor,
    'proposal',
    context.now,
  );
  const fresh = withAhead(counted, aheadInBatch, context.now);
  const freshCounts = rateCounts(fresh);
  const moved = Object.keys({ ...freshCounts, ...decided.rates }).some(
    (id) => freshCounts[id] !== decided.rates[id],
  );
  if (!moved) return decided;
  const basis = {
    ...decided.basis,
    context: { ...context, history: { ...context.history, rate: fresh } },
  };
  return {
    ...decided,
    decision: decideOn(deps, decided.envelope, basis),
    rates: freshCounts,
    basis,
  };
}

/** The pure decision on one snapshot, with the target's program resolver (shell targets). */
function decideOn(deps: Deps, envelope: ActionEnvelope, basis: DecisionBasis): Decision {
  const { evaluator, actor, context, world } = basis;
  return decide(
    { envelope, actor, context, world, ...withResolver(resolverFor(deps, envelope.target)) },
    evaluator,
    stopwatch,
  );
}

/** decideProposal decides a proposal; one that fails validation is audited and thrown as 422. */
export async function decideProposal(
  deps: Deps,
  principal: Principal,
  envelope: ActionEnvelope,
  options: DecideOptions & { field?: string } = {},
): Promise<Decided> {
  const decided = await decideNow(deps, principal, envelope, 'proposal', options);
  const { decision } = decided;
  if (decision.stage === 'validation') {
    const issues = (decision.issues ?? []).map((i) => ({
      ...i,
      field: prefix(options.field ?? '', i.field),
    }));
    await rejectInput(
      deps,
      principal,
      issues,
      decision.rules.includes('validation.unknown_kind') ? 'unknown_kind' : 'validation_failed',
    );
  }
  return decided;
}

export async function propose(
  deps: Deps,
  principal: Principal,
  body: unknown,
  headerKey: string | undefined,
  /** Set by the rollback path only: the action this one undoes (on its audit record). */
  rollbackOf?: string,
): Promise<ProposeResult> {
  const envelope = await parseProposal(deps, principal, body);
  const key = headerKey ?? envelope.idempotencyKey ?? null;
  const digest = key ? requestDigest(envelope) : '';
  if (key) {
    const earlier = await replay(deps, principal, key, digest);
    if (earlier) return earlier;
  }
  const decided = await decideProposal(deps, principal, envelope);
  try {
    const { actionId } = await inGroupTx(deps, async (trx, events) => {
      await beginRecording(trx, principal);
      const settled = await settleRates(trx, deps, decided);
      const { decision, level, state } = settled;
      return recordProposal(
        trx,
        {
          envelope,
          proposer: principal.id,
          idempotencyKey: key,
          ...(rollbackOf !== undefined ? { rollbackOf } : {}),
          level,
          decision,
          now: deps.now(),
          stateUsed: state,
          input: decisionInputOf(settled),
        },
        events,
      );
    });
    return { ...(await loadAction(deps, actionId)), replayed: false };
  } catch (err) {
    // Two retries raced past the lookup: the unique index let one in; return that one.
    if (key) {
      const earlier = await replay(deps, principal, key, digest);
      if (earlier) return earlier;
    }
    throw err;
  }
}

/** dryRun decides without storing an action; the decision itself is audited. */
export async function dryRun(
  deps: Deps,
  principal: Principal,
  body: unknown,
): Promise<DecisionView & { plan?: Record<string, unknown>; planError?: string }> {
  const envelope = await parseProposal(deps, principal, body);
  const decided = await decideProposal(deps, principal, envelope);
  const { decision, level, state } = decided;
  const now = deps.now();
  const id = await inGroupTx(deps, (trx) =>
    recordDecision(
      trx,
      null,
      principal.id,
      level,
      decision,
      'dry_run',
      now,
      state,
      decisionInputOf(decided),
    ),
  );
  // What the driver would run (shell: the argv, binary and directory), without running it.
  let plan: { plan?: Record<string, unknown>; planError?: string } = {};
  const driver = deps.targets.get(envelope.target)?.driver;
  if (driver?.plan) {
    try {
      plan = { plan: driver.plan(envelope.params) };
    } catch (err) {
      plan = { planError: err instanceof Error ? err.message : String(err) };
    }
  }
  return { ...decision, id, level, createdAt: new Date(now).toISOString(), ...plan };
}

export async function loadAction(
  deps: Deps,
  id: string,
): Promise<{ action: ActionView; decision: DecisionView }> {
  const row = await actionById(deps.db, id);
  if (!row) throw new InterlockError('not_found', `no action ${id}`, { field: 'id' });
  const [approvals, decision] = await Promise.all([
    approvalsOf(deps.db, [id]),
    proposalDecisionOf(deps.db, id),
  ]);
  if (!decision) throw new InterlockError('internal', `action ${id} has no proposal decision`);
  return { action: actionView(row, approvals), decision: decisionView(decision) };
}

async function replay(
  deps: Deps,
  principal: Principal,
  key: string,
  digest: string,
): Promise<ProposeResult | undefined> {
  const row = await actionByIdempotencyKey(deps.db, principal.id, key);
  if (!row) return undefined;
  if (row.request_digest !== digest) {
    throw new InterlockError(
      'conflict',
      `Idempotency-Key ${key} was already used for a different proposal (action ${row.id})`,
      { field: 'Idempotency-Key' },
    );
  }
  return { ...(await loadAction(deps, row.id)), replayed: true };
}

async function rejectInput(
  deps: Deps,
  principal: Principal,
  issues: FieldIssue[],
  code: 'validation_failed' | 'unknown_kind' = 'validation_failed',
): Promise<never> {
  await inGroupTx(deps, (trx) =>
    appendAudit(trx, { type: 'action.invalid', actor: principal.id, payload: { code, issues } }),
  );
  throw new ValidationError(describeIssues(issues), issues, code);
}

function withResolver(resolveProgram: ProgramResolver | undefined): {
  resolveProgram?: ProgramResolver;
} {
  return resolveProgram ? { resolveProgram } : {};
}

function prefix(field: string, name: string): string {
  return field ? `${field}.${name}` : name;
}
