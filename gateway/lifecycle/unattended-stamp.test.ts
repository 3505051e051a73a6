import { afterEach, expect, it } from 'vitest';
import { appendAudit } from '../audit/append.ts';
import { openDatabase, type OpenedDb } from '../store/db.ts';
import { unattendedStamper } from './unattended-stamp.ts';

let opened: OpenedDb | undefined;
afterEach(async () => opened?.close());

const NOON = Date.parse('2026-12-02T12:00:00Z');
const NIGHT = Date.parse('2026-12-02T23:30:00Z');

async function stampedPayloads(
  windows: Parameters<typeof unattendedStamper>[0],
  entries: { target?: string; at: number }[],
): Promise<Record<string, unknown>[]> {
  const stamper = unattendedStamper(windows, 'UTC');
  opened = await openDatabase(':memory:', stamper ? { auditStamper: stamper } : {});
  return opened.db.transaction().execute(async (trx) => {
    const out: Record<string, unknown>[] = [];
    for (const e of entries)
      out.push(
        (
          await appendAudit(trx, {
            type: 'console.login',
            actor: 'op1',
            at: e.at,
            payload: e.target ? { target: e.target } : {},
          })
        ).payload,
      );
    return out;
  });
}

it('marks records made inside a daily window, and leaves the rest as they were', async () => {
  const payloads = await stampedPayloads(
    [{ from: '22:00', to: '06:00' }],
    [{ at: NIGHT }, { at: NOON }, { at: NIGHT, target: 'radio-1' }],
  );
  expect(payloads).toEqual([{ unattended: true }, {}, { target: 'radio-1', unattended: true }]);
});

it('a window that names targets covers those targets only, and no target-less record', async () => {
  const payloads = await stampedPayloads(
    [{ targets: ['radio-1'] }],
    [{ at: NOON, target: 'radio-1' }, { at: NOON, target: 'roaster-1' }, { at: NOON }],
  );
  expect(payloads).toEqual([{ target: 'radio-1', unattended: true }, { target: 'roaster-1' }, {}]);
});

it('no window, no stamper: nothing is looked at', () => {
  expect(unattendedStamper([], 'UTC')).toBeUndefined();
});
