/**
 * The audit head row is created by the migrations and never deleted by the gateway. Someone who
 * can write the database and deletes it must not make the signer stop quietly or evidence
 * cover an empty window: both refuse, naming the missing head.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEvidence } from '../evidence/build.ts';
import { generateSigningKey, loadSigningKey } from '../signing/keys.ts';
import { localKeySigner } from '../signing/signer.ts';
import { openDatabase } from '../store/db.ts';
import { appendAudit } from './append.ts';
import { Checkpointer } from './checkpointer.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function logWithoutHead() {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-head-'));
  dirs.push(dir);
  const key = path.join(dir, 'audit.key');
  generateSigningKey(key);
  const signer = localKeySigner(loadSigningKey(key));
  const opened = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  for (let i = 0; i < 3; i++)
    await opened.db
      .transaction()
      .execute((trx) => appendAudit(trx, { type: 'x.event', actor: 'alice', payload: { i } }));
  opened.sqlite!.prepare('delete from audit_head').run();
  return { signer, ...opened };
}

describe('a deleted audit head', () => {
  it('stops the signer with an error, not silently', async () => {
    const s = await logWithoutHead();
    const errors: unknown[] = [];
    const cper = new Checkpointer(s.db, s.signer, {
      every: 1,
      intervalMs: 10,
      onError: (e) => errors.push(e),
    });
    await cper.start();
    await cper.tick(true);
    await cper.stop();
    expect(errors.map(String).join('\n')).toMatch(/no head row/);
    await s.close();
  });

  it('makes evidence refuse instead of covering an empty window', async () => {
    const s = await logWithoutHead();
    const result = { status: 'not_run' as const, reason: 'not part of this test' };
    await expect(
      buildEvidence({
        db: s.db,
        signer: s.signer,
        sourcesRoot: process.cwd(),
        policyTests: result,
        invariantTests: result,
        modelChecks: result,
        checkpointEvery: 100,
      }),
    ).rejects.toThrow(/no head row/);
    await s.close();
  });
});
