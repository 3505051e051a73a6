import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActionView } from '../../gateway/schema/views.ts';
import { firstReason, REASON_MAX, triage } from './triage.ts';
import type { QueueItem } from './view-data.ts';

let n = 0;
function item(over: Partial<ActionView> & { unresolved?: boolean } = {}): QueueItem {
  const { unresolved = true, ...a } = over;
  const action = {
    id: `a${++n}`,
    kind: 'shell.exec',
    target: 'ws-1',
    params: {},
    rationale: null,
    confidence: null,
    proposer: 'agent-1',
    idempotencyKey: null,
    status: 'DENIED',
    statusReason: 'hard-denied pattern rm -rf: rm -rf /',
    level: 'L3',
    batchId: null,
    batchSeq: null,
    digest: 'd',
    approvals: { required: 0, roles: [], granted: [] },
    expiresAt: null,
    vetoDeadline: null,
    createdAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
    updatedAt: '',
    approvedAt: null,
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    outcome: null,
    ...a,
  } satisfies ActionView;
  return {
    action,
    label: `${action.kind} on ${action.target}`,
    headline: '',
    line: '',
    reason: firstReason(action.statusReason),
    recommendation: false,
    severity: 'ERROR',
    unresolved,
    acknowledged: !unresolved,
    confidence: { band: 'none', label: '', detail: '' } as QueueItem['confidence'],
    can: {
      approve: false,
      reject: false,
      veto: false,
      cancel: false,
      abort: false,
      acknowledge: true,
    },
    ownProposal: false,
  };
}

describe('triage', () => {
  it('folds fifty repeats of one denial into one group, and keeps other reasons apart', () => {
    const repeats = Array.from({ length: 50 }, () => item());
    const other = item({ statusReason: 'baseline.bounds.max: power = 120 is above 100' });
    const elsewhere = item({ target: 'ws-2' });
    const t = triage([], [...repeats, other, elsewhere]);
    expect(t.incidents).toHaveLength(3);
    const big = t.incidents.find((g) => g.items.length === 50)!;
    expect(big.first).toBe(Date.parse(repeats[0]!.action.createdAt));
    expect(big.last).toBe(Date.parse(repeats[49]!.action.createdAt));
    expect(big.items[0]!.action.id).toBe(repeats[49]!.action.id);
    // The group with the newest member leads.
    expect(t.incidents[0]!.target).toBe('ws-2');
  });

  it('puts the soonest deadline first among what needs a person, whatever the order given', () => {
    const later = item({ status: 'PENDING_APPROVAL', expiresAt: '2030-01-01T00:10:00Z' });
    const sooner = item({ status: 'PENDING_VETO', vetoDeadline: '2030-01-01T00:01:00Z' });
    const none = item({ status: 'PENDING_APPROVAL', expiresAt: null });
    const settled = item({ status: 'COMPLETED' });
    const t = triage([none, later, settled, sooner], []);
    expect(t.needsYou.map((i) => i.action.id)).toEqual([
      sooner.action.id,
      later.action.id,
      none.action.id,
    ]);
  });

  it('never lists a pending or an acknowledged action as an incident', () => {
    const t = triage(
      [],
      [item({ status: 'PENDING_APPROVAL' }), item({ unresolved: false }), item()],
    );
    expect(t.incidents.flatMap((g) => g.items)).toHaveLength(1);
  });

  it('every incident lands in exactly one group, whatever the reasons hold', () => {
    const reason = fc.oneof(
      fc.constant(null),
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.constantFrom('a; b', ' ; ', '\u2028x', '\ud800', 'x'.repeat(10_000)),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ statusReason: reason, target: fc.constantFrom('t1', 't2') }), {
          maxLength: 60,
        }),
        (specs) => {
          const items = specs.map((s) => item(s));
          const groups = triage([], items).incidents;
          const ids = groups.flatMap((g) => g.items.map((i) => i.action.id)).sort();
          expect(ids).toEqual(items.map((i) => i.action.id).sort());
          for (const g of groups) {
            expect([...(g.reason ?? '')].length).toBeLessThanOrEqual(REASON_MAX);
            for (const i of g.items)
              expect([i.action.target, i.reason]).toEqual([g.target, g.reason]);
          }
        },
      ),
    );
  });

  it('shows the first reason, clipped to 90 characters', () => {
    expect(firstReason('one; two')).toBe('one');
    expect(firstReason(null)).toBeUndefined();
    expect(firstReason('   ')).toBeUndefined();
    const long = firstReason('x'.repeat(200))!;
    expect([...long]).toHaveLength(REASON_MAX);
    expect(long.endsWith('…')).toBe(true);
  });
});
