/**
 * Builds a decision's context from the world: the level in force, the target's live state,
 * recent history (last values for ramps, counts for rate limits), the emergency stop and now.
 */
import { sql } from 'kysely';
import type { WorldFacts } from '../decide/pipeline.ts';
import type { ActionEnvelope, Actor } from '../schema/action.ts';
import { countKey, type DecisionContext } from '../schema/context.ts';
import type { PolicyEvaluator } from '../schema/evaluator.ts';
import type { RateLimit } from '../schema/policy-data.ts';
import { stateProblem } from '../schema/state-check.ts';
import { pausedBy } from '../store/breakers.ts';
import type { Deps } from './deps.ts';
import { lowerOf, resolveLevel, storedLevel } from './levels.ts';

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
  options: { excludeActionId?: string; batchSize?: number; aheadInBatch?: Record<string, number> } = {},
): Promise<BuiltContext> {
  const now = deps.now();
  const [level, estop, paused, history] = await Promise.all([
    levelInForce(deps, evaluator, action.target),
    estopEngaged(deps),
    pausedBy(deps.db, action.target, action.kind),
    evaluator ? historyFor(deps, evaluator, action, actor, purpose, now, options.excludeActionId) : Promise.resolve<DecisionContext['history']>({ last: {}, rate: {} }),
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
    const problem = stateError ? undefined : stateProblem(state, evaluator?.data.state_fields[action.kind.split('.')[0]!]);
    if (problem) stateError = `target ${action.target} reported state that cannot be decided on: ${problem}`;
  }
  // Earlier members of the same batch are not stored yet: they count toward its rate limits here.
  for (const [id, extra] of Object.entries(options.aheadInBatch ?? {})) {
    const seen = history.rate[id];
    history.rate[id] = { count: (seen?.count ?? 0) + extra, oldest_at: seen?.oldest_at ?? now };
  }
  const clock = clockAt(now, deps.config.timezone);
  const world: WorldFacts = { ...(stateError ? { stateUnavailable: stateError } : {}), ...(paused ? { pausedBy: paused } : {}) };
  return { context: { level, state, history, now, estop, clock, ...(options.batchSize ? { batch: { size: options.batchSize } } : {}) }, world };
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

/**
 * The actions a window counts: accepted proposals created in it, or, at the time-of-use
 * re-check, executions started in it. Rate limits and the invariants' counts share it.
 */
function windowed(deps: Deps, purpose: ContextPurpose, since: number, excludeActionId: string | undefined) {
  const timeColumn: 'created_at' | 'started_at' = purpose === 'proposal' ? 'created_at' : 'started_at';
  let q = deps.db.selectFrom('actions').where(timeColumn, '>=', since);
  q = purpose === 'proposal' ? q.where('status', 'not in', ['DENIED']) : q.where('started_at', 'is not', null);
  if (excludeActionId) q = q.where('id', '!=', excludeActionId);
  return { q, timeColumn };
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
      const { q: counted, timeColumn } = windowed(deps, purpose, now - limit.window_seconds * 1000, excludeActionId);
      let q = counted.select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min(timeColumn).as('oldest')]);
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
  const manifest = evaluator.data.invariant_manifest;
  const ramp = evaluator.data.catalog[action.kind]?.constraints?.ramp as { param?: unknown } | undefined;
  const rampParam = ramp && typeof ramp.param === 'string' ? ramp.param : undefined;
  if (rampParam || manifest?.last.includes(action.kind)) {
    const prev = await deps.db
      .selectFrom('actions')
      .select(['params', 'finished_at'])
      .where('target', '=', action.target)
      .where('kind', '=', action.kind)
      .where('status', '=', 'COMPLETED')
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (prev && prev.finished_at !== null) {
      const params = JSON.parse(prev.params) as Record<string, unknown>;
      const value = rampParam ? params[rampParam] : undefined;
      last[action.kind] = { at: Number(prev.finished_at), params, ...(typeof value === 'number' ? { value } : {}) };
    }
  }

  // Windowed counts the invariants ask for: per target, one indexed count each.
  const counts: Record<string, number> = {};
  await Promise.all(
    (manifest?.counts ?? []).map(async (c) => {
      const q = windowed(deps, purpose, now - c.window_ms, excludeActionId).q.select((eb) => eb.fn.countAll<number>().as('n')).where('target', '=', action.target);
      const key = countKey(c);
      // The glob was resolved against the catalog when compiling: a kind outside it is never accepted.
      if (c.kinds.length === 0) {
        counts[key] = 0;
        return;
      }
      counts[key] = Number((await q.where('kind', 'in', c.kinds).executeTakeFirstOrThrow()).n);
    }),
  );
  return { last, rate, counts };
}

/** Minute of the day and weekday (0 = Sunday) at `now` in a time zone. */
export function clockAt(now: number, timeZone: string): { minute: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', weekday: 'short', hourCycle: 'h23' }).formatToParts(now);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part('weekday'));
  return { minute: Number(part('hour')) * 60 + Number(part('minute')), weekday: Math.max(0, weekday) };
}
