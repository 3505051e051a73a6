import { describe, expect, it } from 'vitest';
import type { ActionView } from '../../gateway/schema/views.ts';
import { offersFor } from './offers.ts';

const action = (over: Partial<ActionView> = {}): ActionView =>
  ({
    id: 'a1',
    kind: 'roaster.preheat',
    target: 'roaster-1',
    params: {},
    rationale: null,
    confidence: null,
    proposer: 'agent-1',
    idempotencyKey: null,
    status: 'PENDING_APPROVAL',
    statusReason: null,
    level: 'L3',
    batchId: null,
    batchSeq: null,
    digest: 'd',
    approvals: { required: 1, roles: [], granted: [] },
    expiresAt: null,
    vetoDeadline: null,
    createdAt: '',
    updatedAt: '',
    approvedAt: null,
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    outcome: null,
    ...over,
  }) satisfies ActionView;
const quiet = { severity: 'INFO' as const, acknowledged: false };

describe('what the console offers', () => {
  it('offers a decider the verdicts the lifecycle would accept', () => {
    expect(offersFor({ id: 'op', role: 'operator' }, action(), quiet)).toMatchObject({
      approve: true,
      reject: true,
      cancel: true,
      veto: false,
    });
  });

  it('never offers verdicts to a role that cannot decide, even one the approval names', () => {
    // The API refuses an auditor's verdict whatever the requirement says: so must the console.
    const named = action({ approvals: { required: 1, roles: ['auditor'], granted: [] } });
    expect(offersFor({ id: 'aud', role: 'auditor' }, named, quiet)).toMatchObject({
      approve: false,
      reject: false,
      veto: false,
      abort: false,
    });
  });

  it('offers the proposer cancel, not approve or reject, of their own action', () => {
    expect(offersFor({ id: 'Agent-1', role: 'operator' }, action(), quiet)).toMatchObject({
      approve: false,
      reject: false,
      cancel: true,
    });
  });
});
