/** Reading and changing a target's autonomy level. Raising needs admin; every change is audited. */
import { appendAudit } from '../audit/append.ts';
import type { Principal } from '../auth/tokens.ts';
import { InterlockError, ValidationError } from '../schema/errors.ts';
import { requireReason } from '../schema/reason.ts';
import { estopEngaged, levelInForce } from './context.ts';
import { inTx, type Deps } from './deps.ts';
import { rank, resolveLevel } from './levels.ts';
import { storedLevel, writeLevel } from '../store/levels.ts';
import { openBreakerOn } from '../store/breakers.ts';
import { may } from '../schema/permissions.ts';

export interface AutonomyView {
  target: string;
  /** The level decisions use: the target's level capped by the ceiling. */
  level: string;
  configured: string;
  ceiling: string;
}

export async function getAutonomy(deps: Deps, target: string): Promise<AutonomyView> {
  const t = deps.targets.get(target);
  if (!t) throw new InterlockError('not_found', `no target ${target}`, { field: 'target' });
  const evaluator = deps.policy();
  return {
    target,
    level: await levelInForce(deps, evaluator, target),
    configured: (await storedLevel(deps.db, target)) ?? t.initialLevel,
    ceiling: deps.config.autonomy.ceiling,
  };
}

export async function setAutonomy(
  deps: Deps,
  principal: Principal,
  target: string,
  requested: string,
  reason: string,
  options: { viaProposal?: boolean } = {},
): Promise<AutonomyView> {
  requireReason(reason, 'change the autonomy level');
  if (!deps.targets.has(target))
    throw new InterlockError('not_found', `no target ${target}`, { field: 'target' });
  const evaluator = deps.policy();
  if (!evaluator)
    throw new InterlockError(
      'policy_unavailable',
      'no policy bundle is loaded: levels cannot be checked',
    );
  const level = resolveLevel(evaluator.data, requested);
  if (!level) {
    throw new ValidationError(`unknown level ${requested}`, [
      {
        field: 'level',
        message: `must be one of ${evaluator.data.autonomy.order.join(', ')} or an alias (${Object.keys(evaluator.data.autonomy.aliases).join(', ')})`,
      },
    ]);
  }
  const before = await getAutonomy(deps, target);
  const from = before.configured;
  const raising =
    rank(evaluator.data, level) > rank(evaluator.data, resolveLevel(evaluator.data, from) ?? from);
  if (raising && !may(principal.role, 'administer') && !options.viaProposal)
    throw new InterlockError(
      'forbidden',
      `raising ${target} from ${from} to ${level} needs role admin (you are ${principal.role})`,
    );
  if (raising && (await estopEngaged(deps)))
    throw new InterlockError(
      'conflict',
      'the emergency stop is engaged: rearm before raising a level',
      { field: 'level' },
    );
  if (raising && !options.viaProposal) {
    const open = await openBreakerOn(deps.db, target);
    if (open)
      throw new InterlockError(
        'conflict',
        `circuit breaker ${open.rule} tripped on ${target} and is unresolved: resolve it, then raise`,
        { field: 'level' },
      );
  }
  await inTx(deps, async (trx, events) => {
    const now = deps.now();
    await writeLevel(trx, { target, level, reason, updated_by: principal.id, updated_at: now });
    await appendAudit(trx, {
      type: 'autonomy.changed',
      actor: principal.id,
      at: now,
      payload: {
        target,
        from,
        to: level,
        reason,
        ...(requested !== level ? { alias: requested } : {}),
      },
    });
    events.push({
      type: 'autonomy.changed',
      target,
      at: now,
      detail: { from, to: level, by: principal.id },
    });
  });
  return getAutonomy(deps, target);
}
