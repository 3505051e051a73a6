/**
 * RFC 6962 Merkle tree hashing (also RFC 9162 §2.1): leaves are hashed with a 0x00 prefix and
 * interior nodes with 0x01, so a leaf can never be passed off as a subtree. Used for the signed
 * audit checkpoints and for single-record inclusion proofs.
 */
import { createHash, hash } from 'node:crypto';

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

// One-shot crypto.hash: verification hashes every record twice, and it is about twice as fast
// as a createHash object per call.
export function leafHash(data: Uint8Array | string): Buffer {
  // A string's NUL prefix encodes as the single byte 0x00 in UTF-8.
  return typeof data === 'string'
    ? hash('sha256', `\0${data}`, 'buffer')
    : hash('sha256', Buffer.concat([LEAF, data]), 'buffer');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE, left, right]), 'buffer');
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over already-hashed leaves; the empty tree's root is sha256 of nothing. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  // Bottom-up: pairing left to right and carrying an odd last node up unchanged yields the
  // same tree as the RFC's recursive split at the largest power of two.
  let level: readonly Buffer[] = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** PATH(m, D[n]): the sibling hashes from leaf m up to the root, nearest first. */
export function inclusionPath(index: number, leaves: readonly Buffer[]): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
    throw new RangeError(`leaf index ${index} is outside a tree of ${leaves.length}`);
  const path: Buffer[] = [];
  let lo = 0;
  let hi = leaves.length;
  let m = index;
  const frames: Buffer[] = [];
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < k) {
      frames.push(merkleRoot(leaves.slice(lo + k, hi)));
      hi = lo + k;
    } else {
      frames.push(merkleRoot(leaves.slice(lo, lo + k)));
      lo += k;
      m -= k;
    }
  }
  // Collected root-side first; the proof lists them leaf-side first.
  for (let i = frames.length - 1; i >= 0; i--) path.push(frames[i]!);
  return path;
}

/** RFC 9162 §2.1.3.2: recompute the root from a leaf hash and its path. */
export function rootFromInclusionPath(
  leaf: Buffer,
  index: number,
  treeSize: number,
  path: readonly Buffer[],
): Buffer | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize)
    return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(
  leaf: Buffer,
  index: number,
  treeSize: number,
  path: readonly Buffer[],
  root: Buffer,
): boolean {
  const computed = rootFromInclusionPath(leaf, index, treeSize, path);
  return computed !== undefined && computed.equals(root);
}
