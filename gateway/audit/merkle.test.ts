import { describe, expect, it } from 'vitest';
import { inclusionPath, leafHash, merkleRoot, nodeHash, verifyInclusion } from './merkle.ts';

const hex = (b: Buffer): string => b.toString('hex');
const unhex = (h: string): Buffer => Buffer.from(h, 'hex');

// The Certificate Transparency reference inputs and the tree heads RFC 6962 implementations agree
// on.
const INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const LEAVES = INPUTS.map((d) => leafHash(d));

/** The RFC's recursive definition, written independently of the bottom-up implementation. */
function referenceRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

describe('RFC 6962 Merkle tree', () => {
  it('matches the reference tree heads for sizes 0 to 8', () => {
    for (let n = 0; n <= 8; n++)
      expect(hex(merkleRoot(LEAVES.slice(0, n))), `size ${n}`).toBe(ROOTS[n]);
  });

  it('produces the reference inclusion proof for leaf 0 of 8', () => {
    expect(inclusionPath(0, LEAVES).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
  });

  it('agrees with the recursive definition, and every proof verifies, for sizes 1 to 70', () => {
    const all = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from([i, i * 3 + 1])));
    for (let n = 1; n <= all.length; n++) {
      const leaves = all.slice(0, n);
      const root = merkleRoot(leaves);
      expect(hex(root)).toBe(hex(referenceRoot(leaves)));
      for (let i = 0; i < n; i++)
        expect(verifyInclusion(leaves[i]!, i, n, inclusionPath(i, leaves), root)).toBe(true);
    }
  });

  it('rejects a proof for another leaf, another index, another size, or with a changed hash', () => {
    const leaves = LEAVES.slice(0, 7);
    const root = merkleRoot(leaves);
    const path = inclusionPath(5, leaves);
    expect(verifyInclusion(leaves[5]!, 5, 7, path, root)).toBe(true);
    expect(verifyInclusion(leaves[4]!, 5, 7, path, root)).toBe(false);
    expect(verifyInclusion(leaves[5]!, 4, 7, path, root)).toBe(false);
    // (Size 8 would rebuild the same root here: the tree size is fixed by the signed checkpoint.)
    expect(verifyInclusion(leaves[5]!, 5, 6, path, root)).toBe(false);
    expect(verifyInclusion(leaves[5]!, 5, 7, path.slice(1), root)).toBe(false);
    expect(verifyInclusion(leaves[5]!, 5, 7, [...path, path[0]!], root)).toBe(false);
    const forged = path.map((p, i) => (i === 1 ? Buffer.from(p).fill(0, 0, 1) : p));
    expect(verifyInclusion(leaves[5]!, 5, 7, forged, root)).toBe(false);
    expect(verifyInclusion(leaves[5]!, 7, 7, path, root)).toBe(false);
    expect(verifyInclusion(leaves[5]!, -1, 7, path, root)).toBe(false);
  });
});
