/**
 * One state transition: a conditional update (`WHERE status = from`) and its audit record in
 * the caller's transaction. It happens exactly once: a second caller finds the status moved
 * on and gets `false`, whatever process it runs in.
 */
import { appendAudit, type AuditEntry, type Tx } from '../audit/append.ts';
import { InterlockError } from '../schema/errors.ts';
import { moveStatus } from '../store/actions.ts';
import type { ActionsTable } from '../store/types.ts';
import type { LifecycleEvent } from './events.ts';
import { canTransition, type Status } from './states.ts';

export interface TransitionRequest {
  id: string;
  from: Status;
  to: Status;
  actor: string;
  reason?: string | null;
  /** Other columns to set with the status. */
  set?: Partial<Omit<ActionsTable, 'id' | 'status'>>;
  /** Extra facts for the audit record. */
  detail?: Record<string, unknown>;
  at?: number;
}

/**
 * Moves an action and records the move. With `auditTo`, the record is added there for the
 * caller to append with others (in order) instead of being appended at once.
 */
export async function transition(
  trx: Tx,
  req: TransitionRequest,
  events?: LifecycleEvent[],
  auditTo?: AuditEntry[],
): Promise<boolean> {
  if (!canTransition(req.from, req.to)) {
    throw new InterlockError(
      'internal',
      `the lifecycle has no transition ${req.from} -> ${req.to}`,
    );
  }
  const at = req.at ?? Date.now();
  const moved = await moveStatus(trx, {
    id: req.id,
    from: req.from,
    to: req.to,
    reason: req.reason ?? null,
    at,
    ...(req.set ? { set: req.set } : {}),
  });
  if (!moved) return false;
  const entry: AuditEntry = {
    type: `action.${req.to.toLowerCase()}`,
    actionId: req.id,
    actor: req.actor,
    at,
    payload: {
      from: req.from,
      to: req.to,
      ...(req.reason ? { reason: req.reason } : {}),
      ...req.detail,
    },
  };
  if (auditTo) auditTo.push(entry);
  else await appendAudit(trx, entry);
  events?.push({
    type: 'action.status',
    actionId: req.id,
    status: req.to,
    at,
    detail: { from: req.from, ...(req.reason ? { reason: req.reason } : {}) },
  });
  return true;
}
