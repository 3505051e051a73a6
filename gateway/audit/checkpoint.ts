/**
 * Signed checkpoints. Each covers the records since the previous one: an RFC 6962 Merkle root
 * over their leaves, the chain head at its last record and the digest of the previous
 * checkpoint, signed as a Sigstore bundle. The signed chain head vouches for every record up
 * to it through the hash chain; the root lets one record be proven alone.
 */
import { z } from 'zod';
import type { SerializedBundle } from '@sigstore/bundle';
import { VerificationError } from '../schema/errors.ts';
import type { Db } from '../store/db.ts';
import type { AuditLogTable } from '../store/types.ts';
import type { Signer } from '../signing/signer.ts';
import { chainHash, GENESIS_HASH, storedCanonical, type AuditRecord } from './chain.ts';
import { canonicalJson, sha256Hex } from '../schema/canonical-json.ts';
import { leafHash, merkleRoot } from './merkle.ts';
import type { CheckpointWitness } from './witness.ts';
import { verifyBlobBundle } from '../signing/verify.ts';
import {
  checkpointsFromIndex,
  checkpointTextAt,
  headSeq,
  insertCheckpoint,
  latestCheckpointText,
  recordsFrom,
} from '../store/audit-log.ts';

export const CHECKPOINT_TYPE = 'interlock.audit.checkpoint/v1';

/** A sha256 digest in lower-case hex. */
export const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const CheckpointBodySchema = z.strictObject({
  type: z.literal(CHECKPOINT_TYPE),
  index: z.number().int().positive(),
  from_seq: z.number().int().positive(),
  to_seq: z.number().int().positive(),
  tree_size: z.number().int().positive(),
  /** RFC 6962 root over the leaves of records from_seq..to_seq. */
  root: Hex64,
  /** The chain hash of record to_seq. */
  chain_head: Hex64,
  /** sha256 of the previous checkpoint's body (canonical JSON); zeros for the first. */
  prev: Hex64,
  signed_at: z.string(),
});
export type CheckpointBody = z.infer<typeof CheckpointBodySchema>;

/** A checkpoint as stored and exported: the signed body text and its bundle. */
export interface Checkpoint {
  body: CheckpointBody;
  /** Exactly the bytes that were signed (canonical JSON of `body`). */
  bodyText: string;
  bundle: SerializedBundle;
}

export function toAuditRecord(
  row: Pick<AuditLogTable, 'seq' | 'ts' | 'type' | 'action_id' | 'actor' | 'payload'>,
): AuditRecord {
  return {
    seq: Number(row.seq),
    ts: row.ts,
    type: row.type,
    action_id: row.action_id,
    actor: row.actor,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

/** A record's Merkle leaf: the leaf hash of its canonical JSON, the same bytes the chain hashes. */
export function recordLeaf(record: AuditRecord): Buffer {
  return leafHash(canonicalJson(record));
}

export function checkpointDigest(bodyText: string): string {
  return sha256Hex(bodyText);
}

export function rowToCheckpoint(row: { body: string; bundle: string }): Checkpoint {
  return {
    body: CheckpointBodySchema.parse(JSON.parse(row.body)),
    bodyText: row.body,
    bundle: JSON.parse(row.bundle) as SerializedBundle,
  };
}

export async function lastCheckpoint(db: Db): Promise<Checkpoint | undefined> {
  const row = await latestCheckpointText(db);
  return row ? rowToCheckpoint(row) : undefined;
}

/**
 * Signs the next range (at most `maxRecords` records after the last checkpoint). Returns
 * undefined when there is nothing new. Refuses to sign a range whose chain does not verify, so
 * a checkpoint never vouches for records altered before it was made.
 */
export async function createCheckpoint(
  db: Db,
  signer: Signer,
  options: CheckpointOptions,
): Promise<Checkpoint | undefined> {
  const last = options.witness
    ? await checkWitness(db, signer, options.witness)
    : await lastCheckpoint(db);
  const fromSeq = (last?.body.to_seq ?? 0) + 1;
  const rows = await recordsFrom(db, fromSeq, options.maxRecords);
  if (rows.length === 0) {
    // A checkpoint that claims records the log does not have would stop signing for good.
    const head = await headSeq(db);
    if (last && last.body.to_seq > head)
      throw new VerificationError(
        `checkpoint #${last.body.index} claims records through ${last.body.to_seq}, but the log ends at ${head}: not signing`,
      );
    return undefined;
  }
  let prevHash = last?.body.chain_head ?? GENESIS_HASH;
  const leaves: Buffer[] = [];
  for (const [i, row] of rows.entries()) {
    const seq = Number(row.seq);
    if (seq !== fromSeq + i)
      throw new VerificationError(`record ${fromSeq + i} is missing; not signing`);
    const canonical = storedCanonical(row);
    if (row.prev_hash !== prevHash || chainHash(prevHash, canonical) !== row.hash)
      throw new VerificationError(`record ${seq} does not verify; not signing`);
    const seen = options.observed?.get(seq);
    if (seen !== undefined && seen !== row.hash)
      throw new VerificationError(
        `record ${seq} is not the record this process saw at the head of the log: the unsigned records were rewritten; not signing`,
      );
    leaves.push(leafHash(canonical));
    prevHash = row.hash;
  }
  const body: CheckpointBody = {
    type: CHECKPOINT_TYPE,
    index: (last?.body.index ?? 0) + 1,
    from_seq: fromSeq,
    to_seq: fromSeq + rows.length - 1,
    tree_size: rows.length,
    root: merkleRoot(leaves).toString('hex'),
    chain_head: prevHash,
    prev: last ? checkpointDigest(last.bodyText) : GENESIS_HASH,
    signed_at: new Date((options.now ?? Date.now)()).toISOString(),
  };
  const bodyText = canonicalJson(body);
  const bundle = await signer.signBlob(Buffer.from(bodyText));
  try {
    await insertCheckpoint(db, {
      idx: body.index,
      from_seq: body.from_seq,
      to_seq: body.to_seq,
      root: body.root,
      chain_head: body.chain_head,
      body: bodyText,
      bundle: JSON.stringify(bundle),
      signer: signer.identity,
      created_at: Date.parse(body.signed_at),
    });
  } catch (err) {
    // Replicas sharing a database race to sign the same range; the first insert wins and the
    // others find its checkpoint in place. Anything else is a real failure.
    // The winner is believed only if it is what a replica would have made: signed by this key,
    // linked to the same predecessor, starting where ours starts, ending within the log.
    const row = await checkpointTextAt(db, body.index);
    if (!row) throw err;
    const winner = rowToCheckpoint(row);
    if (
      winner.body.prev !== body.prev ||
      winner.body.from_seq !== body.from_seq ||
      winner.body.to_seq > fromSeq + rows.length - 1
    ) {
      throw new VerificationError(
        `checkpoint #${body.index} appeared while signing and does not continue checkpoint #${body.index - 1} as this signer's would: not signing after it`,
      );
    }
    if (signer.publicKey)
      verifyBlobBundle(winner.bundle, Buffer.from(winner.bodyText), { keys: [signer.publicKey] });
    return winner;
  }
  recordWitness(options.witness, {
    index: body.index,
    digest: checkpointDigest(bodyText),
    to_seq: body.to_seq,
  });
  return { body, bodyText, bundle };
}

export interface CheckpointOptions {
  maxRecords: number;
  now?: () => number;
  /**
   * The signer's record of its last checkpoint, outside the database (gateway/audit/witness.ts).
   */
  witness?: CheckpointWitness;
  /**
   * Chain heads (seq → hash) this process saw before they were signed; each must still be there.
   */
  observed?: ReadonlyMap<number, string>;
}

/**
 * checkWitness returns the newest checkpoint, after proving it continues what this signer last
 * saw: the witnessed checkpoint is still there byte for byte, and every later one is signed by
 * this signer's key (replicas share it) and links to the one before. A forged, unsigned or
 * unlinked row stops signing with an error instead of being signed on top of. The newest
 * verified checkpoint then becomes the witness, so a replica also remembers what others signed.
 */
export async function checkWitness(
  db: Db,
  signer: Signer,
  witness: CheckpointWitness,
): Promise<Checkpoint | undefined> {
  const seen = witness.read();
  // Without a witness yet (a first start, a new host), trust the newest checkpoint on first use
  // rather than re-verifying a log's whole history on every poll.
  const rows = await checkpointsFromIndex(db, seen?.index);
  if (
    seen &&
    (rows[0] === undefined ||
      Number(rows[0].idx) !== seen.index ||
      checkpointDigest(rows[0].body) !== seen.digest)
  ) {
    throw new VerificationError(
      `checkpoint #${seen.index} (records through ${seen.to_seq}), which this signer made or saw, is ${rows[0] && Number(rows[0].idx) === seen.index ? 'changed' : 'missing'} in the database: checkpoints were removed or rewritten. Nothing more is signed until this is investigated (interlock audit verify).`,
    );
  }
  let prev: Checkpoint | undefined;
  for (const row of rows) {
    let cp: Checkpoint;
    try {
      cp = rowToCheckpoint(row);
    } catch {
      throw new VerificationError(
        `checkpoint #${String(row.idx)} in the database is malformed: not signing after it`,
      );
    }
    if (
      prev &&
      (cp.body.index !== prev.body.index + 1 ||
        cp.body.prev !== checkpointDigest(prev.bodyText) ||
        cp.body.from_seq !== prev.body.to_seq + 1)
    ) {
      throw new VerificationError(
        `checkpoint #${cp.body.index} does not follow checkpoint #${prev.body.index}: not signing after it`,
      );
    }
    if (signer.publicKey && !(seen && cp.body.index === seen.index)) {
      try {
        verifyBlobBundle(cp.bundle, Buffer.from(cp.bodyText), { keys: [signer.publicKey] });
      } catch (err) {
        throw new VerificationError(
          `checkpoint #${cp.body.index} in the database is not signed by this signer's key (${err instanceof Error ? err.message : String(err)}): not signing after it`,
        );
      }
    }
    prev = cp;
  }
  // Written only when it moves: most polls find just the witnessed checkpoint.
  if (prev && (!seen || prev.body.index > seen.index))
    recordWitness(witness, {
      index: prev.body.index,
      digest: checkpointDigest(prev.bodyText),
      to_seq: prev.body.to_seq,
    });
  return prev;
}

/** A witness that cannot be written is an error, never silence: without it the check is off. */
function recordWitness(
  witness: CheckpointWitness | undefined,
  entry: { index: number; digest: string; to_seq: number },
): void {
  if (!witness) return;
  try {
    witness.write(entry);
  } catch (err) {
    throw new WitnessError(
      `cannot record the checkpoint witness (${err instanceof Error ? err.message : String(err)}); set audit.witness to a writable file`,
    );
  }
}

/**
 * The witness could not be written: the checkpointer reports it even when a checkpoint was made.
 */
export class WitnessError extends VerificationError {}

/** Signs checkpoints until every record (or every record through `through`) is covered. */
export async function signPending(
  db: Db,
  signer: Signer,
  options: CheckpointOptions & { through?: number },
): Promise<{ made: number; through: number }> {
  let through = (await lastCheckpoint(db))?.body.to_seq ?? 0;
  let made = 0;
  while (options.through === undefined || through < options.through) {
    const cp = await createCheckpoint(db, signer, options);
    if (!cp) break;
    made++;
    through = cp.body.to_seq;
  }
  return { made, through };
}
