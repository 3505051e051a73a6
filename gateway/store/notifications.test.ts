import { afterEach, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from './db.ts';
import { approvalsExpiringBy, insertOutbox } from './notifications.ts';
import { actionRow } from '../../test/helpers/action-row.ts';

let opened: OpenedDb | undefined;
afterEach(async () => opened?.close());

const pending = (i: number, expiresAt: number) =>
  actionRow({ id: `a-${String(i).padStart(3, '0')}`, expires_at: expiresAt });

it('warns about every near expiry, more than a page of them, each once', async () => {
  opened = await openDatabase(':memory:');
  const { db } = opened;
  const now = 1_000_000;
  // 250 expiring within the minute, one later, one already expired.
  const rows = Array.from({ length: 250 }, (_, i) => pending(i, now + 1_000 + i));
  rows.push(pending(900, now + 120_000), pending(901, now - 1));
  for (let i = 0; i < rows.length; i += 100)
    await db
      .insertInto('actions')
      .values(rows.slice(i, i + 100))
      .execute();
  const warned: string[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const due = await approvalsExpiringBy(db, now, 60_000, 100);
    await insertOutbox(
      db,
      due.map((a) => ({
        id: `expiring-${a.id}`,
        event: 'approval.expiring',
        audit_seq: null,
        action_id: a.id,
        at: now,
        fanned_out: 0,
        body: null,
      })),
    );
    warned.push(...due.map((a) => a.id));
  }
  expect(warned.length).toBe(250);
  expect(new Set(warned).size).toBe(250);
  expect(warned).not.toContain('a-900');
  expect(warned).not.toContain('a-901');
});
