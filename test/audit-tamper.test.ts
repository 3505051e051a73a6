/**
 * Tamper evidence, end to end: a real gateway writes a real SQLite audit log with signed
 * checkpoints; then, as an attacker with file access would, each test drops the append-only
 * triggers and alters a copy of the file. `audit verify` must catch every alteration and name
 * the first bad sequence number.
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../gateway/audit/chain.ts';
import { exportAudit } from '../gateway/audit/export.ts';
import { proveRecord, verifyInclusionProof, type InclusionProof } from '../gateway/audit/proof.ts';
import { databaseSource, exportFileSource, storedCanonical } from '../gateway/audit/sources.ts';
import { verifyLog, type LogReport } from '../gateway/audit/verify-log.ts';
import { verifyLogParallel } from '../gateway/audit/verify-parallel.ts';
import { projectRoot, toolsDir } from '../gateway/paths.ts';
import { loadTrustedKey } from '../gateway/signing/keys.ts';
import type { TrustPolicy } from '../gateway/signing/verify.ts';
import { openDatabase } from '../gateway/store/db.ts';
import type { AuditLogTable } from '../gateway/store/types.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { scriptedSession } from './helpers/session.ts';
import { dropTriggers } from './helpers/audit-forgery.ts';

const EVERY = 16;
let t: TestGateway;
let work: string;
let original: string;
let pub: string;
let trust: TrustPolicy;
let lastSeq: number;
let signedThrough: number;

type Row = AuditLogTable;

beforeAll(async () => {
  t = await startTestGateway({ audit: { checkpoint: { every: EVERY, intervalMs: 3_600_000 } } });
  await scriptedSession(t);
  await t.gw.stop();
  work = mkdtempSync(path.join(tmpdir(), 'interlock-tamper-'));
  original = path.join(work, 'original.db');
  const live = new SQLite(path.join(t.dir, 'interlock.db'));
  await live.backup(original);
  live.close();
  pub = path.join(t.dir, 'keys', 'audit.pub.pem');
  trust = { keys: [loadTrustedKey(pub)] };
  const db = new SQLite(original, { readonly: true });
  lastSeq = (db.prepare('select max(seq) as m from audit_log').get() as { m: number }).m;
  signedThrough = (
    db.prepare('select max(to_seq) as m from audit_checkpoints').get() as { m: number }
  ).m;
  db.close();
}, 60_000);

afterAll(async () => {
  await t?.close().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A copy of the log with the append-only triggers dropped, handed to `attack`. */
function tampered(name: string, attack: (db: SQLite.Database) => void): string {
  const file = path.join(work, `${name}.db`);
  copyFileSync(original, file);
  const db = new SQLite(file);
  dropTriggers(db);
  attack(db);
  db.close();
  return file;
}

/** Verifies through both readers (Kysely rows, raw SQLite pages); they must agree. */
async function verifyFile(file: string): Promise<LogReport> {
  const { db, sqlite, close } = await openDatabase(`sqlite:${file}`);
  try {
    const viaKysely = await verifyLog(databaseSource(db), trust);
    const viaSqlite = await verifyLog(databaseSource(db, { sqlite: sqlite!, pageSize: 7 }), trust);
    expect(viaSqlite).toEqual(viaKysely);
    // Worker threads over small ranges: the same verdict, or the same diagnosis after falling back.
    expect(
      await verifyLogParallel(file, db, sqlite!, trust, { minRecords: 0, chunk: 17, workers: 2 }),
    ).toEqual(viaKysely);
    return viaKysely;
  } finally {
    await close();
  }
}

const row = (db: SQLite.Database, seq: number): Row =>
  db.prepare('select * from audit_log where seq = ?').get(seq) as Row;
const rehash = (db: SQLite.Database, seq: number, prev: string): string => {
  const r = row(db, seq);
  const hash = chainHash(prev, storedCanonical(r));
  db.prepare('update audit_log set prev_hash = ?, hash = ? where seq = ?').run(prev, hash, seq);
  return hash;
};
const checkpointOf = (seq: number) => ({
  from: Math.floor((seq - 1) / EVERY) * EVERY + 1,
  to: Math.min(Math.floor((seq - 1) / EVERY) * EVERY + EVERY, signedThrough),
});

describe('the log the gateway wrote', () => {
  it('is complete, signed to the end at shutdown, and verifies', async () => {
    expect(lastSeq).toBeGreaterThan(4 * EVERY);
    expect(signedThrough).toBe(lastSeq);
    const report = await verifyFile(original);
    expect(report, JSON.stringify(report)).toMatchObject({
      ok: true,
      records: lastSeq,
      checkpoints: Math.ceil(lastSeq / EVERY),
      signedThrough: lastSeq,
    });
  });

  it('refuses UPDATE and DELETE while the triggers are in place', () => {
    const file = path.join(work, 'guarded.db');
    copyFileSync(original, file);
    const db = new SQLite(file);
    expect(() => db.prepare("update audit_log set actor = 'mallory' where seq = 3").run()).toThrow(
      /append-only/,
    );
    expect(() => db.prepare('delete from audit_log where seq = 3').run()).toThrow(/append-only/);
    expect(() => db.prepare('delete from audit_checkpoints where idx = 1').run()).toThrow(
      /append-only/,
    );
    db.close();
  });
});

describe('audit verify catches each way of tampering, naming the first bad seq', () => {
  const K = 2 * EVERY + 5;

  it('modified: a payload changed in place', async () => {
    const f = tampered('modified', (db) =>
      db.prepare(`update audit_log set actor = 'mallory' where seq = ?`).run(K),
    );
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: K, problem: 'modified' });
  });

  it('modified and re-hashed: the record is self-consistent, its successor still links to the original', async () => {
    const f = tampered('rehashed', (db) => {
      db.prepare(`update audit_log set payload = '{"forged":true}' where seq = ?`).run(K);
      rehash(db, K, row(db, K - 1).hash);
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: K, problem: 'modified' });
  });

  it('rewritten: modified and the whole chain recomputed after it; the signed checkpoint catches it', async () => {
    const f = tampered('rewritten', (db) => {
      db.prepare(`update audit_log set payload = '{"forged":true}' where seq = ?`).run(K);
      let prev = row(db, K - 1).hash;
      for (let s = K; s <= lastSeq; s++) prev = rehash(db, s, prev);
    });
    const report = await verifyFile(f);
    // The signed root covers the range; which record in it changed is not recoverable from a root.
    expect(report).toMatchObject({ ok: false, seq: checkpointOf(K).from, problem: 'rewritten' });
    expect(report.ok === false && report.message).toContain(
      `${checkpointOf(K).from}–${checkpointOf(K).to}`,
    );
  });

  it('deleted: one record removed', async () => {
    const f = tampered('deleted', (db) => db.prepare('delete from audit_log where seq = ?').run(K));
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: K, problem: 'deleted' });
  });

  it('deleted and renumbered: the gap closed by shifting later records down', async () => {
    const f = tampered('deleted-renumbered', (db) => {
      db.prepare('delete from audit_log where seq = ?').run(K);
      db.prepare('update audit_log set seq = -(seq - 1) where seq > ?').run(K);
      db.prepare('update audit_log set seq = -seq where seq < 0').run();
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: K, problem: 'deleted' });
  });

  it('inserted: a forged record spliced in, correctly linked, later records renumbered', async () => {
    const f = tampered('inserted', (db) => {
      db.prepare('update audit_log set seq = -(seq + 1) where seq >= ?').run(K);
      db.prepare('update audit_log set seq = -seq where seq < 0').run();
      const prev = row(db, K - 1).hash;
      const forged = {
        seq: K,
        ts: row(db, K - 1).ts,
        type: 'action.approved',
        action_id: null,
        actor: 'mallory',
        payload: '{"reason":"trust me"}',
      };
      db.prepare(
        'insert into audit_log (seq, ts, type, action_id, actor, payload, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        forged.seq,
        forged.ts,
        forged.type,
        forged.action_id,
        forged.actor,
        forged.payload,
        prev,
        chainHash(prev, storedCanonical(forged)),
      );
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: K, problem: 'inserted' });
  });

  it('reordered: two records swapped', async () => {
    const f = tampered('reordered', (db) => {
      const a = row(db, K);
      const b = row(db, K + 1);
      const put = db.prepare(
        'update audit_log set ts = ?, type = ?, action_id = ?, actor = ?, payload = ?, prev_hash = ?, hash = ? where seq = ?',
      );
      put.run(b.ts, b.type, b.action_id, b.actor, b.payload, b.prev_hash, b.hash, K);
      put.run(a.ts, a.type, a.action_id, a.actor, a.payload, a.prev_hash, a.hash, K + 1);
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: K, problem: 'reordered' });
  });

  it('truncated after a checkpoint: the last records removed, the checkpoints kept', async () => {
    const cut = signedThrough - 3;
    const f = tampered('truncated', (db) =>
      db.prepare('delete from audit_log where seq > ?').run(cut),
    );
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: cut + 1, problem: 'truncated' });
  });

  it('bad signature: one checkpoint signature altered', async () => {
    const f = tampered('bad-signature', (db) => {
      const cp = db.prepare('select bundle from audit_checkpoints where idx = 3').get() as {
        bundle: string;
      };
      const bundle = JSON.parse(cp.bundle) as { messageSignature: { signature: string } };
      const sig = Buffer.from(bundle.messageSignature.signature, 'base64');
      sig[sig.length - 5]! ^= 0xff;
      bundle.messageSignature.signature = sig.toString('base64');
      db.prepare('update audit_checkpoints set bundle = ? where idx = 3').run(
        JSON.stringify(bundle),
      );
    });
    expect(await verifyFile(f)).toMatchObject({
      ok: false,
      seq: 2 * EVERY + 1,
      problem: 'bad_signature',
    });
  });

  it('bad signature: a checkpoint body re-rooted to match a rewritten range', async () => {
    const f = tampered('re-rooted', (db) => {
      const cp = db.prepare('select body from audit_checkpoints where idx = 2').get() as {
        body: string;
      };
      const body = JSON.parse(cp.body) as { root: string };
      body.root = 'f'.repeat(64);
      db.prepare('update audit_checkpoints set body = ? where idx = 2').run(JSON.stringify(body));
    });
    expect(await verifyFile(f)).toMatchObject({
      ok: false,
      seq: EVERY + 1,
      problem: 'bad_signature',
    });
  });

  it('a checkpoint deleted from the middle of the checkpoint chain', async () => {
    const f = tampered('checkpoint-deleted', (db) =>
      db.prepare('delete from audit_checkpoints where idx = 2').run(),
    );
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: EVERY + 1, problem: 'deleted' });
  });

  it('a key the auditor does not trust', async () => {
    const other = path.join(work, 'other');
    const { generateSigningKey } = await import('../gateway/signing/keys.ts');
    const made = generateSigningKey(path.join(other, 'k.key'));
    const { db, close } = await openDatabase(`sqlite:${original}`);
    try {
      const report = await verifyLog(databaseSource(db), {
        keys: [loadTrustedKey(made.publicPath)],
      });
      expect(report).toMatchObject({ ok: false, seq: 1, problem: 'bad_signature' });
    } finally {
      await close();
    }
  });
});

describe('a chain alone proves nothing: signatures must cover the log to its head', () => {
  it('every checkpoint deleted, a record changed and the whole chain recomputed: verify fails (unsigned)', async () => {
    const f = tampered('unsigned', (db) => {
      db.prepare('delete from audit_checkpoints').run();
      db.prepare(`update audit_log set payload = '{"forged":true}' where seq = 5`).run();
      let prev = row(db, 4).hash;
      for (let seq = 5; seq <= lastSeq; seq++) prev = rehash(db, seq, prev);
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: 1, problem: 'unsigned' });
  });

  it('records appended after the last checkpoint fail unless the unsigned tail is accepted, and then are counted', async () => {
    const f = tampered('tail', (db) => {
      const head = row(db, lastSeq);
      const canonicalOf = (seq: number) =>
        storedCanonical({ ...head, seq, payload: '{"appended":true}' });
      let prev = head.hash;
      for (let seq = lastSeq + 1; seq <= lastSeq + 3; seq++) {
        const hash = chainHash(prev, canonicalOf(seq));
        db.prepare(
          'insert into audit_log (seq, ts, type, action_id, actor, payload, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(seq, head.ts, head.type, head.action_id, head.actor, '{"appended":true}', prev, hash);
        prev = hash;
      }
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: lastSeq + 1, problem: 'unsigned' });
    const { db, close } = await openDatabase(`sqlite:${f}`);
    try {
      const headTs = Date.parse(
        (
          await db
            .selectFrom('audit_log')
            .select('ts')
            .where('seq', '=', lastSeq)
            .executeTakeFirstOrThrow()
        ).ts,
      );
      const soon = () => headTs + 10_000;
      expect(
        await verifyLog(databaseSource(db), trust, { allowUnsignedTail: true, now: soon }),
      ).toMatchObject({ ok: true, records: lastSeq + 3, signedThrough: lastSeq, unsignedTail: 3 });
      // Only as long and as old as a running signer leaves a tail.
      expect(
        await verifyLog(databaseSource(db), trust, {
          allowUnsignedTail: true,
          now: soon,
          maxUnsignedRecords: 2,
        }),
      ).toMatchObject({ ok: false, problem: 'unsigned' });
      expect(
        await verifyLog(databaseSource(db), trust, {
          allowUnsignedTail: true,
          now: () => headTs + 6 * 60_000,
        }),
      ).toMatchObject({ ok: false, problem: 'unsigned' });
    } finally {
      await close();
    }
  });

  it('--allow-unsigned-tail does not rescue a log whose checkpoints were all deleted and chain recomputed', async () => {
    const f = tampered('unsigned-allowed', (db) => {
      db.prepare('delete from audit_checkpoints').run();
      db.prepare(`update audit_log set payload = '{"forged":true}' where seq = 5`).run();
      let prev = row(db, 4).hash;
      for (let seq = 5; seq <= lastSeq; seq++) prev = rehash(db, seq, prev);
    });
    const { db, close } = await openDatabase(`sqlite:${f}`);
    try {
      expect(
        await verifyLog(databaseSource(db), trust, { allowUnsignedTail: true, now: Date.now }),
      ).toMatchObject({ ok: false, seq: 1, problem: 'unsigned' });
    } finally {
      await close();
    }
  });

  it('an empty log does not verify', async () => {
    const f = tampered('empty', (db) => {
      db.prepare('delete from audit_checkpoints').run();
      db.prepare('delete from audit_log').run();
    });
    expect(await verifyFile(f)).toMatchObject({ ok: false, problem: 'empty' });
    const empty = path.join(work, 'empty.jsonl');
    writeFileSync(empty, '');
    expect(await verifyLog(await exportFileSource(empty), trust)).toMatchObject({
      ok: false,
      problem: 'empty',
    });
  });

  it('a record below seq 1 fails verification and is shown nowhere: the API, the console card, the timeline', async () => {
    const forge = (db: SQLite.Database) => {
      const r = row(db, 3);
      db.prepare(
        'insert into audit_log (seq, ts, type, action_id, actor, payload, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        -1,
        r.ts,
        'approval.granted',
        r.action_id,
        'ceo',
        '{"forged":true}',
        r.prev_hash,
        r.hash,
      );
    };
    const f = tampered('below-one', forge);
    expect(await verifyFile(f)).toMatchObject({ ok: false, seq: -1, problem: 'inserted' });
    // The same forgery in the live gateway's database, read through every reader.
    const live = await startTestGateway();
    try {
      const action = await live.api<{ action: { id: string } }>(
        live.tokens.agent,
        'POST',
        '/v1/actions',
        { kind: 'roaster.set_drum', target: 'roaster-1', params: { rpm: 60 } },
      );
      const id = action.body.action.id;
      const db = new SQLite(path.join(live.dir, 'interlock.db'));
      dropTriggers(db);
      const r = db
        .prepare('select * from audit_log where action_id = ? order by seq limit 1')
        .get(id) as Row;
      db.prepare(
        'insert into audit_log (seq, ts, type, action_id, actor, payload, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(-1, r.ts, 'approval.granted', id, 'ceo', '{"forged":true}', r.prev_hash, r.hash);
      db.close();
      const viaApi = await live.api<{ records: { seq: number; actor: string }[] }>(
        live.tokens.auditor,
        'GET',
        `/v1/audit?action_id=${id}`,
      );
      expect(viaApi.body.records.length).toBeGreaterThan(0);
      expect(viaApi.body.records.some((x) => x.actor === 'ceo' || x.seq < 1)).toBe(false);
      const negativeCursor = await live.api<{ records: { seq: number }[] }>(
        live.tokens.auditor,
        'GET',
        '/v1/audit?cursor=-5',
      );
      // A negative cursor is refused by the query schema, or reads from the chain's start.
      if (negativeCursor.status === 200)
        expect(negativeCursor.body.records.some((x) => x.seq < 1)).toBe(false);
      else expect(negativeCursor.status).toBe(422);
      const { card, timeline } = await import('../console/data.ts');
      const deps = live.gw.services.deps;
      expect(JSON.stringify(await card(deps, { id: 'op1', role: 'operator' }, id))).not.toContain(
        'ceo',
      );
      expect(JSON.stringify(await timeline(deps, 60))).not.toContain('ceo');
    } finally {
      await live.close();
    }
  });
});

describe('the audit CLI, as an auditor runs it', () => {
  const bin = path.join(projectRoot, 'bin', 'interlock.js');
  const interlock = (args: string[]) => execa('node', [bin, ...args], { reject: false, cwd: work });

  it('verify: exit 0 and a one-line summary when intact; exit 1 naming the seq when not', async () => {
    const ok = await interlock(['audit', 'verify', '--db', `sqlite:${original}`, '--key', pub]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(1);
    expect(ok.stdout).toContain(`audit intact: ${lastSeq} records`);
    const bad = tampered('cli-modified', (db) =>
      db.prepare(`update audit_log set actor = 'mallory' where seq = 7`).run(),
    );
    const r = await interlock(['audit', 'verify', '--db', `sqlite:${bad}`, '--key', pub]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAILED at seq 7 \(modified\)/);
  });

  it('export, then verify the export alone; a slice verifies; an edited export does not', async () => {
    const exported = await interlock(['audit', 'export', '--db', `sqlite:${original}`]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    const file = path.join(work, 'audit.jsonl');
    writeFileSync(file, exported.stdout);
    expect(await verifyLog(await exportFileSource(file), trust)).toMatchObject({
      ok: true,
      records: lastSeq,
    });

    const slice = await interlock([
      'audit',
      'export',
      '--db',
      `sqlite:${original}`,
      '--from',
      String(EVERY + 3),
      '--to',
      String(3 * EVERY),
    ]);
    const sliceFile = path.join(work, 'slice.jsonl');
    writeFileSync(sliceFile, slice.stdout);
    const v = await interlock(['audit', 'verify', '--export', sliceFile, '--key', pub]);
    expect(v.exitCode, v.stdout).toBe(0);
    expect(v.stdout).toContain(`${2 * EVERY - 2} records (${EVERY + 3}–${3 * EVERY})`);

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const i = lines.findIndex((l) => l.includes(`"seq":${K2}`) && l.includes('"kind":"record"'));
    lines[i] = lines[i]!.replace('"actor":"', '"actor":"x');
    writeFileSync(file, lines.join('\n'));
    const edited = await interlock(['audit', 'verify', '--export', file, '--key', pub]);
    expect(edited.exitCode).toBe(1);
    expect(edited.stdout).toContain(`FAILED at seq ${K2}`);
  });

  const cosign = path.join(toolsDir, 'cosign');
  it.skipIf(!existsSync(cosign) || !existsSync('/usr/bin/jq'))(
    "the documented jq lines cut a checkpoint's exact signed body out of an export; with jq's trailing newline cosign refuses it",
    async () => {
      const exported = await interlock(['audit', 'export', '--db', `sqlite:${original}`]);
      const dir = mkdtempSync(path.join(work, 'jq-'));
      writeFileSync(path.join(dir, 'audit.jsonl'), exported.stdout);
      // The lines of docs/evidence.md, run as written; JOIN is -j (as documented) or not.
      const script = (join: string) => `set -e
jq -c 'select(.kind == "checkpoint")' audit.jsonl | tail -n 1 > checkpoint.json
jq -cS${join} .body checkpoint.json > checkpoint.body.json
jq -c .bundle checkpoint.json > checkpoint.bundle.json
"$COSIGN" verify-blob --key "$PUB" --bundle checkpoint.bundle.json --insecure-ignore-tlog=true checkpoint.body.json`;
      const run = (join: string) =>
        execa('bash', ['-c', script(join)], {
          cwd: dir,
          reject: false,
          env: { COSIGN: cosign, PUB: pub },
        });
      const documented = await run('j');
      expect(documented.exitCode, documented.stderr).toBe(0);
      expect(documented.stderr).toContain('Verified OK');
      const withNewline = await run('');
      expect(withNewline.exitCode).not.toBe(0);
    },
    60_000,
  );
});
const K2 = 11;

describe('inclusion proofs', () => {
  let proof: InclusionProof;
  beforeAll(async () => {
    const { db, close } = await openDatabase(`sqlite:${original}`);
    proof = await proveRecord(db, EVERY + 7);
    await close();
  });

  it('a record verifies alone against its signed checkpoint', () => {
    expect(proof.path.length).toBe(Math.ceil(Math.log2(EVERY)));
    expect(verifyInclusionProof(JSON.parse(JSON.stringify(proof)), trust).seq).toBe(EVERY + 7);
  });

  it('forged proofs are rejected: altered record, altered path, moved index, re-rooted checkpoint', () => {
    const clone = (): InclusionProof => JSON.parse(JSON.stringify(proof)) as InclusionProof;
    const a = clone();
    a.record.actor = 'mallory';
    expect(() => verifyInclusionProof(a, trust)).toThrow(/not included/);
    const b = clone();
    b.path[1] = b.path[1]!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(() => verifyInclusionProof(b, trust)).toThrow(/not included/);
    const c = clone();
    c.leaf_index += 1;
    expect(() => verifyInclusionProof(c, trust)).toThrow(/is not leaf/);
    const d = clone();
    d.checkpoint.body.root = 'a'.repeat(64);
    expect(() => verifyInclusionProof(d, trust)).toThrow(
      /message digest is not the sha256|signature does not verify/,
    );
    expect(() => verifyInclusionProof({ ...clone(), path: 'nope' }, trust)).toThrow(
      /not an inclusion proof: path/,
    );
  });

  it('the CLI prints a proof and checks it from a file', async () => {
    const bin = path.join(projectRoot, 'bin', 'interlock.js');
    const made = await execa(
      'node',
      [bin, 'audit', 'prove', '--seq', '5', '--db', `sqlite:${original}`],
      { reject: false },
    );
    expect(made.exitCode, made.stderr).toBe(0);
    const file = path.join(work, 'proof.json');
    writeFileSync(file, made.stdout);
    const ok = await execa('node', [bin, 'audit', 'verify-proof', file, '--key', pub], {
      reject: false,
    });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('proof valid: record 5');
    writeFileSync(file, made.stdout.replace('"seq": 5', '"seq": 6'));
    const bad = await execa('node', [bin, 'audit', 'verify-proof', file, '--key', pub], {
      reject: false,
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/record 6 is not leaf/);
  });
});

describe('export', () => {
  it('streams checkpoints before records and nothing outside the range', async () => {
    const { db, close } = await openDatabase(`sqlite:${original}`);
    const lines: string[] = [];
    for await (const l of exportAudit(db, { from: 5, to: 40 })) lines.push(l);
    await close();
    const kinds = lines.map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect(kinds.lastIndexOf('checkpoint')).toBeLessThan(kinds.indexOf('record'));
    const seqs = lines
      .map((l) => JSON.parse(l) as { kind: string; seq?: number })
      .filter((l) => l.kind === 'record')
      .map((l) => l.seq);
    expect(seqs[0]).toBe(5);
    expect(seqs[seqs.length - 1]).toBe(40);
  });
});
