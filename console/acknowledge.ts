/** Acknowledging an alert: the operator takes ownership of an ERROR or WARN row; recorded once per action. */
import { appendAudit } from '../gateway/audit/append.ts';
import type { Principal } from '../gateway/auth/tokens.ts';
import { inTx, type Deps } from '../gateway/lifecycle/deps.ts';
import { PENDING } from '../gateway/lifecycle/states.ts';
import { InterlockError } from '../gateway/schema/errors.ts';

export async function acknowledge(deps: Deps, principal: Principal, actionId: string, note: string | undefined): Promise<{ acknowledged: true; by: string }> {
  return inTx(deps, async (trx, events) => {
    const action = await trx.selectFrom('actions').select(['status', 'target']).where('id', '=', actionId).executeTakeFirst();
    if (!action) throw new InterlockError('not_found', `no action ${actionId}`, { field: 'id' });
    if ((PENDING as readonly string[]).includes(action.status)) throw new InterlockError('conflict', `action ${actionId} is ${action.status}: decide it (approve or reject) instead of acknowledging it`, { field: 'status' });
    const existing = await trx.selectFrom('acknowledgements').select('actor').where('action_id', '=', actionId).executeTakeFirst();
    if (existing) return { acknowledged: true as const, by: existing.actor };
    const now = deps.now();
    await trx.insertInto('acknowledgements').values({ action_id: actionId, actor: principal.id, note: note ?? null, created_at: now }).execute();
    await appendAudit(trx, { type: 'action.acknowledged', actionId, actor: principal.id, at: now, payload: { status: action.status, ...(note ? { note } : {}) } });
    events.push({ type: 'action.acknowledged', actionId, target: action.target, at: now, detail: { by: principal.id } });
    return { acknowledged: true as const, by: principal.id };
  });
}
