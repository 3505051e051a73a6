/** What a decision is: the pipeline's output, and the raw findings the Wasm entrypoint returns. */
import { z } from 'zod';
import type { FieldIssue } from './errors.ts';

export const EffectSchema = z.enum(['allow', 'require_approval', 'deny']);
export type Effect = z.infer<typeof EffectSchema>;

/** The pipeline step that settled the effect. */
export type DecisionStage =
  | 'validation'
  | 'estop'
  /** The target's state could not be read, or not decided on. */
  | 'state'
  /** A circuit breaker paused this kind on the target. */
  | 'breaker'
  | 'engine'
  | 'baseline'
  | 'invariants'
  | 'rate_limit'
  | 'policy';

export interface ApprovalRequirement {
  count: number;
  roles: string[];
  timeoutSeconds: number;
  vetoWindowSeconds?: number;
}

export interface InvariantViolation {
  id: string;
  message: string;
  severity?: string;
  values?: Record<string, unknown>;
}

export interface Decision {
  effect: Effect;
  stage: DecisionStage;
  reasons: string[];
  /** Rule ids, the rule path of the decision. */
  rules: string[];
  approval?: ApprovalRequirement;
  /** L1/L2: the action is recorded as a recommendation. */
  recommendation?: boolean;
  retryAfterSeconds?: number;
  invariants: InvariantViolation[];
  /** Field problems when stage is `validation`. */
  issues?: FieldIssue[];
  policyDigest: string | null;
  timings: { validateUs: number; evaluateUs: number; totalUs: number };
}

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
