/** An actions-table row for tests that write rows directly: neutral values, then overrides. */
import type { ActionsTable } from '../../gateway/store/types.ts';

export function actionRow(over: Partial<ActionsTable> & Pick<ActionsTable, 'id'>): ActionsTable {
  return {
    kind: 'roaster.set_power',
    target: 'roaster-1',
    params: '{}',
    rationale: null,
    confidence: null,
    proposer: 'agent',
    idempotency_key: null,
    request_digest: 'x',
    action_digest: 'y',
    status: 'PENDING_APPROVAL',
    status_reason: null,
    level: 'L3',
    batch_id: null,
    batch_seq: null,
    approvals_required: 1,
    approval_roles: '[]',
    expires_at: null,
    veto_deadline: null,
    created_at: 1,
    updated_at: 1,
    approved_at: null,
    started_at: null,
    finished_at: null,
    executor_id: null,
    lease_until: null,
    attempts: 0,
    outcome: null,
    ...over,
  };
}
