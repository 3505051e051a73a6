/**
 * Inclusion proofs: one record, the signed checkpoint that covers it and the Merkle path between
 * them. Whoever holds the proof and the public key can check the record without the log.
 */
import { z } from 'zod';
import type { SerializedBundle } from '@sigstore/bundle';
import { InterlockError, VerificationError } from '../schema/errors.ts';
import type { Db } from '../store/db.ts';
import { verifyBlobBundle, type TrustPolicy } from '../signing/verify.ts';
import { storedCanonical } from './chain.ts';
import { canonicalJson } from '../schema/canonical-json.ts';
import {
  CheckpointBodySchema,
  Hex64,
  recordLeaf,
  rowToCheckpoint,
  toAuditRecord,
} from './checkpoint.ts';
import { inclusionPath, leafHash, merkleRoot, verifyInclusion } from './merkle.ts';
import { AuditRecordSchema } from './sources.ts';
import { checkpointCovering, recordExists, recordRange } from '../store/audit-log.ts';

export const PROOF_TYPE = 'interlock.audit.inclusion-proof/v1';

export const InclusionProofSchema = z.strictObject({
  type: z.literal(PROOF_TYPE),
  record: AuditRecordSchema,
  checkpoint: z.strictObject({
    body: CheckpointBodySchema,
    bundle: z.record(z.string(), z.unknown()),
  }),
  leaf_index: z.number().int().nonnegative(),
  tree_size: z.number().int().positive(),
  path: z.array(Hex64).max(64),
});
export type InclusionProof = z.infer<typeof InclusionProofSchema>;

export async function proveRecord(db: Db, seq: number): Promise<InclusionProof> {
  const row = await checkpointCovering(db, seq);
  if (!row) {
    if (!(await recordExists(db, seq)))
      throw new InterlockError('not_found', `there is no audit record ${seq}`);
    throw new InterlockError(
      'not_found',
      `record ${seq} is not covered by a signed checkpoint yet; run \`interlock audit checkpoint\` or wait for the next one`,
    );
  }
  const cp = rowToCheckpoint(row);
  const rows = await recordRange(db, cp.body.from_seq, cp.body.to_seq);
  // The same leaves the checkpointer signed: the stored canonical form of each record.
  const leaves = rows.map((r) => leafHash(storedCanonical(r)));
  // A proof is only worth printing if the stored range still matches what was signed.
  if (leaves.length !== cp.body.tree_size || merkleRoot(leaves).toString('hex') !== cp.body.root) {
    throw new VerificationError(
      `records ${cp.body.from_seq}–${cp.body.to_seq} no longer match signed checkpoint ${cp.body.index}; run \`interlock audit verify\``,
    );
  }
  const index = seq - cp.body.from_seq;
  return {
    type: PROOF_TYPE,
    record: toAuditRecord(rows[index]!),
    checkpoint: { body: cp.body, bundle: cp.bundle as Record<string, unknown> },
    leaf_index: index,
    tree_size: cp.body.tree_size,
    path: inclusionPath(index, leaves).map((h) => h.toString('hex')),
  };
}

/**
 * Checks a proof document; returns the record it proves. Throws VerificationError naming the flaw.
 */
export function verifyInclusionProof(doc: unknown, trust: TrustPolicy): InclusionProof['record'] {
  const parsed = InclusionProofSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VerificationError(
      `not an inclusion proof: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  const proof = parsed.data;
  const body = proof.checkpoint.body;
  verifyBlobBundle(
    proof.checkpoint.bundle as unknown as SerializedBundle,
    Buffer.from(canonicalJson(body)),
    trust,
  );
  if (proof.tree_size !== body.tree_size)
    throw new VerificationError(
      `the proof's tree size ${proof.tree_size} is not the checkpoint's ${body.tree_size}`,
    );
  if (proof.record.seq !== body.from_seq + proof.leaf_index)
    throw new VerificationError(
      `record ${proof.record.seq} is not leaf ${proof.leaf_index} of checkpoint ${body.index} (records ${body.from_seq}–${body.to_seq})`,
    );
  const ok = verifyInclusion(
    recordLeaf(proof.record),
    proof.leaf_index,
    proof.tree_size,
    proof.path.map((h) => Buffer.from(h, 'hex')),
    Buffer.from(body.root, 'hex'),
  );
  if (!ok)
    throw new VerificationError(
      `record ${proof.record.seq} is not included in signed checkpoint ${body.index}: the Merkle path does not lead to its root`,
    );
  return proof.record;
}
