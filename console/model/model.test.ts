import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATUSES, type Status } from '../../gateway/lifecycle/states.ts';
import { confidencePill } from './confidence.ts';
import { actionLabel, clip } from '../../gateway/decide/action-label.ts';
import { queueOrder, type QueueKey } from './queue.ts';
import { HEADLINE_MAX, headline, severityOf, statusLine } from './severity.ts';
import { laneOf, tickLabel, ticks, timelineEvents, type TimelineRecord } from './timeline.ts';

describe('labels', () => {
  it('fills the catalog template and names the target', () => {
    expect(
      actionLabel(
        'roaster.set_power',
        'roaster-1',
        { value: 80 },
        { label: 'Set burner power to {value} %', risk: 'low', params: {} },
      ),
    ).toBe('Set burner power to 80 % on roaster-1');
    expect(actionLabel('x.y', 't', { a: 1 }, undefined)).toBe('x.y {"a":1} on t');
    expect(actionLabel('x.y', 't', {}, { label: 'Do {missing}', risk: 'low', params: {} })).toBe(
      'Do ? on t',
    );
  });
  it('clips by characters, not UTF-16 units', () => {
    expect(clip('°°°°°', 3)).toBe('°°…');
    expect([...clip('🔥'.repeat(10), 4)]).toHaveLength(4);
  });
});

describe('confidence pill', () => {
  it('bands the score and shows raw and percent', () => {
    expect(confidencePill(0.86)).toEqual({ band: 'high', label: 'High', detail: '0.86 (86%)' });
    expect(confidencePill(0.8).band).toBe('high');
    expect(confidencePill(0.79).band).toBe('medium');
    expect(confidencePill(0.5).band).toBe('medium');
    expect(confidencePill(0.49).band).toBe('low');
    expect(confidencePill(null).band).toBe('none');
  });
});

describe('severity and copy', () => {
  it('maps statuses to the radio document’s severities', () => {
    const sev = (status: Status, recoveryKind = false) =>
      severityOf({ status, recoveryKind, acknowledged: false });
    expect(sev('FAILED')).toBe('ERROR');
    expect(sev('DENIED')).toBe('ERROR');
    expect(sev('PENDING_APPROVAL')).toBe('WARN');
    expect(sev('COMPLETED')).toBe('INFO');
    expect(sev('COMPLETED', true)).toBe('RECOVERED');
  });
  it('keeps every headline within 90 characters, state first', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATUSES),
        fc.string({ maxLength: 400 }),
        fc.boolean(),
        (status, label, recovery) => {
          const severity = severityOf({ status, recoveryKind: recovery, acknowledged: false });
          const h = headline(status, label, severity);
          expect([...h].length).toBeLessThanOrEqual(HEADLINE_MAX);
          expect(h.startsWith(statusLine(status, severity).split(':')[0] ?? '')).toBe(true);
        },
      ),
    );
  });
});

describe('queue order', () => {
  it('pins unresolved ERROR above unresolved WARN above the rest, newest first within each', () => {
    const k = (
      id: string,
      severity: QueueKey['severity'],
      unresolved: boolean,
      createdAt: number,
    ): QueueKey => ({ id, severity, unresolved, createdAt });
    const keys = [
      k('old-error', 'ERROR', true, 1),
      k('new-info', 'INFO', false, 9),
      k('warn', 'WARN', true, 5),
      k('acked-error', 'ERROR', false, 8),
      k('new-error', 'ERROR', true, 3),
    ];
    expect(keys.sort(queueOrder).map((x) => x.id)).toEqual([
      'new-error',
      'old-error',
      'warn',
      'new-info',
      'acked-error',
    ]);
  });
});

describe('timeline', () => {
  const rec = (
    seq: number,
    type: string,
    actor: string,
    payload: Record<string, unknown> = {},
  ): TimelineRecord => ({
    seq,
    ts: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    type,
    actor,
    actionId: null,
    payload,
  });
  it('sorts records into decision, incident, intervention and recovery lanes', () => {
    expect(laneOf(rec(1, 'decision.proposal', 'agent', { effect: 'allow' }))).toBe('decision');
    expect(laneOf(rec(2, 'decision.proposal', 'agent', { effect: 'deny' }))).toBe('incident');
    expect(laneOf(rec(3, 'estop.engaged', 'op1'))).toBe('intervention');
    expect(laneOf(rec(4, 'action.cancelled', 'op1'))).toBe('intervention');
    expect(laneOf(rec(5, 'action.cancelled', 'system'))).toBe('incident');
    expect(laneOf(rec(6, 'estop.rearmed', 'op1'))).toBe('recovery');
    expect(laneOf(rec(7, 'driver.error', 'system'))).toBe('incident');
    expect(laneOf(rec(8, 'token.created', 'admin'))).toBeUndefined();
    const events = timelineEvents([
      rec(9, 'estop.rearmed', 'op1', { reason: 'ok' }),
      rec(3, 'estop.engaged', 'op1', { reason: 'smoke' }),
    ]);
    expect(events.map((e) => e.summary)).toEqual([
      'Emergency stop engaged by op1: smoke',
      'Rearmed by op1: ok',
    ]);
  });
  it('ticks every 30 s in an incident-sized window', () => {
    expect(ticks(0, 120_000)).toEqual([0, 30_000, 60_000, 90_000, 120_000]);
    expect(ticks(0, 3_600_000)).toHaveLength(13);
  });
  it('labels every tick differently: seconds when ticks are 30 s apart, minutes otherwise', () => {
    const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
    for (const [from, to] of [
      [0, 900_000],
      [0, 3_600_000],
      [0, 6 * 3_600_000],
    ] as const) {
      const t = ticks(from, to);
      const labels = t.map((at) => tickLabel(hhmmss(at), t[1]! - t[0]!));
      expect(new Set(labels).size, `${to} ms window`).toBe(labels.length);
    }
    expect(tickLabel('14:48:30', 30_000)).toBe('14:48:30');
    expect(tickLabel('14:50:00', 300_000)).toBe('14:50');
  });
});
