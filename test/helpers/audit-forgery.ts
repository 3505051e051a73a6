/**
 * What an attacker with write access to a SQLite audit log (and no signing key) does in the
 * audit tests: switch off the append-only triggers, then rewrite a record and recompute the
 * chain after it so every link looks right again.
 */
import type SQLite from 'better-sqlite3';
import { chainHash, storedCanonical } from '../../gateway/audit/chain.ts';
import type { AuditLogTable } from '../../gateway/store/types.ts';

/** Drops every trigger, the append-only guards among them. */
export function dropTriggers(db: SQLite.Database): void {
  for (const { name } of db
    .prepare("select name from sqlite_master where type = 'trigger'")
    .all() as { name: string }[])
    db.exec(`drop trigger ${name}`);
}

/** Forges the actor of record `seq` and recomputes the chain and its head after it. */
export function forgeActor(db: SQLite.Database, seq: number): void {
  dropTriggers(db);
  db.prepare(`update audit_log set actor = 'mallory' where seq = ?`).run(seq);
  let prev = (
    db.prepare('select hash from audit_log where seq = ?').get(seq - 1) as { hash: string }
  ).hash;
  for (const r of db
    .prepare('select * from audit_log where seq >= ? order by seq')
    .all(seq) as AuditLogTable[]) {
    const h = chainHash(prev, storedCanonical(r));
    db.prepare('update audit_log set prev_hash = ?, hash = ? where seq = ?').run(prev, h, r.seq);
    prev = h;
  }
  db.prepare('update audit_head set hash = ? where id = 1').run(prev);
}
