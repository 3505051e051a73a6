/**
 * The witness against someone who can write the database but not the key: forged checkpoint
 * rows, replicas with a witness each, and a witness that cannot be written. In each case the
 * signer must refuse to sign over a rewritten log, say why, and strict verification must fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendAudit } from './append.ts';
import { chainHash } from './chain.ts';
import { canonicalJson } from '../schema/canonical-json.ts';
import { CHECKPOINT_TYPE, createCheckpoint } from './checkpoint.ts';
import { Checkpointer } from './checkpointer.ts';
import { databaseSource, exportFileSource } from './sources.ts';
import { verifyLog } from './verify-log.ts';
import { fileWitness, probeWitness, type CheckpointWitness } from './witness.ts';
import { generateSigningKey, loadSigningKey, loadTrustedKey } from '../signing/keys.ts';
import { localKeySigner } from '../signing/signer.ts';
import { openDatabase } from '../store/db.ts';
import { dropTriggers, forgeActor } from '../../test/helpers/audit-forgery.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-witness-'));
  dirs.push(dir);
  const key = path.join(dir, 'audit.key');
  const made = generateSigningKey(key);
  const signer = localKeySigner(loadSigningKey(key));
  const trust = { keys: [loadTrustedKey(made.publicPath)] };
  const opened = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  const add = async (n: number) => {
    for (let i = 0; i < n; i++)
      await opened.db
        .transaction()
        .execute((trx) => appendAudit(trx, { type: 'x.event', actor: 'alice', payload: { i } }));
  };
  return { dir, signer, trust, ...opened, sq: opened.sqlite!, add };
}

describe('the checkpoint witness', () => {
  it('a replica remembers checkpoints another replica signed: deleting them and rewriting stops both', async () => {
    const s = await setup();
    const a = fileWitness(path.join(s.dir, 'a.witness.json'));
    const b = fileWitness(path.join(s.dir, 'b.witness.json'));
    await s.add(4);
    const first = (await createCheckpoint(s.db, s.signer, { maxRecords: 100, witness: a }))!;
    await s.add(4);
    await createCheckpoint(s.db, s.signer, { maxRecords: 100, witness: b });
    await s.add(4);
    await createCheckpoint(s.db, s.signer, { maxRecords: 100, witness: b });
    // Replica A's next poll sees #2 and #3 (the checkpointer checks the witness on every poll).
    await expect(
      createCheckpoint(s.db, s.signer, { maxRecords: 100, witness: a }),
    ).resolves.toBeUndefined();
    s.sq.exec('drop trigger if exists audit_checkpoints_no_delete');
    forgeActor(s.sq, first.body.to_seq + 2);
    s.sq.prepare('delete from audit_checkpoints where idx > 1').run();
    await s.add(1);
    await expect(createCheckpoint(s.db, s.signer, { maxRecords: 100, witness: b })).rejects.toThrow(
      /missing/,
    );
    await expect(createCheckpoint(s.db, s.signer, { maxRecords: 100, witness: a })).rejects.toThrow(
      /missing/,
    );
    expect(await verifyLog(databaseSource(s.db), s.trust)).toMatchObject({ ok: false });
    await s.close();
  });

  it('a forged, unsigned checkpoint row is an error, not a reason to stop signing quietly', async () => {
    const s = await setup();
    const w = fileWitness(path.join(s.dir, 'w.json'));
    const errors: unknown[] = [];
    const cper = new Checkpointer(s.db, s.signer, {
      every: 4,
      intervalMs: 10,
      pollMs: 10,
      witness: w,
      onError: (e) => errors.push(e),
    });
    await cper.start();
    await s.add(4);
    await new Promise((r) => setTimeout(r, 200));
    const body = {
      type: CHECKPOINT_TYPE,
      index: 2,
      from_seq: 5,
      to_seq: 1_000_000_000,
      tree_size: 999_999_996,
      root: '0'.repeat(64),
      chain_head: '0'.repeat(64),
      prev: '0'.repeat(64),
      signed_at: new Date().toISOString(),
    };
    s.sq
      .prepare(
        'insert into audit_checkpoints (idx, from_seq, to_seq, root, chain_head, body, bundle, signer, created_at) values (?,?,?,?,?,?,?,?,?)',
      )
      .run(
        2,
        5,
        1_000_000_000,
        body.root,
        body.chain_head,
        canonicalJson(body),
        '{}',
        'x',
        Date.now(),
      );
    await s.add(20);
    await new Promise((r) => setTimeout(r, 300));
    expect(errors.map(String).join('\n')).toMatch(/checkpoint #2/);
    // Removing the row again after forging the unsigned range does not get it signed either.
    dropTriggers(s.sq);
    forgeActor(s.sq, 8);
    s.sq.prepare('delete from audit_checkpoints where idx = 2').run();
    await cper.stop();
    expect(await verifyLog(databaseSource(s.db), s.trust)).toMatchObject({ ok: false });
    await s.close();
  });

  it('a witness that cannot be written is reported on every kind of failure, and refused at start', async () => {
    const s = await setup();
    const inner = fileWitness(path.join(s.dir, 'ro', 'w.json'));
    const readOnly: CheckpointWitness = {
      read: () => inner.read(),
      write: () => {
        throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
      },
    };
    const errors: unknown[] = [];
    const cper = new Checkpointer(s.db, s.signer, {
      every: 4,
      intervalMs: 10,
      pollMs: 10,
      witness: readOnly,
      onError: (e) => errors.push(e),
    });
    await cper.start();
    await s.add(8);
    await new Promise((r) => setTimeout(r, 200));
    await cper.stop();
    expect(errors.map(String).join('\n')).toMatch(/cannot record the checkpoint witness/);
    // The gateway refuses to start with a witness it cannot write.
    // (A path under a regular file cannot be created, like one on a read-only mount.)
    writeFileSync(path.join(s.dir, 'a-file'), '');
    expect(() => probeWitness(path.join(s.dir, 'a-file', 'w.json'))).toThrow(/cannot be written/);
    await s.close();
  });
});

describe('an accepted unsigned tail', () => {
  it('must follow a signed checkpoint in the same log, and not be dated in the future', async () => {
    const s = await setup();
    await s.add(5);
    const cp = (await createCheckpoint(s.db, s.signer, { maxRecords: 100 }))!;
    // An export of that genuine checkpoint plus records 500–504 chained from nowhere.
    let prev = 'ab'.repeat(32);
    const lines = [JSON.stringify({ kind: 'checkpoint', body: cp.body, bundle: cp.bundle })];
    for (let seq = 500; seq < 505; seq++) {
      const rec = {
        seq,
        ts: new Date().toISOString(),
        type: 'action.approved',
        action_id: null,
        actor: 'mallory',
        payload: { forged: true },
      };
      const hash = chainHash(prev, canonicalJson(rec));
      lines.push(JSON.stringify({ kind: 'record', ...rec, prev_hash: prev, hash }));
      prev = hash;
    }
    const file = path.join(s.dir, 'forged.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(
      await verifyLog(await exportFileSource(file), s.trust, { allowUnsignedTail: true }),
    ).toMatchObject({ ok: false, problem: 'unsigned' });
    // Records appended after the checkpoint, dated 2099, are not a fresh tail a year from now.
    await s.db.transaction().execute((trx) =>
      appendAudit(trx, {
        type: 'x.event',
        actor: 'alice',
        payload: {},
        at: Date.parse('2099-01-01T00:00:00Z'),
      }),
    );
    const r = await verifyLog(databaseSource(s.db), s.trust, {
      allowUnsignedTail: true,
      now: () => Date.now() + 365 * 86_400_000,
    });
    expect(r).toMatchObject({ ok: false, problem: 'unsigned' });
    expect(JSON.stringify(r)).toMatch(/future/);
    // A genuine short tail right after the checkpoint is accepted.
    const fresh = await setup();
    await fresh.add(5);
    await createCheckpoint(fresh.db, fresh.signer, { maxRecords: 100 });
    await fresh.add(2);
    expect(
      await verifyLog(databaseSource(fresh.db), fresh.trust, { allowUnsignedTail: true }),
    ).toMatchObject({ ok: true, unsignedTail: 2 });
    await s.close();
    await fresh.close();
  });
});

describe('the checkpointer against a shortened or raced log', () => {
  it('a head that goes back (records deleted, the rest rewritten) is reported and not signed', async () => {
    const s = await setup();
    const w = fileWitness(path.join(s.dir, 'w.json'));
    const errors: unknown[] = [];
    const cper = new Checkpointer(s.db, s.signer, {
      every: 4,
      intervalMs: 3_600_000,
      pollMs: 10,
      witness: w,
      onError: (e) => errors.push(e),
    });
    await cper.start();
    await s.add(4);
    await new Promise((r) => setTimeout(r, 150));
    await s.add(6);
    await new Promise((r) => setTimeout(r, 150));
    // Records 5–10 are seen but not signed yet (the interval is an hour, every is 4: 8 gets
    // signed).
    dropTriggers(s.sq);
    const signedThrough = (
      s.sq.prepare('select max(to_seq) m from audit_checkpoints').get() as { m: number }
    ).m;
    s.sq.prepare('delete from audit_log where seq > ?').run(signedThrough + 1);
    forgeActor(s.sq, signedThrough + 1);
    s.sq.prepare('update audit_head set seq = ? where id = 1').run(signedThrough + 1);
    await new Promise((r) => setTimeout(r, 150));
    await cper.stop();
    expect(errors.map(String).join('\n')).toMatch(/went back/);
    expect(await verifyLog(databaseSource(s.db), s.trust)).toMatchObject({ ok: false });
    await s.close();
  });

  it('a row slipped in while the signer signs is checked before it is believed', async () => {
    const s = await setup();
    await s.add(4);
    const forged = {
      type: CHECKPOINT_TYPE,
      index: 1,
      from_seq: 1,
      to_seq: 1_000_000_000,
      tree_size: 999_999_999_999,
      root: '0'.repeat(64),
      chain_head: '0'.repeat(64),
      prev: '0'.repeat(64),
      signed_at: new Date().toISOString(),
    };
    // The attacker's insert lands between the signature and the gateway's own insert.
    const racing = {
      ...s.signer,
      signBlob: async (data: Buffer) => {
        const bundle = await s.signer.signBlob(data);
        s.sq
          .prepare(
            'insert into audit_checkpoints (idx, from_seq, to_seq, root, chain_head, body, bundle, signer, created_at) values (?,?,?,?,?,?,?,?,?)',
          )
          .run(
            1,
            1,
            1_000_000_000,
            forged.root,
            forged.chain_head,
            canonicalJson(forged),
            JSON.stringify(bundle),
            'x',
            Date.now(),
          );
        return bundle;
      },
    };
    await expect(
      createCheckpoint(s.db, racing, {
        maxRecords: 100,
        witness: fileWitness(path.join(s.dir, 'w.json')),
      }),
    ).rejects.toThrow(/does not continue|not signed/);
    await s.close();
  });
});
