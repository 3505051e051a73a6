/**
 * The audit log on PostgreSQL: append-only by trigger (UPDATE, DELETE, TRUNCATE refused), one
 * chain under concurrent writers, and `interlock audit verify` naming the record a database
 * owner rewrote after disabling the triggers.
 */
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { signPending } from '../gateway/audit/checkpoint.ts';

const pgUrl = inject('pgUrl');
const ROOT = path.resolve(import.meta.dirname, '..');
let t: TestGateway;
let client: pg.Client;

describe.runIf(pgUrl)('audit log on PostgreSQL', () => {
  beforeAll(async () => {
    t = await startTestGateway();
    client = new pg.Client({ connectionString: t.config.database.url });
    await client.connect();
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await t?.close();
  });

  it('keeps one chain under 200 concurrent proposals and refuses changes by trigger', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.api(t.tokens[i % 2 ? 'agent' : 'agent2'], 'POST', '/v1/actions', {
          target: 'roaster-1',
          kind: 'roaster.cooling_cycle',
          params: { duration_s: 60 },
        }),
      ),
    );
    const seqs = await client.query<{ seq: number }>('select seq from audit_log order by seq');
    expect(seqs.rows.map((r) => Number(r.seq))).toEqual(
      Array.from({ length: seqs.rows.length }, (_, i) => i + 1),
    );
    for (const q of [
      'update audit_log set actor = $1 where seq = 1',
      'delete from audit_log where seq = 1',
    ]) {
      await expect(client.query(q, q.includes('$1') ? ['mallory'] : [])).rejects.toThrow(
        /append-only/,
      );
    }
    await expect(client.query('truncate audit_log')).rejects.toThrow(/append-only/);
  });

  it('audit verify passes, then names the record a database owner rewrote', async () => {
    const key = path.join(t.dir, 'keys', 'audit.pub.pem');
    const cli = (args: string[]) =>
      execa('node', [path.join(ROOT, 'bin/interlock.js'), ...args], { reject: false });
    // Signed up to now, as the running gateway would within its interval; records written
    // after that are a live tail, accepted and counted.
    await signPending(t.gw.services.deps.db, t.gw.services.governance.signer, { maxRecords: 1000 });
    const ok = await cli([
      'audit',
      'verify',
      '--db',
      t.config.database.url,
      '--key',
      key,
      '--allow-unsigned-tail',
    ]);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);

    await client.query('alter table audit_log disable trigger user');
    await client.query(`update audit_log set actor = 'mallory' where seq = 5`);
    await client.query('alter table audit_log enable trigger user');
    const bad = await cli(['audit', 'verify', '--db', t.config.database.url, '--key', key]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/seq 5|record 5/);
  });
});
