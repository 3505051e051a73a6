/**
 * The one signing abstraction behind audit checkpoints and evidence bundles. Both produce
 * standard Sigstore bundles (JSON): a message signature over a blob, or a DSSE envelope over a
 * statement. Two implementations: a local ECDSA P-256 key (offline, the default) and keyless
 * (a Fulcio certificate for an OIDC identity plus a Rekor transparency-log entry).
 */
import { createSign } from 'node:crypto';
import { bundleFromJSON, bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  type Signer as SigstoreSigner,
} from '@sigstore/sign';
import type { SigningKey, TrustedKey } from './keys.ts';

export type { SerializedBundle };

export interface Signer {
  /** Who signs, for logs and reports; never key material. */
  readonly identity: string;
  /** The public key that verifies this signer's bundles, when it has a fixed one. */
  readonly publicKey?: TrustedKey;
  /** A message-signature bundle over `data` (verify with the same bytes as the artifact). */
  signBlob(data: Buffer): Promise<SerializedBundle>;
  /** A DSSE bundle whose envelope carries `payload` (e.g. an in-toto statement). */
  signEnvelope(payload: Buffer, payloadType: string): Promise<SerializedBundle>;
}

function bundleSigner(
  identity: string,
  signer: SigstoreSigner,
  witnesses: ConstructorParameters<typeof DSSEBundleBuilder>[0]['witnesses'],
  publicKey?: TrustedKey,
): Signer {
  const blob = new MessageSignatureBundleBuilder({ signer, witnesses });
  const envelope = new DSSEBundleBuilder({ signer, witnesses });
  return {
    identity,
    ...(publicKey ? { publicKey } : {}),
    signBlob: async (data) => bundleToJSON(await blob.create({ data })),
    signEnvelope: async (payload, payloadType) => {
      const bundle = bundleToJSON(await envelope.create({ data: payload, type: payloadType }));
      // Only without a transparency log entry (which records the envelope as it was) may the keyid
      // change.
      if (witnesses.length > 0) return bundle;
      // The DSSE keyid is not signed. cosign skips a signature whose keyid is not its own idea of
      // the key's id (which is not our hint), so leave it empty: "whichever key verifies".
      for (const sig of bundle.dsseEnvelope?.signatures ?? []) sig.keyid = '';
      // Round trip so the file is in the library's canonical form (which may omit the empty field).
      return bundleToJSON(bundleFromJSON(bundle));
    },
  };
}

/**
 * Offline signing with a local key: no certificate, no transparency log, no timestamp authority.
 */
export function localKeySigner(key: SigningKey): Signer {
  const { privateKey, publicKey } = key;
  return bundleSigner(
    `key:${publicKey.hint.slice(0, 16)}`,
    {
      sign: async (data) => ({
        signature: createSign('sha256').update(data).sign(privateKey),
        key: { $case: 'publicKey', publicKey: publicKey.pem, hint: publicKey.hint },
      }),
    },
    [],
    publicKey,
  );
}

export interface KeylessOptions {
  fulcioURL: string;
  rekorURL: string;
  /** Returns the OIDC identity token Fulcio binds the certificate to. */
  identityToken: () => Promise<string>;
  /** The identity to report (e.g. the token's subject); informational only. */
  identity?: string;
  /** How Rekor records a DSSE envelope (sigstore-js's default is `dsse`). */
  rekorEntryType?: 'dsse' | 'intoto';
}

/** Keyless signing: an ephemeral key certified by Fulcio, each signature witnessed by Rekor. */
export function keylessSigner(options: KeylessOptions): Signer {
  const signer = new FulcioSigner({
    fulcioBaseURL: options.fulcioURL,
    identityProvider: { getToken: options.identityToken },
  });
  return bundleSigner(options.identity ?? `keyless:${options.fulcioURL}`, signer, [
    new RekorWitness({
      rekorBaseURL: options.rekorURL,
      ...(options.rekorEntryType ? { entryType: options.rekorEntryType } : {}),
    }),
  ]);
}
