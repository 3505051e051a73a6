/**
 * Human verdicts on a pending action: approve, reject, veto, cancel. An approval names the
 * action's digest, so it cannot be carried over to anything else; each person counts once;
 * the proposer never approves their own action.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit, type Tx } from '../audit/append.ts';
import { refusal, type VerdictKind } from '../schema/permissions.ts';
import type { Principal } from '../auth/tokens.ts';
import { InterlockError } from '../schema/errors.ts';
import { requireReason } from '../schema/reason.ts';
import { nameKey, sameName } from '../schema/names.ts';
import { approversOf, insertApproval, lockAction as lockActionRow } from '../store/actions.ts';
import type { ActionsTable } from '../store/types.ts';
import { inTx, type Deps } from './deps.ts';
import type { LifecycleEvent } from './events.ts';
import type { Status } from './states.ts';
import { transition } from './transition.ts';

export interface VerdictInput {
  reason?: string;
  /** When given, must equal the action's digest: the approver saw exactly this action. */
  digest?: string;
}

export interface VerdictResult {
  status: Status;
  /** Distinct approvals counted so far and how many are needed. */
  approvals: number;
  required: number;
}

/** Claims the row for this transaction (a row lock on PostgreSQL) and returns it. */
async function lockAction(trx: Tx, id: string, now: number): Promise<ActionsTable> {
  const row = await lockActionRow(trx, id, now);
  if (!row) throw new InterlockError('not_found', `no action ${id}`, { field: 'id' });
  return row;
}

/** Refuses a verdict the permissions table does not give this principal on this action. */
function requirePermission(
  principal: Principal,
  verdict: VerdictKind,
  row: ActionsTable,
  approvedBy: readonly string[] = [],
): void {
  const no = refusal(principal, verdict, {
    status: row.status,
    proposer: row.proposer,
    approvalRoles: JSON.parse(row.approval_roles) as string[],
    approvedBy,
  });
  if (no)
    throw new InterlockError(
      no.code,
      `action ${row.id}: ${no.message}`,
      no.code === 'conflict' ? { field: 'approver' } : {},
    );
}

/**
 * The deadline a verdict on this pending action must beat: the approval timeout, or the end of
 * the veto window. The sweeper moves the action on at that instant (EXPIRED, or APPROVED
 * unvetoed); a verdict that arrives at or after it is refused even if the sweeper has not run
 * yet, so how late the sweeper is never changes what a late verdict does.
 */
function deadlineOf(row: ActionsTable): { at: number; what: string } | undefined {
  if (row.status === 'PENDING_APPROVAL' && row.expires_at !== null)
    return { at: Number(row.expires_at), what: 'its approval timed out' };
  if (row.status === 'PENDING_VETO' && row.veto_deadline !== null)
    return { at: Number(row.veto_deadline), what: 'its veto window closed' };
  return undefined;
}

function refuseAfterDeadline(row: ActionsTable, now: number, verdict: string): void {
  const deadline = deadlineOf(row);
  if (deadline && now >= deadline.at) {
    throw new InterlockError(
      'deadline_passed',
      `action ${row.id} cannot be ${verdict}: ${deadline.what} at ${new Date(deadline.at).toISOString()}`,
      { field: 'status' },
    );
  }
}

function conflict(row: ActionsTable, what: string): InterlockError {
  return new InterlockError('conflict', `action ${row.id} is ${row.status}: it cannot be ${what}`, {
    field: 'status',
  });
}

export async function approve(
  deps: Deps,
  principal: Principal,
  id: string,
  input: VerdictInput,
): Promise<VerdictResult> {
  return inTx(deps, (trx, events) => approveIn(trx, deps, principal, id, input, events));
}

export async function approveIn(
  trx: Tx,
  deps: Deps,
  principal: Principal,
  id: string,
  input: VerdictInput,
  events: LifecycleEvent[],
): Promise<VerdictResult> {
  const row = await lockAction(trx, id, deps.now());
  // The clock is read once the row is ours: a verdict that waited on the lock across the
  // deadline is judged by when it got the row, not by when it asked.
  const now = deps.now();
  requirePermission(principal, 'approve', row);
  if (row.status !== 'PENDING_APPROVAL' && row.status !== 'PENDING_VETO')
    throw conflict(row, 'approved');
  refuseAfterDeadline(row, now, 'approved');
  if (input.digest !== undefined && input.digest !== row.action_digest) {
    throw new InterlockError(
      'conflict',
      `the approval is for digest ${input.digest}, but action ${id} has digest ${row.action_digest}`,
      { field: 'digest' },
    );
  }
  requirePermission(principal, 'approve', row, await approversOf(trx, id));
  await insertApproval(trx, {
    id: randomUUID(),
    action_id: id,
    actor: principal.id,
    role: principal.role,
    verdict: 'approve',
    action_digest: row.action_digest,
    reason: input.reason ?? null,
    created_at: now,
  });
  const count = await countApprovals(trx, id);
  const required = Math.max(Number(row.approvals_required), 1);
  await appendAudit(trx, {
    type: 'approval.granted',
    actionId: id,
    actor: principal.id,
    at: now,
    payload: {
      role: principal.role,
      digest: row.action_digest,
      count,
      required,
      ...(input.reason ? { reason: input.reason } : {}),
    },
  });
  const settles = row.status === 'PENDING_VETO' || count >= required;
  events.push({
    type: 'action.approval',
    actionId: id,
    target: row.target,
    status: row.status,
    at: now,
    detail: {
      by: principal.id,
      count,
      required,
      ...(settles ? { waitedMs: now - Number(row.created_at) } : {}),
    },
  });
  const from = row.status as Status;
  // A veto-window action needs no approval to run; an operator's approval only ends the wait.
  if (from === 'PENDING_VETO' || count >= required) {
    await transition(
      trx,
      {
        id,
        from,
        to: 'APPROVED',
        actor: principal.id,
        reason: `approved by ${count} of ${required}`,
        set: { approved_at: now },
        at: now,
      },
      events,
    );
    return { status: 'APPROVED', approvals: count, required };
  }
  return { status: from, approvals: count, required };
}

/** Approvals counted by person: names that differ only in case or Unicode width are one. */
async function countApprovals(trx: Tx, id: string): Promise<number> {
  return new Set((await approversOf(trx, id)).map(nameKey)).size;
}

type Ending = { from: Status[]; to: Status; needsReason: boolean; past: string };

const ENDINGS: Record<'reject' | 'veto' | 'cancel', Ending> = {
  reject: {
    from: ['PENDING_APPROVAL', 'PENDING_VETO'],
    to: 'REJECTED',
    needsReason: true,
    past: 'rejected',
  },
  veto: { from: ['PENDING_VETO'], to: 'VETOED', needsReason: true, past: 'vetoed' },
  cancel: {
    from: ['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'],
    to: 'CANCELLED',
    needsReason: false,
    past: 'cancelled',
  },
};

/** reject, veto or cancel: each ends a pending action. */
export async function end(
  deps: Deps,
  principal: Principal,
  id: string,
  how: keyof typeof ENDINGS,
  input: VerdictInput,
): Promise<VerdictResult> {
  const ending = ENDINGS[how];
  if (ending.needsReason) requireReason(input.reason, how);
  return inTx(deps, async (trx, events) => {
    const row = await lockAction(trx, id, deps.now());
    const now = deps.now();
    requirePermission(principal, how, row);
    const from = row.status as Status;
    // A REJECT of a PENDING_VETO action is a veto.
    const to: Status = how === 'reject' && from === 'PENDING_VETO' ? 'VETOED' : ending.to;
    if (!ending.from.includes(from)) throw conflict(row, ending.past);
    // A cancel by the proposer withdraws the action whatever the clock says; anyone else's
    // verdict, a cancel included, must beat the deadline like an approval.
    if (how !== 'cancel' || !sameName(row.proposer, principal.id))
      refuseAfterDeadline(row, now, ending.past);
    await insertApproval(
      trx,
      {
        id: randomUUID(),
        action_id: id,
        actor: principal.id,
        role: principal.role,
        verdict: how,
        action_digest: row.action_digest,
        reason: input.reason ?? null,
        created_at: now,
      },
      { ignoreDuplicate: true },
    );
    const moved = await transition(
      trx,
      {
        id,
        from,
        to,
        actor: principal.id,
        reason: input.reason ?? `${how} by ${principal.id}`,
        at: now,
      },
      events,
    );
    if (!moved) throw conflict(row, ending.past);
    return { status: to, approvals: 0, required: Number(row.approvals_required) };
  });
}
