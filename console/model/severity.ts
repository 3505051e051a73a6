/**
 * Severity and headline copy for one action, after the radio operating-modes document's
 * standard: WARN (degraded, still operating), ERROR (risk or breach, act now), RECOVERED
 * (back to stable), INFO otherwise. Headlines lead with state, then impact, then the next
 * action, in at most 90 characters.
 */
import { PENDING, STATUSES, type Status } from '../../gateway/lifecycle/states.ts';
import { clip } from '../../gateway/decide/action-label.ts';

export type Severity = 'ERROR' | 'WARN' | 'RECOVERED' | 'INFO';

export const HEADLINE_MAX = 90;

export interface SeverityFacts {
  status: Status;
  /** The catalog marks recovery kinds (rollback, abort, shutdown) as allowed during a stop. */
  recoveryKind: boolean;
  acknowledged: boolean;
  /** The decision recorded it as a recommendation (L1/L2): nothing failed, nothing is owed. */
  recommendation?: boolean;
}

export function severityOf(f: SeverityFacts): Severity {
  if (f.recommendation) return 'INFO';
  switch (f.status) {
    case 'FAILED':
    case 'UNKNOWN':
    case 'BLOCKED':
    case 'DENIED':
      return 'ERROR';
    case 'PENDING_APPROVAL':
    case 'PENDING_VETO':
    case 'EXPIRED':
    case 'ABORTED':
      return 'WARN';
    case 'COMPLETED':
      return f.recoveryKind ? 'RECOVERED' : 'INFO';
    default:
      return 'INFO';
  }
}

/**
 * The settled statuses that stay unresolved until someone acknowledges them: ERROR and WARN
 * ones that are not waiting for a decision.
 */
export const INCIDENT_STATUSES: readonly Status[] = STATUSES.filter(
  (status) =>
    !PENDING.includes(status) &&
    unresolved(severityOf({ status, recoveryKind: false, acknowledged: false }), false),
);

/** ERROR and WARN rows stay unresolved until acknowledged, or (pending ones) until decided. */
export function unresolved(severity: Severity, acknowledged: boolean): boolean {
  return (severity === 'ERROR' || severity === 'WARN') && !acknowledged;
}

const COPY: Record<Status, { state: string; impact: string; next: string }> = {
  PROPOSED: { state: 'Deciding', impact: 'not applied yet', next: 'Wait' },
  DENIED: { state: 'Blocked', impact: 'policy refused the write', next: 'Review the rule' },
  PENDING_APPROVAL: { state: 'Held', impact: 'waits for approval', next: 'Approve or reject' },
  PENDING_VETO: {
    state: 'Applies soon',
    impact: 'runs when the veto window ends',
    next: 'Veto to stop it',
  },
  APPROVED: { state: 'Approved', impact: 'queued to run', next: 'No action needed' },
  REJECTED: { state: 'Rejected', impact: 'not applied', next: 'No action needed' },
  EXPIRED: {
    state: 'Expired',
    impact: 'nobody approved in time; not applied',
    next: 'Re-propose if needed',
  },
  VETOED: { state: 'Vetoed', impact: 'not applied', next: 'No action needed' },
  CANCELLED: { state: 'Cancelled', impact: 'not applied', next: 'No action needed' },
  BLOCKED: {
    state: 'Blocked at run time',
    impact: 'conditions changed; not applied',
    next: 'Review the trace',
  },
  EXECUTING: { state: 'Running', impact: 'the target is changing', next: 'Abort if wrong' },
  COMPLETED: { state: 'Applied', impact: 'the target reports success', next: 'No action needed' },
  FAILED: { state: 'Failed', impact: 'the target did not apply it', next: 'Check the target' },
  ABORTED: {
    state: 'Aborted',
    impact: 'stopped before completing',
    next: 'Check the target state',
  },
  UNKNOWN: {
    state: 'Outcome unknown',
    impact: 'the target may have applied it',
    next: 'Check the target now',
  },
};

// An L1/L2 proposal the policy recorded instead of running: its status is DENIED, but it is
// information for the operator, not a failure to review.
const RECOMMENDATION = {
  state: 'Recommendation',
  impact: 'recorded, not executed',
  next: 'Act on it if you agree',
};

const copyFor = (status: Status, recommendation: boolean) =>
  recommendation ? RECOMMENDATION : COPY[status];

/** The row's second line: "Held: waits for approval. Approve or reject." */
export function statusLine(status: Status, severity: Severity, recommendation = false): string {
  const c = copyFor(status, recommendation);
  return `${severity === 'RECOVERED' ? 'Recovered' : c.state}: ${c.impact}. ${c.next}.`;
}

/** "Held: Set burner power to 80 % on roaster-1 waits for approval. Approve or reject." */
export function headline(
  status: Status,
  label: string,
  severity: Severity,
  recommendation = false,
): string {
  const c = copyFor(status, recommendation);
  const state = severity === 'RECOVERED' ? 'Recovered' : c.state;
  const tail = ` ${c.impact}. ${c.next}.`;
  const room = HEADLINE_MAX - state.length - 2 - tail.length;
  return `${state}: ${clip(label, Math.max(8, room))}${tail}`;
}
