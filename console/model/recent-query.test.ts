import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATUSES } from '../../gateway/lifecycle/states.ts';
import { parseRecentFilter, SEVERITIES, statusesWithSeverity } from './recent-query.ts';
import { severityOf } from './severity.ts';

describe("the queue's Recent filters", () => {
  it('turns the form into a query: names, statuses, a time range in the zone, text', () => {
    const f = parseRecentFilter(
      {
        target: 'roaster-1',
        kind: 'roaster.set_power',
        proposer: 'agent-1',
        status: 'DENIED',
        from: '2026-12-02T14:00',
        to: '2026-12-02T15:00',
        q: ' rm -rf ',
        open: 'ignored',
      },
      'Europe/Berlin',
    );
    expect(f.notices).toEqual([]);
    expect(f.filtered).toBe(true);
    expect(f.search).toEqual({
      limit: 50,
      target: 'roaster-1',
      kind: 'roaster.set_power',
      proposer: 'agent-1',
      statuses: ['DENIED'],
      from: Date.parse('2026-12-02T13:00:00Z'),
      to: Date.parse('2026-12-02T14:00:00Z'),
      text: 'rm -rf',
    });
  });

  it('drops what does not parse and names the field, keeping the rest', () => {
    const f = parseRecentFilter(
      { status: 'EXPLODED', severity: 'loud', from: 'yesterday', target: 'a\u0000b', kind: 'k' },
      'UTC',
    );
    expect(f.notices.map((n) => n.field).sort()).toEqual(['from', 'severity', 'status', 'target']);
    expect(f.search).toEqual({ limit: 50, kind: 'k' });
  });

  it('a severity asks for every status a row of that severity can have, and no other', () => {
    for (const severity of SEVERITIES) {
      const statuses = statusesWithSeverity(severity);
      for (const status of STATUSES) {
        const possible =
          [true, false].some(
            (recoveryKind) =>
              severityOf({ status, recoveryKind, acknowledged: false }) === severity,
          ) ||
          (severity === 'INFO' &&
            severityOf({
              status,
              recoveryKind: false,
              acknowledged: false,
              recommendation: true,
            }) === 'INFO' &&
            status === 'DENIED');
        expect(statuses.includes(status), `${severity} ${status}`).toBe(possible);
      }
    }
    // A status and a severity that cannot go together match nothing, rather than everything.
    expect(
      parseRecentFilter({ status: 'COMPLETED', severity: 'ERROR' }, 'UTC').search.statuses,
    ).toEqual([]);
  });

  it('takes a cursor only as the gateway writes one: a bad one is named, never sent to the database', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    expect(parseRecentFilter({ cursor: b64('1700000000000:act-1') }, 'UTC').search.cursor).toBe(
      b64('1700000000000:act-1'),
    );
    for (const bad of [
      '1.5:x',
      '1e308:x',
      '-1:x',
      '123:\u0000',
      ':x',
      '12',
      '12:',
      'NaN:x',
      '9007199254740993:x',
      `1:${'x'.repeat(101)}`,
    ]) {
      const f = parseRecentFilter({ cursor: b64(bad) }, 'UTC');
      expect(f.search.cursor, bad).toBeUndefined();
      expect(f.notices.map((n) => n.field)).toEqual(['cursor']);
    }
    expect(parseRecentFilter({ cursor: 'zzz' }, 'UTC').notices.map((n) => n.field)).toEqual([
      'cursor',
    ]);
  });

  it('never throws, whatever the query string holds', () => {
    const field = fc.constantFrom(
      'target',
      'kind',
      'proposer',
      'status',
      'severity',
      'from',
      'to',
      'q',
      'cursor',
      'x',
    );
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constantFrom('\ud800', '\u200b', '\t\u000b\u00a0\u3000', 'x'.repeat(100_000), '%_\\'),
    );
    fc.assert(
      fc.property(fc.dictionary(field, value), (query) => {
        const f = parseRecentFilter(query, 'America/New_York');
        expect(f.search.limit).toBe(50);
        for (const v of Object.values(f.values)) expect(v.length).toBeLessThanOrEqual(200);
      }),
    );
  });
});
