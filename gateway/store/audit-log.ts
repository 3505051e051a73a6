/**
 * The audit log's tables: the head row (the chain's last seq and hash, locked by moving it),
 * the records, and the signed checkpoints. The hashing and signing are audit/'s; this is storage.
 */
import type { Insertable } from 'kysely';
import { FIRST_SEQ } from './audit-reads.ts';
import type { Conn, Tx } from './conn.ts';
import { reusableQuery } from './reusable-query.ts';
import { InterlockError } from '../schema/errors.ts';
import type { AuditCheckpointsTable, AuditLogTable } from './types.ts';

export type CheckpointText = Pick<AuditCheckpointsTable, 'body' | 'bundle'>;

/**
 * A transaction that holds the head (a group commit, group-commit.ts) takes its row lock first,
 * before any other lock, and keeps it to the commit: later appends in the transaction chain on
 * in memory, and the head row is written once, by releaseHead. Taking it first keeps the lock
 * order of every group the same (head, then rows), so groups on several PostgreSQL replicas
 * cannot deadlock on it.
 */
interface HeadPosition {
  seq: number;
  hash: string;
}
const heldHeads = new WeakMap<Tx, HeadPosition>();

export async function holdHead(trx: Tx): Promise<void> {
  heldHeads.set(trx, await moveHead(trx, 0));
}

const moveHeadQuery = reusableQuery('moveHead', (db: Conn, n: number) =>
  db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', n) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash']),
);
const setHeadQuery = reusableQuery('setHead', (db: Conn, seq: number, hash: string) =>
  db.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1),
);
/** Records go in slices: 8 columns × 500 rows stays well inside SQLite's parameter limit. */
const RECORD_SLICE = 500;
const insertRecordsQuery = reusableQuery('insertRecords', (db: Conn, rows: AuditLogTable[]) =>
  db.insertInto('audit_log').values(rows),
);

/** Moves the head by `n` (0: only takes its row lock) and returns where it now stands. */
async function moveHead(trx: Tx, n: number): Promise<HeadPosition> {
  const head = (await moveHeadQuery(trx, n)).rows[0];
  if (!head) throw new InterlockError('internal', 'the audit head row is missing');
  return { seq: Number(head.seq), hash: head.hash };
}

/**
 * lockHead takes the head's row lock now, unless this transaction holds it already (a group).
 * Work that must not interleave with other appenders (a proposal counting its rate windows, a
 * token's revocation finding what the token queued) takes it before it reads, in the same
 * order as a group: head first, then rows. On SQLite there is one writer anyway.
 */
export async function lockHead(trx: Tx): Promise<void> {
  if (!heldHeads.has(trx)) await moveHead(trx, 0);
}

/** Where a held head stands now, to restore when a savepoint is rolled back. */
export function headMark(trx: Tx): HeadPosition | undefined {
  const held = heldHeads.get(trx);
  return held ? { ...held } : undefined;
}

/** After a rollback to a savepoint taken at `mark`, the head is where it was then. */
export function restoreHead(trx: Tx, mark: HeadPosition | undefined): void {
  if (mark && heldHeads.has(trx)) heldHeads.set(trx, { ...mark });
}

/** Writes a held head's final seq and hash, once, before the commit. */
export async function releaseHead(trx: Tx): Promise<void> {
  const held = heldHeads.get(trx);
  heldHeads.delete(trx);
  if (!held) return;
  await setHeadQuery(trx, held.seq, held.hash);
}

/**
 * Reserves `n` sequence numbers by moving the head (its row lock serializes appenders) and
 * returns the new head seq and the hash the first new record chains from.
 */
export async function reserveSeqs(trx: Tx, n: number): Promise<{ seq: number; hash: string }> {
  const held = heldHeads.get(trx);
  if (held) {
    held.seq += n;
    return { ...held };
  }
  return moveHead(trx, n);
}

/** Writes records (in slices: SQLite caps bound parameters per statement) and the new head hash. */
export async function writeRecords(
  trx: Tx,
  rows: readonly AuditLogTable[],
  headHash: string,
): Promise<void> {
  for (let i = 0; i < rows.length; i += RECORD_SLICE) {
    const slice = rows.slice(i, i + RECORD_SLICE);
    // A few records (a proposal's) reuse their compiled SQL; bulk slices are built each time.
    if (slice.length <= 8) await insertRecordsQuery(trx, slice);
    else await trx.insertInto('audit_log').values(slice).execute();
  }
  const held = heldHeads.get(trx);
  if (held) held.hash = headHash;
  else await trx.updateTable('audit_head').set({ hash: headHash }).where('id', '=', 1).execute();
}

export async function headRow(db: Conn): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

/** The head's seq (0 for a log without a head row), for readers that only report progress. */
export async function headSeq(db: Conn): Promise<number> {
  return (await headRow(db))?.seq ?? 0;
}

/**
 * The head's seq, for the signer and evidence. Migrations create the head row and nothing
 * deletes it, so a missing row means someone with write access removed it: that is an error,
 * never an empty log (which would stop signing quietly, or sign evidence over no records).
 */
export async function requireHeadSeq(db: Conn): Promise<number> {
  const head = await headRow(db);
  if (!head) throw new MissingHeadError();
  return head.seq;
}

export class MissingHeadError extends Error {
  readonly code = 'audit_head_missing';
  constructor() {
    super(
      'the audit log has no head row: it was deleted; nothing is signed until this is investigated (interlock audit verify)',
    );
    this.name = 'MissingHeadError';
  }
}

/** The last record a signed checkpoint covers (0 before the first checkpoint). */
export async function signedThrough(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('audit_checkpoints')
    .select((eb) => eb.fn.max('to_seq').as('m'))
    .executeTakeFirst();
  return Number(row?.m ?? 0);
}

/** Up to `limit` records from `fromSeq` on, in order. */
export async function recordsFrom(
  db: Conn,
  fromSeq: number,
  limit: number,
): Promise<AuditLogTable[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** Up to `limit` records after `after` and at most `to`, in order. */
export async function recordsAfter(
  db: Conn,
  after: number,
  limit: number,
  to?: number,
): Promise<AuditLogTable[]> {
  let q = db.selectFrom('audit_log').selectAll().where('seq', '>', after);
  if (to !== undefined) q = q.where('seq', '<=', to);
  return q.orderBy('seq').limit(limit).execute();
}

/** Every record in [from, to], in order. */
export async function recordRange(db: Conn, from: number, to: number): Promise<AuditLogTable[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>=', from)
    .where('seq', '<=', to)
    .orderBy('seq')
    .execute();
}

export async function recordExists(db: Conn, seq: number): Promise<boolean> {
  return (
    (await db.selectFrom('audit_log').select('seq').where('seq', '=', seq).executeTakeFirst()) !==
    undefined
  );
}

/** seq, time and hash of the given records. */
export async function recordEnds(
  db: Conn,
  seqs: readonly number[],
): Promise<{ seq: number; ts: string; hash: string }[]> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['seq', 'ts', 'hash'])
    .where('seq', 'in', [...seqs])
    .execute();
  return rows.map((r) => ({ seq: Number(r.seq), ts: r.ts, hash: r.hash }));
}

/** The first record at or after a time, or the last at or before it. */
export async function seqAtTime(
  db: Conn,
  isoTime: string,
  side: 'from' | 'to',
): Promise<number | undefined> {
  const q = db.selectFrom('audit_log').select('seq').where('seq', '>=', FIRST_SEQ);
  const row =
    side === 'from'
      ? await q.where('ts', '>=', isoTime).orderBy('seq').limit(1).executeTakeFirst()
      : await q.where('ts', '<=', isoTime).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

/** Records about actions in [from, to], in order. */
export async function actionRecordsIn(
  db: Conn,
  fromSeq: number,
  toSeq: number,
): Promise<Pick<AuditLogTable, 'seq' | 'ts' | 'type' | 'action_id' | 'actor' | 'payload'>[]> {
  return db
    .selectFrom('audit_log')
    .select(['seq', 'ts', 'type', 'action_id', 'actor', 'payload'])
    .where('seq', '>=', Math.max(fromSeq, FIRST_SEQ))
    .where('seq', '<=', toSeq)
    .where('action_id', 'is not', null)
    .orderBy('seq')
    .execute();
}

// --- checkpoints ---------------------------------------------------------------

export async function latestCheckpointText(db: Conn): Promise<CheckpointText | undefined> {
  return db
    .selectFrom('audit_checkpoints')
    .select(['body', 'bundle'])
    .orderBy('idx', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function checkpointTextAt(db: Conn, idx: number): Promise<CheckpointText | undefined> {
  return db
    .selectFrom('audit_checkpoints')
    .select(['body', 'bundle'])
    .where('idx', '=', idx)
    .executeTakeFirst();
}

/** Checkpoints from index `idx` on, or the newest one alone when no index is given. */
export async function checkpointsFromIndex(
  db: Conn,
  idx: number | undefined,
): Promise<(CheckpointText & { idx: number })[]> {
  const q = db.selectFrom('audit_checkpoints').select(['idx', 'body', 'bundle']);
  const rows =
    idx !== undefined
      ? await q.where('idx', '>=', idx).orderBy('idx').execute()
      : await q.orderBy('idx', 'desc').limit(1).execute();
  return rows.map((r) => ({ ...r, idx: Number(r.idx) }));
}

export async function allCheckpointTexts(db: Conn): Promise<CheckpointText[]> {
  return db.selectFrom('audit_checkpoints').select(['body', 'bundle']).orderBy('idx').execute();
}

/** Checkpoints whose range ends inside [from, to]. */
export async function checkpointsEndingIn(
  db: Conn,
  from: number,
  to: number,
): Promise<CheckpointText[]> {
  return db
    .selectFrom('audit_checkpoints')
    .select(['body', 'bundle'])
    .where('to_seq', '>=', from)
    .where('to_seq', '<=', to)
    .orderBy('idx')
    .execute();
}

/** Checkpoints whose range overlaps [from, to]. */
export async function checkpointsOverlapping(
  db: Conn,
  from: number,
  to: number,
): Promise<CheckpointText[]> {
  return db
    .selectFrom('audit_checkpoints')
    .select(['body', 'bundle'])
    .where('to_seq', '>=', from)
    .where('from_seq', '<=', to)
    .orderBy('idx')
    .execute();
}

/** The checkpoint whose range holds `seq`. */
export async function checkpointCovering(
  db: Conn,
  seq: number,
): Promise<CheckpointText | undefined> {
  return db
    .selectFrom('audit_checkpoints')
    .select(['body', 'bundle'])
    .where('from_seq', '<=', seq)
    .where('to_seq', '>=', seq)
    .executeTakeFirst();
}

export async function insertCheckpoint(
  db: Conn,
  row: Insertable<AuditCheckpointsTable>,
): Promise<void> {
  await db.insertInto('audit_checkpoints').values(row).execute();
}

/** The latest `limit` records of one type, newest first (on the (type, seq) index). */
export async function latestRecordsOfType(
  db: Conn,
  type: string,
  limit: number,
): Promise<AuditLogTable[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('type', '=', type)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
}
