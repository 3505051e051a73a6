/**
 * A running gateway must not sign over a log someone rewrote. An attacker with write access to
 * the database file (not the key) deletes the newest checkpoints, forges a record after the
 * oldest one and recomputes the chain; the gateway keeps on working. Its witness (the last
 * checkpoint it signed, kept beside the key) is gone from the database, so it signs nothing
 * more, and strict `audit verify` still fails on the forgery.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { projectRoot } from '../gateway/paths.ts';
import { forgeActor } from './helpers/audit-forgery.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { scriptedSession } from './helpers/session.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ audit: { checkpoint: { every: 16, intervalMs: 500 } } });
  await scriptedSession(t, 3);
  await new Promise((r) => setTimeout(r, 1500));
}, 60_000);
afterAll(async () => {
  await t?.close().catch(() => undefined);
});

it('the gateway refuses to sign after its last checkpoint disappeared, and verify keeps failing on the forgery', async () => {
  const file = path.join(t.dir, 'interlock.db');
  const db = new SQLite(file);
  const checkpoints = db
    .prepare('select idx, to_seq from audit_checkpoints order by idx')
    .all() as { idx: number; to_seq: number }[];
  expect(checkpoints.length).toBeGreaterThan(2);
  const forged = checkpoints[0]!.to_seq + 3;
  db.transaction(() => {
    forgeActor(db, forged);
    db.prepare('delete from audit_checkpoints where idx > 1').run();
  })();
  db.close();
  // New activity, then a graceful stop: both would sign whatever is waiting.
  await t.api(t.tokens.admin, 'POST', '/v1/tokens', { name: 'anything', role: 'auditor' });
  await new Promise((r) => setTimeout(r, 1500));
  await t.gw.stop();
  const check = new SQLite(file, { readonly: true });
  expect((check.prepare('select count(*) n from audit_checkpoints').get() as { n: number }).n).toBe(
    1,
  );
  check.close();
  const verify = await execa(
    'node',
    [
      path.join(projectRoot, 'bin/interlock.js'),
      'audit',
      'verify',
      '--key',
      path.join(t.dir, 'keys', 'audit.pub.pem'),
      '--db',
      `sqlite:${file}`,
    ],
    { reject: false },
  );
  expect(verify.exitCode, verify.stdout).toBe(1);
  expect(verify.stdout).toMatch(/unsigned/);
  // `audit checkpoint` with the same key refuses too.
  const sign = await execa(
    'node',
    [
      path.join(projectRoot, 'bin/interlock.js'),
      'audit',
      'checkpoint',
      '--db',
      `sqlite:${file}`,
      '--config',
      writeConfig(),
    ],
    { reject: false },
  );
  expect(sign.exitCode, sign.stdout + sign.stderr).not.toBe(0);
  expect(sign.stdout + sign.stderr).toMatch(/missing in the database/);
}, 60_000);

function writeConfig(): string {
  const file = path.join(t.dir, 'sign.yaml');
  writeFileSync(
    file,
    `audit:\n  signing:\n    type: key\n    key: ${path.join(t.dir, 'keys', 'audit.key')}\n`,
  );
  return file;
}
