/**
 * Who may do what: one table for the HTTP routes, the lifecycle's own checks and what the
 * console offers. The lifecycle enforces; the console only asks, so what it shows a person can
 * never drift from what the gateway would let them do.
 */
import { sameName } from './names.ts';
import { ROLES, type Principal, type Role } from './principal.ts';

/** Roles per capability. */
export const MAY = {
  /** Propose actions and batches, dry-run decisions. */
  propose: ['agent', 'operator', 'admin'],
  /** Approve, reject, veto, abort, engage the stop, lower a level, acknowledge. */
  decide: ['operator', 'admin'],
  /** Read actions, batches, decisions and policies. */
  read: [...ROLES],
  /** Watch live events, breakers and readiness; sign in to the console. */
  observe: ['operator', 'admin', 'auditor'],
  /** Read and export the audit log and evidence. */
  audit: ['auditor', 'admin'],
  /** Tokens, policy reloads, breaker rules, raising a level. */
  administer: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Capability = keyof typeof MAY;

export function may(role: Role, capability: Capability): boolean {
  return (MAY[capability] as readonly Role[]).includes(role);
}

/** The roles an action's approval requirement names, or the deciders when it names none. */
export function approverRoles(required: readonly string[]): readonly string[] {
  return required.length > 0 ? required : MAY.decide;
}

/** What a verdict needs to know about the action it is on. */
export interface VerdictSubject {
  status: string;
  proposer: string;
  /** Roles the approval requirement names (empty: any decider). */
  approvalRoles: readonly string[];
  /** People who have approved so far. */
  approvedBy: readonly string[];
}

export type VerdictKind = 'approve' | 'reject' | 'veto' | 'cancel' | 'abort';

/**
 * refusal(principal, verdict, subject): why the principal may not give this verdict on this
 * action, or undefined when they may. Checks roles and people only; the lifecycle also checks
 * the status and deadline at the moment it holds the row.
 */
export function refusal(
  principal: Principal,
  verdict: VerdictKind,
  subject: VerdictSubject,
): { code: 'forbidden' | 'conflict'; message: string } | undefined {
  const own = sameName(subject.proposer, principal.id);
  const needs = (roles: readonly string[], what: string) =>
    roles.includes(principal.role)
      ? undefined
      : {
          code: 'forbidden' as const,
          message: `role ${principal.role} cannot ${what}; it needs one of: ${roles.join(', ')}`,
        };
  switch (verdict) {
    case 'approve': {
      const role = needs(approverRoles(subject.approvalRoles), 'approve this action');
      if (role) return role;
      if (own)
        return {
          code: 'forbidden',
          message: `${principal.id} proposed this action and cannot approve it`,
        };
      if (subject.approvedBy.some((a) => sameName(a, principal.id)))
        return {
          code: 'conflict',
          message: `${principal.id} has already approved this action; an approver counts once`,
        };
      return undefined;
    }
    case 'reject':
    case 'veto':
      return needs(approverRoles(subject.approvalRoles), `${verdict} this action`);
    case 'cancel':
      return own
        ? undefined
        : needs(MAY.decide, `cancel an action proposed by ${subject.proposer}`);
    case 'abort':
      return needs(MAY.decide, 'abort an execution');
  }
}
