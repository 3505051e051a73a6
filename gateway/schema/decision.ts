/** What a decision is: the pipeline's output, and the raw findings the Wasm entrypoint returns. */
import { z } from 'zod';
import { FieldIssueSchema } from './errors.ts';

export const EffectSchema = z.enum(['allow', 'require_approval', 'deny']);
export type Effect = z.infer<typeof EffectSchema>;

/** The pipeline step that settled the effect. */
export const DECISION_STAGES = [
  'validation',
  'estop',
  /** The target's state could not be read, or not decided on. */
  'state',
  /** A circuit breaker paused this kind on the target. */
  'breaker',
  'engine',
  'baseline',
  'invariants',
  'rate_limit',
  'policy',
] as const;
export const DecisionStageSchema = z.enum(DECISION_STAGES);
export type DecisionStage = z.infer<typeof DecisionStageSchema>;

export const ApprovalRequirementSchema = z.object({
  count: z.number().int(),
  roles: z.array(z.string()),
  timeoutSeconds: z.number(),
  vetoWindowSeconds: z.number().optional(),
});
export type ApprovalRequirement = z.infer<typeof ApprovalRequirementSchema>;

export const InvariantViolationSchema = z.object({
  id: z.string(),
  message: z.string(),
  severity: z.string().optional(),
  values: z.record(z.string(), z.unknown()).optional(),
});
export type InvariantViolation = z.infer<typeof InvariantViolationSchema>;

/**
 * A decision: the pipeline's output. The type, the API's schema and its OpenAPI entry come from
 * this.
 */
export const DecisionSchema = z.object({
  effect: EffectSchema,
  stage: DecisionStageSchema,
  reasons: z.array(z.string()),
  /** Rule ids, the rule path of the decision. */
  rules: z.array(z.string()).describe('Rule ids, the rule path of the decision'),
  approval: ApprovalRequirementSchema.optional(),
  /** L1/L2: the action is recorded as a recommendation. */
  recommendation: z.boolean().optional(),
  retryAfterSeconds: z.number().optional(),
  invariants: z.array(InvariantViolationSchema),
  /** Field problems when stage is `validation`. */
  issues: z.array(FieldIssueSchema).optional(),
  policyDigest: z.string().nullable(),
  /** Who sealed the bundle that decided, when the gateway requires signed policy. */
  policySigner: z.string().optional(),
  timings: z.object({ validateUs: z.number(), evaluateUs: z.number(), totalUs: z.number() }),
});
export type Decision = z.infer<typeof DecisionSchema>;

/** A recorded decision, as the API returns it. */
export const DecisionViewSchema = DecisionSchema.extend({
  id: z.string(),
  level: z.string(),
  createdAt: z.string(),
  /** The target state the decision was made on (recorded since migration 008). */
  stateUsed: z.record(z.string(), z.unknown()).optional(),
});
export type DecisionView = z.infer<typeof DecisionViewSchema>;

const FindingSchema = z.looseObject({ rule: z.string(), reason: z.string() });

/** The Wasm entrypoint's result; anything else is an evaluation failure (deny). */
export const RawResultSchema = z.strictObject({
  baseline: z.array(FindingSchema),
  invariants: z.array(
    z.looseObject({
      id: z.string(),
      message: z.string(),
      severity: z.string().optional(),
      values: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  rate_limits: z.array(FindingSchema.extend({ retry_after_seconds: z.number().optional() })),
  policy: z.looseObject({
    effect: EffectSchema,
    reasons: z.array(z.string()),
    rules: z.array(z.string()),
    recommendation: z.boolean().optional(),
    approval: z
      .strictObject({
        count: z.number().int().min(0),
        roles: z.array(z.string()),
        timeout_seconds: z.number().positive(),
        veto_window_seconds: z.number().positive().optional(),
      })
      .optional(),
  }),
});

export type RawResult = z.infer<typeof RawResultSchema>;
