/**
 * Builds a decision's context from the world: the level in force, the target's live state,
 * recent history (last values for ramps, counts for rate limits), the emergency stop and now.
 */
import { sql } from 'kysely';
import type { ActionEnvelope, Actor } from '../schema/action.ts';
import type { DecisionContext } from '../schema/context.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { RateLimit } from '../schema/policy-data.ts';
import type { Deps } from './deps.ts';
import { lowerOf, resolveLevel, storedLevel } from './levels.ts';

export type ContextPurpose =
  /** Counting accepted proposals, before the decision. */
  | 'proposal'
  /** Counting started executions, at the time-of-use re-check. */
  | 'execution';

export interface BuiltContext {
  context: DecisionContext;
  /** Set when the target's state could not be read: the caller must deny. */
  stateError?: string;
}

export async function buildContext(
  deps: Deps,
  evaluator: PolicyEvaluator | undefined,
  action: Pick<ActionEnvelope, 'kind' | 'target'>,
  actor: Actor,
  purpose: ContextPurpose,
  excludeActionId?: string,
): Promise<BuiltContext> {
  const now = deps.now();
  const [level, estop, history] = await Promise.all([
    levelInForce(deps, evaluator, action.target),
    estopEngaged(deps),
    evaluator ? historyFor(deps, evaluator, action, actor, purpose, now, excludeActionId) : Promise.resolve({ last: {}, rate: {} }),
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
  }
  return { context: { level, state, history, now, estop }, ...(stateError ? { stateError } : {}) };
}

export async function levelInForce(deps: Deps, evaluator: PolicyEvaluator | undefined, target: string): Promise<string> {
  const configured = deps.targets.get(target)?.initialLevel ?? 'L1';
  const raw = (await storedLevel(deps.db, target)) ?? configured;
  const level = resolveLevel(evaluator?.data, raw) ?? raw;
  const ceiling = resolveLevel(evaluator?.data, deps.config.autonomy.ceiling) ?? deps.config.autonomy.ceiling;
  return lowerOf(evaluator?.data, level, ceiling);
}

export async function estopEngaged(deps: Deps): Promise<boolean> {
  const row = await deps.db.selectFrom('estop').select('engaged').where('id', '=', 1).executeTakeFirst();
  // No row means the schema is broken: treat as engaged (fail closed).
  return row ? Number(row.engaged) === 1 : true;
}

/** Whether a rate limit covers a kind: listed exactly, or by a prefix pattern ending in `*`. */
export function limitApplies(limit: RateLimit, kind: string): boolean {
  return limit.kinds.some((p) => p === kind || (p.endsWith('*') && kind.startsWith(p.slice(0, -1))));
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
  const rate: DecisionContext['history']['rate'] = {};
  // Counted before the proposal is inserted: two proposals racing can both see room for one
  // more. The executor's re-check counts executions, so an actuation limit still holds.
  const limits = evaluator.data.rate_limits.filter((l) => limitApplies(l, action.kind));
  await Promise.all(
    limits.map(async (limit) => {
      const since = now - limit.window_seconds * 1000;
      const timeColumn = purpose === 'proposal' ? 'created_at' : 'started_at';
      let q = deps.db
        .selectFrom('actions')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min(timeColumn).as('oldest')])
        .where(timeColumn, '>=', since);
      q = purpose === 'proposal' ? q.where('status', 'not in', ['DENIED']) : q.where('started_at', 'is not', null);
      if (excludeActionId) q = q.where('id', '!=', excludeActionId);
      if (limit.per.includes('actor')) q = q.where('proposer', '=', actor.id);
      if (limit.per.includes('target')) q = q.where('target', '=', action.target);
      if (limit.per.includes('kind')) q = q.where('kind', '=', action.kind);
      if (!limit.kinds.includes('*')) {
        q = q.where((eb) =>
          eb.or(
            limit.kinds.map((p) =>
              p.endsWith('*') ? eb(sql`substr(kind, 1, ${p.length - 1})`, '=', p.slice(0, -1)) : eb('kind', '=', p),
            ),
          ),
        );
      }
      const row = await q.executeTakeFirstOrThrow();
      const count = Number(row.n);
      rate[limit.id] = count > 0 && row.oldest !== null ? { count, oldest_at: Number(row.oldest) } : { count };
    }),
  );

  const last: DecisionContext['history']['last'] = {};
  const ramp = evaluator.data.catalog[action.kind]?.constraints?.ramp as { param?: unknown } | undefined;
  if (ramp && typeof ramp.param === 'string') {
    const prev = await deps.db
      .selectFrom('actions')
      .select(['params', 'finished_at'])
      .where('target', '=', action.target)
      .where('kind', '=', action.kind)
      .where('status', '=', 'COMPLETED')
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const value = prev ? (JSON.parse(prev.params) as Record<string, unknown>)[ramp.param] : undefined;
    if (prev && typeof value === 'number' && prev.finished_at !== null) last[action.kind] = { value, at: Number(prev.finished_at) };
  }
  return { last, rate };
}
