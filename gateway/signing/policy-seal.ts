/**
 * Sealing a policy tree (CI signs what passed) and opening a seal (the gateway checks, before it
 * loads a tree, that a key or identity it trusts signed exactly these sources).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isBundleWithPublicKey } from '@sigstore/bundle';
import { canonicalJson } from '../schema/canonical-json.ts';
import { PolicySealError, VerificationError } from '../schema/errors.ts';
import {
  SEAL_PAYLOAD_TYPE,
  SEAL_PREDICATE_TYPE,
  SEAL_STATEMENT_TYPE,
  SEAL_SUBJECT,
  SealStatementSchema,
  type OpenedSeal,
  type SealPredicate,
  type SealStatement,
  type SealedSource,
} from '../schema/policy-seal.ts';
import type { TrustedKey } from './keys.ts';
import type { SerializedBundle, Signer } from './signer.ts';
import { parseBundle, verifyEnvelopeBundle } from './verify.ts';

/** A source as the policy compiler reads it (structural: this layer sits below the compiler). */
export interface SealableSource {
  path: string;
  kind: 'rego' | 'rego_test' | 'data' | 'invariant';
  content: string;
}

/** Whom a gateway trusts to seal its policy. */
export interface SealTrust {
  keys: readonly TrustedKey[];
  /** Keyless signers: the certificate identity and OIDC issuer, each pair a trusted signer. */
  identities: readonly { subjectAlternativeName: string; issuer: string }[];
  /** The Sigstore trusted root (JSON) that keyless seals are verified against. */
  trustedRoot?: unknown;
}

/** The largest seal file read: a seal lists sources by digest, so it is small. */
export const SEAL_MAX_BYTES = 4 * 1024 * 1024;

const sha256 = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

/** The sources a bundle is built from, by digest; tests do not go into the bundle. */
export function sealedSources(sources: readonly SealableSource[]): SealedSource[] {
  return sources
    .filter((s): s is SealableSource & { kind: SealedSource['kind'] } => s.kind !== 'rego_test')
    .map((s) => ({ path: s.path, kind: s.kind, sha256: sha256(s.content) }));
}

export interface SealInput {
  digest: string;
  sources: readonly SealableSource[];
  wasm: Uint8Array;
  ciReport: Uint8Array;
  steps: SealPredicate['ci']['steps'];
  allowLoosening: boolean;
  version: string;
  now: number;
}

export function sealStatement(input: SealInput): SealStatement {
  return {
    _type: SEAL_STATEMENT_TYPE,
    subject: [{ name: SEAL_SUBJECT, digest: { sha256: input.digest } }],
    predicateType: SEAL_PREDICATE_TYPE,
    predicate: {
      generator: { name: 'interlock', version: input.version },
      signed_at: new Date(input.now).toISOString(),
      bundle: { digest: input.digest, wasm_sha256: sha256(input.wasm) },
      sources: sealedSources(input.sources),
      ci: {
        report_sha256: sha256(input.ciReport),
        ok: true,
        steps: input.steps,
        allow_loosening: input.allowLoosening,
      },
    },
  };
}

/** Signs a seal statement as a DSSE envelope in a Sigstore bundle (canonical bytes). */
export function signSeal(signer: Signer, statement: SealStatement): Promise<SerializedBundle> {
  return signer.signEnvelope(Buffer.from(canonicalJson(statement)), SEAL_PAYLOAD_TYPE);
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Verifies the signature against the trust, and names the signer. */
function verifySeal(json: unknown, trust: SealTrust): { payload: Buffer; signer: string } {
  let keyHint: string | undefined;
  try {
    const bundle = parseBundle(json);
    if (isBundleWithPublicKey(bundle)) keyHint = bundle.verificationMaterial.content.publicKey.hint;
  } catch (err) {
    throw new PolicySealError(
      'policy_seal_invalid',
      `the seal is not a Sigstore bundle: ${describe(err)}`,
      {
        cause: err,
      },
    );
  }
  try {
    if (keyHint !== undefined) {
      const { payload, payloadType } = verifyEnvelopeBundle(json, { keys: trust.keys });
      if (payloadType !== SEAL_PAYLOAD_TYPE)
        throw new VerificationError(`unexpected payload type ${payloadType}`);
      return { payload, signer: `key:${keyHint}` };
    }
    if (trust.identities.length === 0)
      throw new VerificationError('a keyless seal, and no keyless identity is trusted');
    // Keyless: any one trusted identity will do; say why the last one failed otherwise.
    let last: unknown;
    for (const identity of trust.identities) {
      try {
        const { payload, payloadType } = verifyEnvelopeBundle(json, {
          keys: [],
          trustedRoot: trust.trustedRoot,
          identity,
        });
        if (payloadType !== SEAL_PAYLOAD_TYPE)
          throw new VerificationError(`unexpected payload type ${payloadType}`);
        return {
          payload,
          signer: `keyless:${identity.subjectAlternativeName} (${identity.issuer})`,
        };
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new VerificationError(String(last));
  } catch (err) {
    throw new PolicySealError(
      'policy_seal_untrusted',
      `the seal is not signed by a trusted signer: ${describe(err)}`,
      {
        cause: err,
      },
    );
  }
}

function parseStatement(payload: Buffer): SealStatement {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new PolicySealError('policy_seal_invalid', 'the signed payload is not JSON', {
      cause: err,
    });
  }
  const parsed = SealStatementSchema.safeParse(value);
  if (!parsed.success)
    throw new PolicySealError(
      'policy_seal_invalid',
      `the signed payload is not a policy seal: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Lists how the candidate's sources differ from the sealed ones, each path once. */
export function sourceDifferences(
  sealed: readonly SealedSource[],
  candidate: readonly SealedSource[],
): string[] {
  const before = new Map(sealed.map((s) => [s.path, s]));
  const now = new Map(candidate.map((s) => [s.path, s]));
  const out: string[] = [];
  // A seal listing a path twice could make the two lists agree by count but not by content.
  if (before.size !== sealed.length) out.push('the seal lists a source twice');
  // Nor may the tree hold two sources at one path (a file beside a generated one of that name).
  if (now.size !== candidate.length) out.push('the tree has two sources at one path');
  for (const [p, s] of now) {
    const was = before.get(p);
    if (!was) out.push(`added ${p}`);
    else if (was.sha256 !== s.sha256 || was.kind !== s.kind) out.push(`changed ${p}`);
  }
  for (const p of before.keys()) if (!now.has(p)) out.push(`removed ${p}`);
  return out;
}

/**
 * Opens a seal for a candidate tree: the signature verifies against the trust, the payload is a
 * seal, and it covers exactly the candidate's sources and digest. Throws PolicySealError saying
 * which of these fails.
 */
export function openSeal(
  json: unknown,
  trust: SealTrust,
  candidate: { digest: string; sources: readonly SealableSource[] },
): OpenedSeal {
  const { payload, signer } = verifySeal(json, trust);
  const statement = parseStatement(payload);
  const p = statement.predicate;
  const differences = sourceDifferences(p.sources, sealedSources(candidate.sources));
  if (
    differences.length > 0 ||
    statement.subject[0].digest.sha256 !== candidate.digest ||
    p.bundle.digest !== candidate.digest
  ) {
    const shown = differences.slice(0, 10).join('; ');
    throw new PolicySealError(
      'policy_seal_mismatch',
      `the policy sources are not the ones signed (bundle ${candidate.digest.slice(0, 12)}…, signed ${statement.subject[0].digest.sha256.slice(0, 12)}…)${shown ? `: ${shown}${differences.length > 10 ? `; and ${differences.length - 10} more` : ''}` : ''}`,
    );
  }
  return {
    signer,
    digest: candidate.digest,
    signedAt: p.signed_at,
    ciReportSha256: p.ci.report_sha256,
    allowLoosening: p.ci.allow_loosening,
    wasmSha256: p.bundle.wasm_sha256,
  };
}

/** Reads a seal file: missing is `policy_unsigned`, too big or not JSON is `policy_seal_invalid`. */
export async function readSeal(file: string): Promise<unknown> {
  let text: string;
  try {
    // Non-blocking, then only a regular file: a FIFO planted at the seal path would otherwise
    // hold the load (and every reload that shares it) forever.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile())
        throw new PolicySealError('policy_seal_invalid', `the seal ${file} is not a regular file`);
      const buf = Buffer.alloc(SEAL_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      if (bytesRead > SEAL_MAX_BYTES)
        throw new PolicySealError(
          'policy_seal_invalid',
          `the seal ${file} is over ${SEAL_MAX_BYTES} bytes`,
        );
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof PolicySealError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new PolicySealError(
        'policy_unsigned',
        `the policy is not signed: ${file} does not exist (sign the tree with \`interlock ci --sign-bundle KEY\`)`,
      );
    throw new PolicySealError(
      'policy_seal_invalid',
      `cannot read the seal ${file}: ${code ?? describe(err)}`,
      {
        cause: err,
      },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PolicySealError('policy_seal_invalid', `the seal ${file} is not JSON`, {
      cause: err,
    });
  }
}
