/**
 * Keyless signing (a Fulcio certificate for an OIDC identity, a Rekor transparency-log entry)
 * through the same Signer as the local key. No network here, so Fulcio and Rekor are
 * @sigstore/mock's in-process implementations (real certificates, real signed log entries,
 * served over intercepted HTTP); the trusted root is built from their keys.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  rekorHandler,
  type HandlerFn,
} from '@sigstore/mock';

type Handler = { path: string; fn: HandlerFn };
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keylessSigner, type Signer } from '../gateway/signing/signer.ts';
import { openSeal, sealStatement, signSeal } from '../gateway/signing/policy-seal.ts';
import {
  verifyBlobBundle,
  verifyEnvelopeBundle,
  type TrustPolicy,
} from '../gateway/signing/verify.ts';

const FULCIO = 'https://fulcio.interlock.test';
const REKOR = 'https://rekor.interlock.test';
const IDENTITY = 'https://ci.interlock.test/gateway';
const ISSUER = 'https://issuer.interlock.test';

const b64 = (b: ArrayBufferView): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = (k: ReturnType<typeof p256>): Buffer =>
  k.publicKey.export({ type: 'spki', format: 'der' });

/**
 * An unsigned JWT is enough for the mock CA, which reads the claims without checking a signature.
 */
function identityToken(sub = IDENTITY): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: ISSUER, sub, aud: 'sigstore', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })}.`;
}

let signer: Signer;
let trust: TrustPolicy;

beforeAll(async () => {
  const caKeys = p256();
  const ctKeys = p256();
  const tlogKeys = p256();
  const ctlog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog);
  const tlog = await initializeTLog(REKOR, tlogKeys);
  const serve = (base: string, handler: Handler) =>
    nock(base)
      .persist()
      .post(handler.path)
      .reply(async (_uri, body) => {
        const r = await handler.fn(typeof body === 'string' ? body : JSON.stringify(body));
        const response =
          typeof r.response === 'string'
            ? r.response
            : Buffer.from(r.response.buffer, r.response.byteOffset, r.response.byteLength);
        return [r.statusCode, response, { 'Content-Type': r.contentType ?? 'application/json' }];
      });
  serve(FULCIO, fulcioHandler(ca, { strict: true }));
  serve(REKOR, rekorHandler(tlog, { strict: true }));
  nock.disableNetConnect();

  const validFor = { start: '2020-01-01T00:00:00Z' };
  const key = (der: Buffer) => ({
    rawBytes: b64(der),
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor,
  });
  trust = {
    keys: [],
    trustedRoot: {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: REKOR,
          hashAlgorithm: 'SHA2_256',
          publicKey: key(spki(tlogKeys)),
          logId: { keyId: b64(createHash('sha256').update(spki(tlogKeys)).digest()) },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: FULCIO,
          certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
          validFor,
        },
      ],
      ctlogs: [
        {
          baseUrl: 'https://ctfe.interlock.test',
          hashAlgorithm: 'SHA2_256',
          publicKey: key(spki(ctKeys)),
          logId: { keyId: b64(ctlog.logID) },
        },
      ],
      timestampAuthorities: [],
    },
    identity: { subjectAlternativeName: IDENTITY, issuer: ISSUER },
  };
  // The mock Rekor stores proposed entries as given; only the intoto form then carries what
  // the verifier compares (a real Rekor derives the dsse form's fields itself).
  signer = keylessSigner({
    fulcioURL: FULCIO,
    rekorURL: REKOR,
    identityToken: async () => identityToken(),
    identity: IDENTITY,
    rekorEntryType: 'intoto',
  });
});

afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('keyless signing through the Signer abstraction', () => {
  it('signs a checkpoint body with a Fulcio certificate and a Rekor entry, and it verifies', async () => {
    const body = Buffer.from('{"checkpoint":1}');
    const bundle = await signer.signBlob(body);
    expect(
      bundle.verificationMaterial.certificate ?? bundle.verificationMaterial.x509CertificateChain,
    ).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(() => verifyBlobBundle(bundle, body, trust)).not.toThrow();
    expect(() => verifyBlobBundle(bundle, Buffer.from('{"checkpoint":2}'), trust)).toThrow(
      /does not verify|digest/,
    );
  });

  it('signs an evidence envelope; the wrong identity or a missing trusted root is refused', async () => {
    const bundle = await signer.signEnvelope(
      Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'),
      'application/vnd.in-toto+json',
    );
    expect(verifyEnvelopeBundle(bundle, trust).payload.toString()).toContain('Statement');
    expect(() =>
      verifyEnvelopeBundle(bundle, {
        ...trust,
        identity: { subjectAlternativeName: 'https://someone.else' },
      }),
    ).toThrow(/does not verify/);
    expect(() => verifyEnvelopeBundle(bundle, { keys: [] })).toThrow(/trusted root/);
  });

  it('seals a policy tree keylessly; only a configured identity and issuer opens the seal', async () => {
    const sources = [{ path: 'a.rego', kind: 'rego' as const, content: 'package a\n' }];
    const digest = createHash('sha256').update('stand-in').digest('hex');
    const statement = sealStatement({
      digest,
      sources,
      wasm: new Uint8Array([0, 97, 115, 109]),
      ciReport: Buffer.from('{}'),
      steps: [],
      allowLoosening: false,
      version: 'test',
      now: Date.now(),
    });
    const sealed = await signSeal(signer, statement);
    const root = trust.trustedRoot;
    const opened = openSeal(
      sealed,
      {
        keys: [],
        identities: [
          { subjectAlternativeName: 'https://someone.else', issuer: ISSUER },
          { subjectAlternativeName: IDENTITY, issuer: ISSUER },
        ],
        trustedRoot: root,
      },
      { digest, sources },
    );
    expect(opened.signer).toBe(`keyless:${IDENTITY} (${ISSUER})`);
    const refused = (identities: { subjectAlternativeName: string; issuer: string }[]) => {
      try {
        openSeal(sealed, { keys: [], identities, trustedRoot: root }, { digest, sources });
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return 'opened';
    };
    expect(refused([{ subjectAlternativeName: IDENTITY, issuer: 'https://other.issuer' }])).toBe(
      'policy_seal_untrusted',
    );
    expect(refused([{ subjectAlternativeName: 'https://someone.else', issuer: ISSUER }])).toBe(
      'policy_seal_untrusted',
    );
    expect(refused([])).toBe('policy_seal_untrusted');
  });

  it('matches a keyless identity whole and literally: a longer or look-alike identity is refused', async () => {
    const sources = [{ path: 'a.rego', kind: 'rego' as const, content: 'package a\n' }];
    const digest = createHash('sha256').update('stand-in').digest('hex');
    const statement = sealStatement({
      digest,
      sources,
      wasm: new Uint8Array([0]),
      ciReport: Buffer.from('{}'),
      steps: [],
      allowLoosening: false,
      version: 'test',
      now: Date.now(),
    });
    const trusted = 'https://ci.interlock.test/policies/ci.yml@refs/heads/main';
    const sealedAs = async (sub: string) =>
      signSeal(
        keylessSigner({
          fulcioURL: FULCIO,
          rekorURL: REKOR,
          identityToken: async () => identityToken(sub),
          rekorEntryType: 'intoto',
        }),
        statement,
      );
    const open = (bundle: unknown) =>
      openSeal(
        bundle,
        {
          keys: [],
          identities: [{ subjectAlternativeName: trusted, issuer: ISSUER }],
          trustedRoot: trust.trustedRoot,
        },
        { digest, sources },
      );
    expect(open(await sealedAs(trusted)).signer).toBe(`keyless:${trusted} (${ISSUER})`);
    for (const other of [
      `${trusted}-attacker`,
      `https://evil.test/x@refs/heads/${trusted}`,
      trusted.replace('ci.interlock.test', 'ciXinterlock.test'),
    ]) {
      const bundle = await sealedAs(other);
      expect(() => open(bundle), other).toThrow(/trusted signer/);
    }
  });
});
