/**
 * Offline verification of the Sigstore bundles a Signer produces, through sigstore-js's public
 * verifier (@sigstore/verify). Key-signed bundles are checked against the public keys the
 * auditor trusts; keyless bundles against a trusted root (Fulcio CA, Rekor and CT log keys)
 * and, when given, the expected signer identity.
 */
import { createHash } from 'node:crypto';
import {
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  bundleFromJSON,
  bundleToJSON,
  isBundleWithPublicKey,
  type Bundle,
} from '@sigstore/bundle';
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import {
  toSignedEntity,
  toTrustMaterial,
  Verifier,
  type VerificationPolicy,
} from '@sigstore/verify';
import { canonicalJson } from '../schema/canonical-json.ts';
import { VerificationError } from '../schema/errors.ts';
import type { TrustedKey } from './keys.ts';

export interface TrustPolicy {
  keys: readonly TrustedKey[];
  /** A Sigstore trusted root (JSON), needed only for keyless bundles. */
  trustedRoot?: unknown;
  /** For keyless bundles: the certificate identity and OIDC issuer to require. */
  identity?: { subjectAlternativeName?: string; issuer?: string };
}

const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses a serialized bundle and insists it is in the canonical form the bundle library writes
 * back: an unknown field or a non-canonical base64 string (whose spare bits a decoder ignores)
 * would otherwise let a modified file still verify.
 */
export function parseBundle(json: unknown): Bundle {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    throw new VerificationError(`not a valid Sigstore bundle: ${describe(err)}`, { cause: err });
  }
  let same = false;
  try {
    same = canonicalJson(bundleToJSON(bundle)) === canonicalJson(json);
  } catch {
    same = false;
  }
  if (!same)
    throw new VerificationError(
      'Sigstore bundle is not in canonical form (unknown fields or altered encoding)',
    );
  return bundle;
}

/**
 * sigstore-js matches the certificate identity as a regular expression, unanchored: `…@refs/heads/main`
 * would also accept `…@refs/heads/main-attacker`. Identities are configured as strings, so
 * match them whole and literally.
 */
function exactly(identity: string): string {
  return `^${identity.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`;
}

function verifierFor(
  bundle: Bundle,
  trust: TrustPolicy,
): { verifier: Verifier; policy: VerificationPolicy } {
  if (isBundleWithPublicKey(bundle)) {
    const hint = bundle.verificationMaterial.content.publicKey.hint;
    const known = trust.keys.find((k) => k.hint === hint);
    if (!known)
      throw new VerificationError(
        `signed by key ${hint.slice(0, 16)}…, which is not among the trusted keys`,
      );
    const material = toTrustMaterial(TrustedRoot.fromJSON(EMPTY_ROOT), {
      [hint]: { rawBytes: known.der, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 },
    });
    // No transparency log or timestamp authority offline: the key is the trust anchor.
    return {
      verifier: new Verifier(material, {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
      }),
      policy: {},
    };
  }
  if (trust.trustedRoot === undefined)
    throw new VerificationError('keyless bundle: a Sigstore trusted root is needed to verify it');
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(trust.trustedRoot);
  } catch (err) {
    throw new VerificationError(`trusted root is malformed: ${describe(err)}`, { cause: err });
  }
  const policy: VerificationPolicy = {
    ...(trust.identity?.subjectAlternativeName
      ? { subjectAlternativeName: exactly(trust.identity.subjectAlternativeName) }
      : {}),
    ...(trust.identity?.issuer ? { extensions: { issuer: trust.identity.issuer } } : {}),
  };
  return { verifier: new Verifier(toTrustMaterial(root)), policy };
}

function run(bundle: Bundle, artifact: Buffer | undefined, trust: TrustPolicy): void {
  const { verifier, policy } = verifierFor(bundle, trust);
  try {
    verifier.verify(toSignedEntity(bundle, artifact), policy);
  } catch (err) {
    throw new VerificationError(`signature does not verify: ${describe(err)}`, { cause: err });
  }
}

/** Verifies a message-signature bundle over `data`; throws VerificationError saying why not. */
export function verifyBlobBundle(json: unknown, data: Buffer, trust: TrustPolicy): void {
  const bundle = parseBundle(json);
  if (bundle.content.$case !== 'messageSignature')
    throw new VerificationError('expected a message-signature bundle');
  // The media type is not covered by the signature; accept only the versions our signers write.
  if (![BUNDLE_V02_MEDIA_TYPE, BUNDLE_V03_MEDIA_TYPE].includes(bundle.mediaType))
    throw new VerificationError(`unexpected bundle media type ${bundle.mediaType}`);
  // Nor is the recorded digest: the signature is checked over the artifact itself, so insist the
  // two agree.
  const { messageDigest } = bundle.content.messageSignature;
  if (
    !messageDigest ||
    messageDigest.algorithm !== HashAlgorithm.SHA2_256 ||
    !messageDigest.digest.equals(createHash('sha256').update(data).digest())
  ) {
    throw new VerificationError(
      "the bundle's message digest is not the sha256 of the signed artifact",
    );
  }
  run(bundle, data, trust);
}

/** Verifies a DSSE bundle and returns the payload it signs. */
export function verifyEnvelopeBundle(
  json: unknown,
  trust: TrustPolicy,
): { payload: Buffer; payloadType: string } {
  const bundle = parseBundle(json);
  if (bundle.content.$case !== 'dsseEnvelope')
    throw new VerificationError('expected a DSSE bundle');
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE)
    throw new VerificationError(`unexpected bundle media type ${bundle.mediaType}`);
  const envelope = bundle.content.dsseEnvelope;
  // The DSSE keyid is outside the signature; it must name the key that signed, or nothing.
  const hint = isBundleWithPublicKey(bundle)
    ? bundle.verificationMaterial.content.publicKey.hint
    : '';
  if (
    envelope.signatures.length !== 1 ||
    (envelope.signatures[0]!.keyid !== '' && envelope.signatures[0]!.keyid !== hint)
  ) {
    throw new VerificationError(
      'the DSSE envelope must carry exactly one signature whose keyid names the signing key',
    );
  }
  run(bundle, undefined, trust);
  return { payload: envelope.payload, payloadType: envelope.payloadType };
}
