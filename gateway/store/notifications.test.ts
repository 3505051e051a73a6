import { afterEach, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from './db.ts';
import { approvalsExpiringBy, insertOutbox } from './notifications.ts';
import type { ActionsTable } from './types.ts';

let opened: OpenedDb | undefined;
afterEach(async () => opened?.close());

const pending = (i: number, expiresAt: number): ActionsTable => ({
  id: `a-${String(i).padStart(3, '0')}`,
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
  expires_at: expiresAt,
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
});

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
