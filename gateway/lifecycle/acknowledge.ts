/**
 * Acknowledging an alert: the operator takes ownership of an ERROR or WARN row; recorded once per
 * action.
 */
import { appendAudit } from '../audit/append.ts';
import { InterlockError } from '../schema/errors.ts';
import type { Principal } from '../schema/principal.ts';
import { acknowledgementOf, insertAcknowledgement } from '../store/acknowledgements.ts';
import { actionById } from '../store/actions.ts';
import type { Tx } from '../store/conn.ts';
import { inTx, type Deps } from './deps.ts';
import type { LifecycleEvent } from './events.ts';
import { PENDING } from './states.ts';

export async function acknowledge(
  deps: Deps,
  principal: Principal,
  actionId: string,
  note: string | undefined,
): Promise<{ acknowledged: true; by: string }> {
  return inTx(deps, async (trx, events) => {
    const { acknowledged, by } = await acknowledgeIn(trx, events, deps, principal, actionId, note);
    return { acknowledged, by };
  });
}

/**
 * Acknowledges a group of repeats at once, all or none: one transaction, so a pending action
 * among them refuses the whole group and nothing is half done. Each gets its own audit record.
 */
export async function acknowledgeMany(
  deps: Deps,
  principal: Principal,
  actionIds: readonly string[],
  note: string | undefined,
): Promise<{ acknowledged: number; already: number; by: string }> {
  return inTx(deps, async (trx, events) => {
    let acknowledged = 0;
    let already = 0;
    for (const id of new Set(actionIds)) {
      const r = await acknowledgeIn(trx, events, deps, principal, id, note);
      if (r.by === principal.id && r.now) acknowledged++;
      else already++;
    }
    return { acknowledged, already, by: principal.id };
  });
}

async function acknowledgeIn(
  trx: Tx,
  events: LifecycleEvent[],
  deps: Deps,
  principal: Principal,
  actionId: string,
  note: string | undefined,
): Promise<{ acknowledged: true; by: string; now: boolean }> {
  const action = await actionById(trx, actionId);
  if (!action) throw new InterlockError('not_found', `no action ${actionId}`, { field: 'id' });
  if ((PENDING as readonly string[]).includes(action.status))
    throw new InterlockError(
      'conflict',
      `action ${actionId} is ${action.status}: decide it (approve or reject) instead of acknowledging it`,
      { field: 'status' },
    );
  const existing = await acknowledgementOf(trx, actionId);
  if (existing) return { acknowledged: true as const, by: existing.actor, now: false };
  const now = deps.now();
  await insertAcknowledgement(trx, {
    action_id: actionId,
    actor: principal.id,
    note: note ?? null,
    created_at: now,
  });
  await appendAudit(trx, {
    type: 'action.acknowledged',
    actionId,
    actor: principal.id,
    at: now,
    payload: { status: action.status, ...(note ? { note } : {}) },
  });
  events.push({
    type: 'action.acknowledged',
    actionId,
    target: action.target,
    at: now,
    detail: { by: principal.id },
  });
  return { acknowledged: true as const, by: principal.id, now: true };
}
