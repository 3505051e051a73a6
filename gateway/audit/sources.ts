/**
 * Where a verifier reads an audit log from: the database, or an export file
 * (`interlock audit export`: JSON lines, checkpoints first, then records in order).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { SerializedBundle } from '@sigstore/bundle';
import { VerificationError } from '../schema/errors.ts';
import type { Db } from '../store/db.ts';
import { storedCanonical, type AuditRecord } from './chain.ts';
import { canonicalJson } from '../schema/canonical-json.ts';

export { storedCanonical };
import { CheckpointBodySchema, Hex64, rowToCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { LogSource, StoredRecord } from './verify-log.ts';
import { allCheckpointTexts, recordsAfter } from '../store/audit-log.ts';
import { rawRecordPages, type RawSqlite } from '../store/audit-raw.ts';

/** Pages of records straight from SQLite as arrays: several times cheaper than row objects. */
function* sqlitePages(sqlite: RawSqlite, pageSize: number): Generator<StoredRecord[]> {
  for (const rows of rawRecordPages(sqlite, pageSize)) {
    yield rows.map(([seq, ts, type, action_id, actor, payload, prevHash, hash]) => ({
      seq: Number(seq),
      canonical: storedCanonical({ seq, ts, type, action_id, actor, payload }),
      prevHash,
      hash,
    }));
  }
}

export function databaseSource(
  db: Db,
  options: { sqlite?: RawSqlite; pageSize?: number } = {},
): LogSource {
  const pageSize = options.pageSize ?? 20_000;
  return {
    complete: true,
    async checkpoints() {
      const rows = await allCheckpointTexts(db);
      return rows.map((row) => {
        try {
          return rowToCheckpoint(row);
        } catch {
          // A damaged row still takes its place, so the verifier reports it rather than skipping
          // it.
          let body: unknown = {};
          try {
            body = JSON.parse(row.body);
          } catch {
            body = {};
          }
          return {
            body: body as Checkpoint['body'],
            bodyText: row.body,
            bundle: {} as SerializedBundle,
          };
        }
      });
    },
    async *records() {
      if (options.sqlite) {
        yield* sqlitePages(options.sqlite, pageSize);
        return;
      }
      let after = Number.MIN_SAFE_INTEGER;
      for (;;) {
        const rows = await recordsAfter(db, after, pageSize);
        if (rows.length === 0) return;
        yield rows.map((r): StoredRecord => ({
          seq: Number(r.seq),
          canonical: storedCanonical(r),
          prevHash: r.prev_hash,
          hash: r.hash,
        }));
        after = Number(rows[rows.length - 1]!.seq);
      }
    },
  };
}

/** One audit record as a document (exports, proofs): the hashed fields. */
export const AuditRecordSchema = z.strictObject({
  seq: z.number().int().positive(),
  ts: z.string(),
  type: z.string(),
  action_id: z.string().nullable(),
  actor: z.string(),
  payload: z.record(z.string(), z.unknown()),
});

export const ExportRecordSchema = AuditRecordSchema.extend({
  kind: z.literal('record'),
  prev_hash: Hex64,
  hash: Hex64,
});
export type ExportRecord = z.infer<typeof ExportRecordSchema>;

export const ExportCheckpointSchema = z.strictObject({
  kind: z.literal('checkpoint'),
  body: CheckpointBodySchema,
  bundle: z.record(z.string(), z.unknown()),
});

export function exportRecordToAudit(line: ExportRecord): AuditRecord {
  return {
    seq: line.seq,
    ts: line.ts,
    type: line.type,
    action_id: line.action_id,
    actor: line.actor,
    payload: line.payload,
  };
}

/** Reads an export file; a line that is not a record or checkpoint is an error naming the line. */
export async function exportFileSource(file: string): Promise<LogSource> {
  const checkpoints: Checkpoint[] = [];
  const records: StoredRecord[] = [];
  const lines = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new VerificationError(`${file}:${n}: not valid JSON`);
      }
      const kind = (value as { kind?: unknown } | null)?.kind;
      if (kind === 'checkpoint') {
        const cp = ExportCheckpointSchema.safeParse(value);
        if (!cp.success)
          throw new VerificationError(
            `${file}:${n}: malformed checkpoint: ${cp.error.issues[0]?.message ?? ''}`,
          );
        checkpoints.push({
          body: cp.data.body,
          bodyText: canonicalJson(cp.data.body),
          bundle: cp.data.bundle as SerializedBundle,
        });
      } else if (kind === 'record') {
        const rec = ExportRecordSchema.safeParse(value);
        if (!rec.success)
          throw new VerificationError(
            `${file}:${n}: malformed record: ${rec.error.issues[0]?.message ?? ''}`,
          );
        records.push({
          seq: rec.data.seq,
          canonical: canonicalJson(exportRecordToAudit(rec.data)),
          prevHash: rec.data.prev_hash,
          hash: rec.data.hash,
        });
      } else {
        throw new VerificationError(`${file}:${n}: expected a record or a checkpoint line`);
      }
    }
  } catch (err) {
    if (err instanceof VerificationError) throw err;
    throw new VerificationError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err },
    );
  }
  checkpoints.sort((a, b) => a.body.index - b.body.index);
  return {
    complete: records[0]?.seq === 1,
    checkpoints: async () => checkpoints,
    async *records() {
      yield records;
    },
  };
}
