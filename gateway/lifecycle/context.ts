/**
 * Builds a decision's context from the world: the level in force, the target's live state,
 * recent history (last values for ramps, counts for rate limits), the emergency stop and now.
 */
import type { WorldFacts } from '../decide/pipeline.ts';
import type { ActionEnvelope, Actor } from '../schema/action.ts';
import { clockAt, countKey, type DecisionContext } from '../schema/context.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { RateLimit } from '../schema/policy-data.ts';
import { stateProblem } from '../schema/state-check.ts';
import { pausedBy } from '../store/breakers.ts';
import { estopRow } from '../store/estop.ts';
import { countInWindow, lastCompleted } from '../store/history.ts';
import { storedLevel } from '../store/levels.ts';
import type { Conn } from '../store/conn.ts';
import type { Deps } from './deps.ts';
import { lowerOf, resolveLevel } from './levels.ts';

export type ContextPurpose =
  /** Counting accepted proposals, before the decision. */
  | 'proposal'
  /** Counting started executions, at the time-of-use re-check. */
  | 'execution';

export interface BuiltContext {
  context: DecisionContext;
  /** What the same reads found that denies before any rule: unreadable state, a paused kind. */
  world: WorldFacts;
}

export async function buildContext(
  deps: Deps,
  evaluator: PolicyEvaluator | undefined,
  action: Pick<ActionEnvelope, 'kind' | 'target'>,
  actor: Actor,
  purpose: ContextPurpose,
  options: {
    excludeActionId?: string;
    batchSize?: number;
    aheadInBatch?: Record<string, number>;
  } = {},
): Promise<BuiltContext> {
  const now = deps.now();
  const [level, estop, paused, history] = await Promise.all([
    levelInForce(deps, evaluator, action.target),
    estopEngaged(deps),
    pausedBy(deps.db, action.target, action.kind),
    evaluator
      ? historyFor(deps, evaluator, action, actor, purpose, now, options.excludeActionId)
      : Promise.resolve<DecisionContext['history']>({ last: {}, rate: {} }),
  ]);
  const target = deps.targets.get(action.target);
  let state: Record<string, unknown> = {};
  let stateError: string | undefined;
  if (target) {
    try {
      state = await target.driver.readState();
    } catch (err) {
      stateError = `target ${action.target} did not report its state: ${err instanceof Error ? err.message : String(err)}`;
    }
    const problem = stateError
      ? undefined
      : stateProblem(state, evaluator?.data.state_fields[action.kind.split('.')[0]!]);
    if (problem)
      stateError = `target ${action.target} reported state that cannot be decided on: ${problem}`;
  }
  // Earlier members of the same batch are not stored yet: they count toward its rate limits here.
  history.rate = withAhead(history.rate, options.aheadInBatch, now);
  const clock = clockAt(now, deps.config.timezone);
  const world: WorldFacts = {
    ...(stateError ? { stateUnavailable: stateError } : {}),
    ...(paused ? { pausedBy: paused } : {}),
  };
  return {
    context: {
      level,
      state,
      history,
      now,
      estop,
      clock,
      ...(options.batchSize ? { batch: { size: options.batchSize } } : {}),
    },
    world,
  };
}

export async function levelInForce(
  deps: Deps,
  evaluator: PolicyEvaluator | undefined,
  target: string,
): Promise<string> {
  const configured = deps.targets.get(target)?.initialLevel ?? 'L1';
  const raw = (await storedLevel(deps.db, target)) ?? configured;
  const level = resolveLevel(evaluator?.data, raw) ?? raw;
  const ceiling =
    resolveLevel(evaluator?.data, deps.config.autonomy.ceiling) ?? deps.config.autonomy.ceiling;
  return lowerOf(evaluator?.data, level, ceiling);
}

export async function estopEngaged(deps: Deps): Promise<boolean> {
  const row = await estopRow(deps.db);
  // No row means the schema is broken: treat as engaged (fail closed).
  return row ? Number(row.engaged) === 1 : true;
}

/** Whether a rate limit covers a kind: listed exactly, or by a prefix pattern ending in `*`. */
export function limitApplies(limit: RateLimit, kind: string): boolean {
  return limit.kinds.some(
    (p) => p === kind || (p.endsWith('*') && kind.startsWith(p.slice(0, -1))),
  );
}

/**
 * The rate-limit windows that cover an action, counted on `db`: the database, or the
 * transaction that records the proposal (settleRates in propose.ts counts them again there).
 */
export async function rateWindows(
  db: Conn,
  evaluator: PolicyEvaluator,
  action: Pick<ActionEnvelope, 'kind' | 'target'>,
  actor: Actor,
  purpose: ContextPurpose,
  now: number,
  excludeActionId?: string,
): Promise<DecisionContext['history']['rate']> {
  const exclude = excludeActionId ? { excludeActionId } : {};
  const rate: DecisionContext['history']['rate'] = {};
  // Counted before the proposal is inserted: proposals racing could each see room for one
  // more, so a proposal's windows are counted again where it is recorded.
  const limits = evaluator.data.rate_limits.filter((l) => limitApplies(l, action.kind));
  await Promise.all(
    limits.map(async (limit) => {
      const window = await countInWindow(db, {
        purpose,
        since: now - limit.window_seconds * 1000,
        ...exclude,
        ...(limit.per.includes('actor') ? { proposer: actor.id } : {}),
        ...(limit.per.includes('target') ? { target: action.target } : {}),
        kindPatterns: limit.per.includes('kind') ? [action.kind] : limit.kinds,
      });
      rate[limit.id] =
        window.oldest !== undefined
          ? { count: window.count, oldest_at: window.oldest }
          : { count: window.count };
    }),
  );
  return rate;
}

/** Adds a batch's earlier members, not stored yet, to the windows they count toward. */
export function withAhead(
  rate: DecisionContext['history']['rate'],
  aheadInBatch: Record<string, number> | undefined,
  now: number,
): DecisionContext['history']['rate'] {
  const out = { ...rate };
  for (const [id, extra] of Object.entries(aheadInBatch ?? {})) {
    const seen = out[id];
    out[id] = { count: (seen?.count ?? 0) + extra, oldest_at: seen?.oldest_at ?? now };
  }
  return out;
}

async function historyFor(
  deps: Deps,
  evaluator: PolicyEvaluator,
  action: Pick<ActionEnvelope, 'kind' | 'target'>,
  actor: Actor,
  purpose: ContextPurpose,
  now: number,
  excludeActionId: string | undefined,
): Promise<DecisionContext['history']> {
  const rate = await rateWindows(deps.db, evaluator, action, actor, purpose, now, excludeActionId);
  const exclude = excludeActionId ? { excludeActionId } : {};
  const last: DecisionContext['history']['last'] = {};
  const manifest = evaluator.data.invariant_manifest;
  const ramp = evaluator.data.catalog[action.kind]?.constraints?.ramp as
    { param?: unknown } | undefined;
  const rampParam = ramp && typeof ramp.param === 'string' ? ramp.param : undefined;
  if (rampParam || manifest?.last.includes(action.kind)) {
    const prev = await lastCompleted(deps.db, action.target, action.kind);
    if (prev) {
      const params = JSON.parse(prev.params) as Record<string, unknown>;
      const value = rampParam ? params[rampParam] : undefined;
      last[action.kind] = {
        at: prev.finishedAt,
        params,
        ...(typeof value === 'number' ? { value } : {}),
      };
    }
  }

  // Windowed counts the invariants ask for: per target, one indexed count each. The glob was
  // resolved against the catalog when compiling: a kind outside it is never accepted.
  const counts: Record<string, number> = {};
  await Promise.all(
    (manifest?.counts ?? []).map(async (c) => {
      counts[countKey(c)] = (
        await countInWindow(deps.db, {
          purpose,
          since: now - c.window_ms,
          ...exclude,
          target: action.target,
          kinds: c.kinds,
        })
      ).count;
    }),
  );
  return { last, rate, counts };
}
