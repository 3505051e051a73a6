/**
 * The evidence statement: an in-toto Statement v1 whose subjects are the policy bundle and the
 * policy, invariant and spec sources, and whose predicate carries what an auditor asks for —
 * test and model-check results, the decision cards of an audit window and the signed
 * checkpoints that anchor them. Signed as a DSSE envelope inside a Sigstore bundle.
 */
import { z } from 'zod';
import { CheckpointBodySchema, Hex64 } from '../audit/checkpoint.ts';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const EVIDENCE_PREDICATE_TYPE = 'https://interlock.dev/evidence/v1';

/** A check that ran (with its report) or did not (with the reason). */
export const CheckResultSchema = z.union([
  z.strictObject({
    status: z.enum(['passed', 'failed']),
    summary: z.string(),
    report: z.unknown(),
  }),
  z.strictObject({ status: z.literal('not_run'), reason: z.string() }),
]);
export type CheckResult = z.infer<typeof CheckResultSchema>;

const Actor = z.string();

/** One action proposed in the window, as its audit records tell it. */
export const DecisionCardSchema = z.strictObject({
  action_id: z.string(),
  kind: z.string(),
  target: z.string(),
  params: z.unknown(),
  proposer: Actor,
  proposed_at: z.string(),
  digest: z.string(),
  decision: z
    .strictObject({
      effect: z.string(),
      stage: z.string(),
      level: z.string(),
      rules: z.unknown(),
      reasons: z.unknown(),
      policy_digest: z.unknown(),
      policy_signer: z.string().optional(),
    })
    .nullable(),
  approvers: z.array(z.strictObject({ actor: Actor, role: z.string(), at: z.string() })),
  /** The last lifecycle status seen inside the window. */
  status: z.string(),
  ended_by: z
    .strictObject({
      actor: Actor,
      status: z.string(),
      reason: z.string().optional(),
      at: z.string(),
    })
    .nullable(),
  outcome: z.record(z.string(), z.unknown()).nullable(),
  /** The audit records the card was built from. */
  records: z.array(z.number().int().positive()),
});
export type DecisionCard = z.infer<typeof DecisionCardSchema>;

export const PredicateSchema = z.strictObject({
  generator: z.strictObject({ name: z.literal('interlock'), version: z.string() }),
  built_at: z.string(),
  window: z.strictObject({
    from_seq: z.number().int().positive(),
    to_seq: z.number().int().nonnegative(),
    from_ts: z.string().nullable(),
    to_ts: z.string().nullable(),
    records: z.number().int().nonnegative(),
    /** The chain hash of record to_seq. */
    chain_head: z.string(),
  }),
  policy_bundle: z.strictObject({
    digest: Hex64,
    /**
     * The bundles that decided the window's proposals, each with who sealed it (null when the
     * gateway did not require signed policy) and how many proposals it decided.
     */
    in_force: z
      .array(
        z.strictObject({
          digest: z.string().nullable(),
          signer: z.string().nullable(),
          decisions: z.number().int().positive(),
        }),
      )
      .optional(),
  }),
  results: z.strictObject({
    policy_tests: CheckResultSchema,
    invariant_tests: CheckResultSchema,
    model_checks: CheckResultSchema,
  }),
  decisions: z.array(DecisionCardSchema),
  summary: z.strictObject({
    actions: z.number().int(),
    by_effect: z.record(z.string(), z.number()),
    by_status: z.record(z.string(), z.number()),
  }),
  checkpoints: z.array(
    z.strictObject({ body: CheckpointBodySchema, bundle: z.record(z.string(), z.unknown()) }),
  ),
});
export type EvidencePredicate = z.infer<typeof PredicateSchema>;

export const StatementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z
    .array(z.strictObject({ name: z.string().min(1), digest: z.strictObject({ sha256: Hex64 }) }))
    .min(1),
  predicateType: z.literal(EVIDENCE_PREDICATE_TYPE),
  predicate: PredicateSchema,
});
export type EvidenceStatement = z.infer<typeof StatementSchema>;
