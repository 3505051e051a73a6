import { describe, expect, it } from 'vitest';
import { approverRoles, may, MAY, refusal, type VerdictSubject } from './permissions.ts';
import { ROLES } from './principal.ts';

const subject = (over: Partial<VerdictSubject> = {}): VerdictSubject => ({
  status: 'PENDING_APPROVAL',
  proposer: 'agent-1',
  approvalRoles: [],
  approvedBy: [],
  ...over,
});

describe('permissions', () => {
  it('gives each capability to exactly the roles the table names', () => {
    expect(ROLES.filter((r) => may(r, 'decide'))).toEqual(['operator', 'admin']);
    expect(ROLES.filter((r) => may(r, 'propose'))).toEqual(['agent', 'operator', 'admin']);
    expect(ROLES.filter((r) => may(r, 'administer'))).toEqual(['admin']);
    expect(ROLES.filter((r) => may(r, 'audit'))).toEqual(['admin', 'auditor']);
    expect(ROLES.filter((r) => may(r, 'read'))).toEqual([...ROLES]);
    expect(approverRoles([])).toEqual(MAY.decide);
    expect(approverRoles(['admin'])).toEqual(['admin']);
  });

  it('approval: the named roles only, never the proposer (by person), and once per person', () => {
    expect(refusal({ id: 'op-1', role: 'operator' }, 'approve', subject())).toBeUndefined();
    expect(refusal({ id: 'agent-2', role: 'agent' }, 'approve', subject())?.code).toBe('forbidden');
    expect(refusal({ id: 'auditor', role: 'auditor' }, 'approve', subject())?.code).toBe(
      'forbidden',
    );
    expect(
      refusal({ id: 'op-1', role: 'operator' }, 'approve', subject({ approvalRoles: ['admin'] }))
        ?.code,
    ).toBe('forbidden');
    expect(refusal({ id: 'Agent-1', role: 'operator' }, 'approve', subject())?.message).toMatch(
      /proposed this action/,
    );
    expect(
      refusal({ id: 'op-1', role: 'operator' }, 'approve', subject({ approvedBy: ['OP-1'] }))?.code,
    ).toBe('conflict');
  });

  it('cancel: the proposer, or a decider; reject, veto and abort: deciders', () => {
    expect(refusal({ id: 'agent-1', role: 'agent' }, 'cancel', subject())).toBeUndefined();
    expect(refusal({ id: 'agent-2', role: 'agent' }, 'cancel', subject())?.code).toBe('forbidden');
    expect(refusal({ id: 'admin', role: 'admin' }, 'cancel', subject())).toBeUndefined();
    for (const v of ['reject', 'veto', 'abort'] as const) {
      expect(refusal({ id: 'op-1', role: 'operator' }, v, subject())).toBeUndefined();
      expect(refusal({ id: 'agent-1', role: 'agent' }, v, subject())?.code).toBe('forbidden');
      expect(refusal({ id: 'aud', role: 'auditor' }, v, subject())?.code).toBe('forbidden');
    }
  });
});
