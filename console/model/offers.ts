/**
 * What the console offers a person on an action: only what the gateway would let them do.
 * Deciding at all is a capability of the role (the routes check it); the lifecycle's own
 * permissions table (gateway/schema/permissions.ts) then says which verdicts are theirs.
 */
import { CANCELLABLE, PENDING } from '../../gateway/lifecycle/states.ts';
import type { ActionView } from '../../gateway/schema/views.ts';
import { may, refusal, type VerdictKind } from '../../gateway/schema/permissions.ts';
import { sameName } from '../../gateway/schema/names.ts';
import type { Principal } from '../../gateway/schema/principal.ts';
import type { Severity } from './severity.ts';

export interface Offers {
  approve: boolean;
  reject: boolean;
  veto: boolean;
  cancel: boolean;
  abort: boolean;
  acknowledge: boolean;
}

export function offersFor(
  viewer: Principal,
  action: ActionView,
  alert: { severity: Severity; acknowledged: boolean },
): Offers {
  const decides = may(viewer.role, 'decide');
  const own = sameName(action.proposer, viewer.id);
  const pending = PENDING.includes(action.status);
  const subject = {
    status: action.status,
    proposer: action.proposer,
    approvalRoles: action.approvals.roles,
    approvedBy: action.approvals.granted.map((g) => g.actor),
  };
  const allowed = (verdict: VerdictKind): boolean =>
    refusal(viewer, verdict, subject) === undefined;
  return {
    approve: decides && pending && allowed('approve'),
    // The proposer is offered cancel, not reject or veto, of their own action.
    reject: decides && !own && action.status === 'PENDING_APPROVAL' && allowed('reject'),
    veto: decides && !own && action.status === 'PENDING_VETO' && allowed('veto'),
    cancel: CANCELLABLE.includes(action.status) && allowed('cancel'),
    abort: action.status === 'EXECUTING' && allowed('abort'),
    acknowledge:
      decides &&
      !pending &&
      (alert.severity === 'ERROR' || alert.severity === 'WARN') &&
      !alert.acknowledged,
  };
}
