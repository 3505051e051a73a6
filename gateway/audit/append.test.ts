import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../store/db.ts';
import { appendAudit, appendAuditMany } from './append.ts';
import { GENESIS_HASH, recordHash } from './chain.ts';
import { verifyChain } from './verify-chain.ts';

let dir: string;
let store: OpenedDb;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'interlock-audit-'));
  store = await openDatabase(`sqlite:${path.join(dir, 'a.db')}`);
  for (let i = 0; i < 5; i++) {
    await store.db.transaction().execute((trx) =>
      appendAudit(trx, {
        type: 'test.event',
        actor: `u${i}`,
        payload: { i, nested: { b: 2, a: 1 } },
      }),
    );
  }
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('audit log', () => {
  it('chains each record to the previous one with sha256 over canonical JSON', async () => {
    const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    for (const [i, r] of rows.entries()) {
      if (i > 0) expect(r.prev_hash).toBe(rows[i - 1]?.hash);
      // Key order in the payload does not matter: RFC 8785 sorts keys.
      expect(r.payload).toBe(`{"i":${i},"nested":{"a":1,"b":2}}`);
      expect(
        recordHash(r.prev_hash, {
          seq: Number(r.seq),
          ts: r.ts,
          type: r.type,
          action_id: r.action_id,
          actor: r.actor,
          payload: JSON.parse(r.payload) as Record<string, unknown>,
        }),
      ).toBe(r.hash);
    }
    expect(await verifyChain(store.db)).toEqual({ ok: true, records: 5, head: rows[4]?.hash });
  });

  it('appendAuditMany extends the same chain exactly as one append per record would', async () => {
    const entries = Array.from({ length: 1203 }, (_, i) => ({
      type: 'test.bulk',
      actor: 'bulk',
      payload: { i },
      at: 1_700_000_000_000 + i,
    }));
    const made = await store.db.transaction().execute((trx) => appendAuditMany(trx, entries));
    expect(made.map((r) => r.seq)).toEqual(entries.map((_, i) => 6 + i));
    await store.db
      .transaction()
      .execute((trx) => appendAudit(trx, { type: 'test.after', actor: 'u', payload: {} }));
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, records: 5 + 1203 + 1 });
    // The same entries in two fresh logs, in bulk and one by one: identical chains.
    const bulk = await openDatabase(`sqlite:${path.join(dir, 'bulk.db')}`);
    const single = await openDatabase(`sqlite:${path.join(dir, 'single.db')}`);
    await bulk.db.transaction().execute((trx) => appendAuditMany(trx, entries));
    for (const e of entries) await single.db.transaction().execute((trx) => appendAudit(trx, e));
    const head = (o: OpenedDb) =>
      o.db.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
    expect(await head(bulk)).toEqual(await head(single));
    await bulk.close();
    await single.close();
  });

  it('rejects UPDATE and DELETE with database triggers', async () => {
    await expect(
      sql`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`.execute(store.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log WHERE seq = 5`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(
      sql`INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE seq = 1`.execute(store.db),
    ).rejects.toThrow();
  });

  it('rolls back the record with the transaction that wrote it', async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await appendAudit(trx, { type: 'test.event', actor: 'x', payload: {} });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, records: 5 });
  });

  it('finds a modified or deleted record once the triggers are bypassed', async () => {
    await sql`DROP TRIGGER audit_log_no_update`.execute(store.db);
    await sql`UPDATE audit_log SET payload = '{"i":99}' WHERE seq = 3`.execute(store.db);
    expect(await verifyChain(store.db)).toMatchObject({ ok: false, seq: 3 });
    await sql`DROP TRIGGER audit_log_no_delete`.execute(store.db);
    await sql`DELETE FROM audit_log WHERE seq = 2`.execute(store.db);
    expect(await verifyChain(store.db)).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'record 2 is missing',
    });
  });
});
