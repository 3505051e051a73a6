/**
 * Group commit on a real SQLite file: members share one transaction and one fsync, each member
 * is undone alone when it fails, a failed commit fails every member, the audit chain and its
 * head stay exact through all of it, and the next group after a failure commits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../audit/append.ts';
import { verifyChain } from '../audit/verify-chain.ts';
import { headRow } from './audit-log.ts';
import { openDatabase, type OpenedDb } from './db.ts';
import { GroupCommitter } from './group-commit.ts';

let dir: string;
let opened: OpenedDb;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'interlock-group-'));
  opened = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
});

afterEach(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

async function auditTypes(): Promise<string[]> {
  const rows = await opened.db.selectFrom('audit_log').select('type').orderBy('seq').execute();
  return rows.map((r) => r.type);
}

/** The chain links, and the head row names its last record: nothing skipped, nothing extra. */
async function expectExactChain(records: number): Promise<void> {
  const report = await verifyChain(opened.db);
  expect(report).toMatchObject({ ok: true, records });
  const head = await headRow(opened.db);
  expect(head?.seq).toBe(records);
  if (report.ok) expect(head?.hash).toBe(report.head);
}

describe('group commit', () => {
  it('commits concurrent members together, each with its own result, in one chain', async () => {
    const commits = new GroupCommitter(opened.db, { maxWaitMs: 5, maxBatch: 64 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        commits.run(async (trx) => {
          await appendAudit(trx, { type: `t.${i}.a`, actor: 'test', payload: { i } });
          const b = await appendAudit(trx, { type: `t.${i}.b`, actor: 'test', payload: { i } });
          return b.seq;
        }),
      ),
    );
    expect(commits.stats.members).toBe(40);
    expect(commits.stats.groups).toBeLessThan(5);
    // Members run in arrival order; each one's records are adjacent.
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => 2 * i + 2));
    await expectExactChain(80);
  });

  it('undoes a failing member alone: its records vanish, the others commit, the chain has no gap', async () => {
    const commits = new GroupCommitter(opened.db, { maxWaitMs: 5, maxBatch: 64 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 9 }, (_, i) =>
        commits.run(async (trx) => {
          await appendAudit(trx, { type: `m.${i}`, actor: 'test', payload: { i } });
          if (i % 3 === 1) throw new Error(`member ${i} fails`);
          return i;
        }),
      ),
    );
    expect(commits.stats.groups).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(
      Array.from({ length: 9 }, (_, i) => (i % 3 === 1 ? 'rejected' : 'fulfilled')),
    );
    expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({
      message: 'member 4 fails',
    });
    expect(await auditTypes()).toEqual(['m.0', 'm.2', 'm.3', 'm.5', 'm.6', 'm.8']);
    await expectExactChain(6);
  });

  it('fails every member when the commit fails, keeps none of them, and the next group commits', async () => {
    // A foreign key checked at COMMIT: every member's own work succeeds, and the commit that
    // would make it durable fails.
    await sql`create table gc_parent (id text primary key)`.execute(opened.db);
    await sql`create table gc_child (parent text references gc_parent (id) deferrable initially deferred)`.execute(
      opened.db,
    );
    const commits = new GroupCommitter(opened.db, { maxWaitMs: 5, maxBatch: 64 });
    const group = Array.from({ length: 5 }, (_, i) =>
      commits.run(async (trx) => {
        await appendAudit(trx, { type: `doomed.${i}`, actor: 'test', payload: {} });
        if (i === 2) await sql`insert into gc_child (parent) values ('none')`.execute(trx);
        return i;
      }),
    );
    const outcomes = await Promise.allSettled(group);
    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('rejected'));
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(await auditTypes()).toEqual([]);
    await expectExactChain(0);

    // The failure is not inherited: the next group starts from the same head.
    await Promise.all(
      [0, 1, 2].map((i) =>
        commits.run((trx) => appendAudit(trx, { type: `after.${i}`, actor: 'test', payload: {} })),
      ),
    );
    expect(await auditTypes()).toEqual(['after.0', 'after.1', 'after.2']);
    await expectExactChain(3);
  });

  it('starts a full group at once and queues the rest for the next', async () => {
    // A minute's wait: were a full group to wait for the timer, this test would time out.
    const commits = new GroupCommitter(opened.db, { maxWaitMs: 60_000, maxBatch: 4 });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        commits.run((trx) => appendAudit(trx, { type: `q.${i}`, actor: 'test', payload: {} })),
      ),
    );
    expect(commits.stats).toMatchObject({ groups: 2, members: 8, largest: 4 });
    await expectExactChain(8);
  });

  it('a lone member that fails gets its own error and leaves nothing behind', async () => {
    const commits = new GroupCommitter(opened.db, { maxWaitMs: 0, maxBatch: 64 });
    await expect(
      commits.run(async (trx) => {
        await appendAudit(trx, { type: 'alone', actor: 'test', payload: {} });
        throw new Error('alone fails');
      }),
    ).rejects.toThrow('alone fails');
    expect(await auditTypes()).toEqual([]);
    await commits.run((trx) => appendAudit(trx, { type: 'next', actor: 'test', payload: {} }));
    await expectExactChain(1);
  });
});
