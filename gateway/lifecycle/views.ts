/** The API's view of actions and decisions, built from rows. */
import type { Decision, DecisionView } from '../schema/decision.ts';
import type { ActionView } from '../schema/views.ts';
import type { ActionsTable, ApprovalsTable, DecisionsTable } from '../store/types.ts';
import { isStatus } from './states.ts';

export type { ActionView };

export type { DecisionView };

export { actionDigest } from '../schema/canonical-json.ts';

const iso = (ms: number | null): string | null =>
  ms === null ? null : new Date(Number(ms)).toISOString();

export function actionView(
  row: ActionsTable,
  approvals: Pick<ApprovalsTable, 'actor' | 'role' | 'verdict' | 'created_at'>[] = [],
): ActionView {
  return {
    id: row.id,
    kind: row.kind,
    target: row.target,
    params: JSON.parse(row.params) as Record<string, unknown>,
    rationale: row.rationale,
    confidence: row.confidence,
    proposer: row.proposer,
    idempotencyKey: row.idempotency_key,
    status: isStatus(row.status) ? row.status : 'UNKNOWN',
    statusReason: row.status_reason,
    level: row.level,
    batchId: row.batch_id,
    batchSeq: row.batch_seq,
    digest: row.action_digest,
    approvals: {
      required: Number(row.approvals_required),
      roles: JSON.parse(row.approval_roles) as string[],
      granted: approvals
        .filter((a) => a.verdict === 'approve')
        .map((a) => ({ actor: a.actor, role: a.role, at: iso(a.created_at) ?? '' })),
    },
    expiresAt: iso(row.expires_at),
    vetoDeadline: iso(row.veto_deadline),
    createdAt: iso(row.created_at) ?? '',
    updatedAt: iso(row.updated_at) ?? '',
    approvedAt: iso(row.approved_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    attempts: Number(row.attempts),
    outcome: row.outcome ? (JSON.parse(row.outcome) as Record<string, unknown>) : null,
  };
}

export function decisionView(row: DecisionsTable): DecisionView {
  const approval = row.approval ? (JSON.parse(row.approval) as Decision['approval']) : undefined;
  return {
    id: row.id,
    level: row.level,
    createdAt: iso(row.created_at) ?? '',
    effect: row.effect as Decision['effect'],
    stage: row.stage as Decision['stage'],
    reasons: JSON.parse(row.reasons) as string[],
    rules: JSON.parse(row.rules) as string[],
    ...(approval ? { approval } : {}),
    ...(Number(row.recommendation) === 1 ? { recommendation: true } : {}),
    ...(row.retry_after_seconds !== null
      ? { retryAfterSeconds: Number(row.retry_after_seconds) }
      : {}),
    invariants: JSON.parse(row.invariants) as Decision['invariants'],
    policyDigest: row.policy_digest,
    ...(row.policy_signer ? { policySigner: row.policy_signer } : {}),
    timings: JSON.parse(row.timings) as Decision['timings'],
    ...(row.state_used ? { stateUsed: JSON.parse(row.state_used) as Record<string, unknown> } : {}),
  };
}

/** The decision as recorded in the audit log: everything needed to explain it later. */
export function decisionAuditPayload(
  id: string,
  level: string,
  d: Decision,
  purpose: string,
): Record<string, unknown> {
  return {
    decision_id: id,
    purpose,
    level,
    effect: d.effect,
    stage: d.stage,
    reasons: d.reasons,
    rules: d.rules,
    ...(d.approval ? { approval: d.approval } : {}),
    ...(d.recommendation ? { recommendation: true } : {}),
    ...(d.retryAfterSeconds !== undefined ? { retry_after_seconds: d.retryAfterSeconds } : {}),
    invariants: d.invariants,
    policy_digest: d.policyDigest,
    ...(d.policySigner ? { policy_signer: d.policySigner } : {}),
    ...(d.issues ? { issues: d.issues } : {}),
  };
}
