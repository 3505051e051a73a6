/**
 * The policy seal: what `interlock ci --sign-bundle` signs and a gateway with
 * `policy.requireSignature` checks before it loads a tree. An in-toto Statement v1 whose one
 * subject is the policy bundle digest (the digest stamped on every decision) and whose predicate
 * lists every source the bundle is built from, by sha256, with the CI run that passed on them.
 */
import { z } from 'zod';

export const SEAL_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SEAL_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const SEAL_PREDICATE_TYPE = 'https://interlock.dev/policy-seal/v1';
/** The subject's name: the compiled policy version, not one file. */
export const SEAL_SUBJECT = 'policy-bundle';
/** Where the seal lives by default: beside the sources it covers (not itself a source). */
export const SEAL_FILE = 'policy.sigstore.json';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const SealedSourceSchema = z.strictObject({
  path: z.string().min(1),
  kind: z.enum(['rego', 'data', 'invariant']),
  sha256: Hex64,
});
export type SealedSource = z.infer<typeof SealedSourceSchema>;

export const SealPredicateSchema = z.strictObject({
  generator: z.strictObject({ name: z.literal('interlock'), version: z.string() }),
  signed_at: z.iso.datetime(),
  bundle: z.strictObject({
    digest: Hex64,
    /** The Wasm module CI compiled; the gateway reports whether its own build is the same. */
    wasm_sha256: Hex64,
  }),
  sources: z.array(SealedSourceSchema),
  ci: z.strictObject({
    /** sha256 of the ci-report.json the run wrote. */
    report_sha256: Hex64,
    /** A seal is only ever made over a passing run. */
    ok: z.literal(true),
    steps: z.array(z.strictObject({ name: z.string(), ok: z.boolean(), summary: z.string() })),
    /** Set when a reviewer accepted looser decisions (`--allow-loosening`). */
    allow_loosening: z.boolean(),
  }),
});
export type SealPredicate = z.infer<typeof SealPredicateSchema>;

export const SealStatementSchema = z.strictObject({
  _type: z.literal(SEAL_STATEMENT_TYPE),
  subject: z.tuple([
    z.strictObject({ name: z.literal(SEAL_SUBJECT), digest: z.strictObject({ sha256: Hex64 }) }),
  ]),
  predicateType: z.literal(SEAL_PREDICATE_TYPE),
  predicate: SealPredicateSchema,
});
export type SealStatement = z.infer<typeof SealStatementSchema>;

/** What a gateway knows about the seal of the bundle in force, after checking it. */
export const PolicySealInfoSchema = z.object({
  /** `key:<sha256 of the public key>` or `keyless:<identity> (<issuer>)`. */
  signer: z.string(),
  digest: z.string(),
  signedAt: z.string(),
  ciReportSha256: z.string(),
  allowLoosening: z.boolean(),
  /** Whether the Wasm the gateway runs is byte for byte the one CI compiled. */
  wasmMatches: z.boolean(),
});
export type PolicySealInfo = z.infer<typeof PolicySealInfoSchema>;

/** A seal that verified and covers the candidate tree exactly, before the tree is compiled. */
export type OpenedSeal = Omit<PolicySealInfo, 'wasmMatches'> & { wasmSha256: string };
