import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../schema/canonical-json.ts';
import { InterlockError } from '../schema/errors.ts';
import type { SealStatement } from '../schema/policy-seal.ts';
import { keyHint, type SigningKey } from './keys.ts';
import {
  openSeal,
  readSeal,
  SEAL_MAX_BYTES,
  sealedSources,
  sealStatement,
  signSeal,
  sourceDifferences,
  type SealableSource,
} from './policy-seal.ts';
import { localKeySigner } from './signer.ts';

function key(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey,
    publicKey: {
      hint: keyHint(der),
      der,
      pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  };
}

const ci = key();
const other = key();
const trust = { keys: [ci.publicKey], identities: [] };
const sources: SealableSource[] = [
  { path: 'autonomy.yaml', kind: 'data', content: 'levels: {}\n' },
  { path: 'interlock/policy/policy.rego', kind: 'rego', content: 'package interlock.policy\n' },
  { path: 'interlock/policy/policy_test.rego', kind: 'rego_test', content: 'package x\n' },
  { path: 'invariants/heat.yaml', kind: 'invariant', content: 'id: heat\n' },
];
const digest = createHash('sha256').update('the bundle').digest('hex');

function statement(overrides: Partial<Parameters<typeof sealStatement>[0]> = {}): SealStatement {
  return sealStatement({
    digest,
    sources,
    wasm: new Uint8Array([0, 97, 115, 109]),
    ciReport: Buffer.from('{"ok":true}'),
    steps: [{ name: 'opa test', ok: true, summary: '45 passed' }],
    allowLoosening: false,
    version: 'test',
    now: Date.UTC(2026, 11, 1),
    ...overrides,
  });
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InterlockError) return err.code;
    throw err;
  }
  return 'opened';
};

describe('policy seals', () => {
  it('opens a seal over exactly the candidate, naming the key that signed', async () => {
    const sealed = await signSeal(localKeySigner(ci), statement());
    const opened = openSeal(sealed, trust, { digest, sources });
    expect(opened).toMatchObject({
      signer: `key:${ci.publicKey.hint}`,
      digest,
      signedAt: '2026-12-01T00:00:00.000Z',
      allowLoosening: false,
    });
    // Test files are not in the bundle, so they are not in the seal either.
    expect(statement().predicate.sources.map((s) => s.path)).not.toContain(
      'interlock/policy/policy_test.rego',
    );
    expect(
      codeOf(() =>
        openSeal(sealed, trust, {
          digest,
          sources: sources.map((s) => (s.kind === 'rego_test' ? { ...s, content: 'changed' } : s)),
        }),
      ),
    ).toBe('opened');
  });

  it('refuses another key, another digest, changed, added and removed sources', async () => {
    const sealed = await signSeal(localKeySigner(ci), statement());
    expect(
      codeOf(() =>
        openSeal(sealed, { keys: [other.publicKey], identities: [] }, { digest, sources }),
      ),
    ).toBe('policy_seal_untrusted');
    const foreign = await signSeal(localKeySigner(other), statement());
    expect(codeOf(() => openSeal(foreign, trust, { digest, sources }))).toBe(
      'policy_seal_untrusted',
    );
    const otherDigest = createHash('sha256').update('another bundle').digest('hex');
    expect(codeOf(() => openSeal(sealed, trust, { digest: otherDigest, sources }))).toBe(
      'policy_seal_mismatch',
    );
    const changed = sources.map((s) =>
      s.path === 'autonomy.yaml' ? { ...s, content: 'x: 1\n' } : s,
    );
    expect(() => openSeal(sealed, trust, { digest, sources: changed })).toThrow(
      /changed autonomy\.yaml/,
    );
    const added = [
      ...sources,
      { path: 'extra.rego', kind: 'rego' as const, content: 'package e\n' },
    ];
    expect(() => openSeal(sealed, trust, { digest, sources: added })).toThrow(/added extra\.rego/);
    expect(() => openSeal(sealed, trust, { digest, sources: sources.slice(1) })).toThrow(
      /removed autonomy\.yaml/,
    );
    // The same content under another kind is another bundle (data merges, Rego compiles).
    const rekinded = sources.map((s) =>
      s.path === 'autonomy.yaml' ? { ...s, kind: 'invariant' as const } : s,
    );
    expect(() => openSeal(sealed, trust, { digest, sources: rekinded })).toThrow(
      /changed autonomy\.yaml/,
    );
  });

  it('refuses a signed payload that is not a seal, or a seal over a failed run', async () => {
    const signer = localKeySigner(ci);
    const wrongType = await signer.signEnvelope(
      Buffer.from(canonicalJson(statement())),
      'text/plain',
    );
    expect(codeOf(() => openSeal(wrongType, trust, { digest, sources }))).toBe(
      'policy_seal_untrusted',
    );
    const failed = statement();
    const raw = JSON.parse(canonicalJson(failed)) as { predicate: { ci: { ok: boolean } } };
    raw.predicate.ci.ok = false;
    const overFailed = await signer.signEnvelope(
      Buffer.from(JSON.stringify(raw)),
      'application/vnd.in-toto+json',
    );
    expect(codeOf(() => openSeal(overFailed, trust, { digest, sources }))).toBe(
      'policy_seal_invalid',
    );
    const notJson = await signer.signEnvelope(
      Buffer.from('not json'),
      'application/vnd.in-toto+json',
    );
    expect(codeOf(() => openSeal(notJson, trust, { digest, sources }))).toBe('policy_seal_invalid');
    expect(codeOf(() => openSeal({ hello: 'world' }, trust, { digest, sources }))).toBe(
      'policy_seal_invalid',
    );
    expect(codeOf(() => openSeal('a string', trust, { digest, sources }))).toBe(
      'policy_seal_invalid',
    );
  });

  it('lists every difference once, whatever the two lists (property)', () => {
    const entry = fc.record({
      path: fc.constantFrom('a.rego', 'b.yaml', 'c/d.rego', 'e.yaml'),
      kind: fc.constantFrom('rego' as const, 'data' as const),
      sha256: fc.constantFrom('1'.repeat(64), '2'.repeat(64)),
    });
    const unique = fc.uniqueArray(entry, { selector: (e) => e.path });
    fc.assert(
      fc.property(unique, unique, (sealed, candidate) => {
        const out = sourceDifferences(sealed, candidate);
        const same =
          sealed.length === candidate.length &&
          sealed.every((s) =>
            candidate.some((c) => c.path === s.path && c.sha256 === s.sha256 && c.kind === s.kind),
          );
        expect(out.length === 0).toBe(same);
        const paths = out.map((line) => line.split(' ')[1]);
        expect(new Set(paths).size).toBe(paths.length);
      }),
    );
    const listed = sealedSources(sources);
    expect(sourceDifferences([...listed, listed[0]!], listed)).toContain(
      'the seal lists a source twice',
    );
    expect(sourceDifferences(listed, [...listed, listed[0]!])).toContain(
      'the tree has two sources at one path',
    );
  });

  describe('reading the seal file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlock-seal-unit-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const readCode = async (file: string): Promise<string> => {
      try {
        await readSeal(file);
        return 'read';
      } catch (err) {
        return (err as InterlockError).code;
      }
    };

    it('is unsigned when missing, invalid when not JSON or too big', async () => {
      expect(await readCode(path.join(dir, 'none.json'))).toBe('policy_unsigned');
      writeFileSync(path.join(dir, 'bad.json'), '{"dsse');
      expect(await readCode(path.join(dir, 'bad.json'))).toBe('policy_seal_invalid');
      writeFileSync(path.join(dir, 'big.json'), `"${'x'.repeat(SEAL_MAX_BYTES)}"`);
      expect(await readCode(path.join(dir, 'big.json'))).toBe('policy_seal_invalid');
      expect(await readCode(dir)).toBe('policy_seal_invalid');
      // A named pipe would block a plain read forever.
      execFileSync('mkfifo', [path.join(dir, 'pipe.json')]);
      expect(await readCode(path.join(dir, 'pipe.json'))).toBe('policy_seal_invalid');
      writeFileSync(path.join(dir, 'ok.json'), '{"a":1}');
      expect(await readCode(path.join(dir, 'ok.json'))).toBe('read');
    });
  });
});
