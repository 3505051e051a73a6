/**
 * What the API returns for an action and a breaker event. The types and the OpenAPI entries come
 * from these.
 */
import { z } from 'zod';
import { StatusSchema } from './status.ts';

export const ActionViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  target: z.string(),
  params: z.record(z.string(), z.unknown()),
  rationale: z.string().nullable(),
  confidence: z.number().nullable(),
  proposer: z.string(),
  idempotencyKey: z.string().nullable(),
  status: StatusSchema,
  statusReason: z.string().nullable(),
  level: z.string(),
  batchId: z.string().nullable(),
  batchSeq: z.number().int().nullable(),
  digest: z
    .string()
    .describe('sha256 of canonical {kind, target, params}: what approvals are bound to'),
  approvals: z.object({
    required: z.number().int(),
    roles: z.array(z.string()),
    granted: z.array(z.object({ actor: z.string(), role: z.string(), at: z.string() })),
  }),
  expiresAt: z.string().nullable(),
  vetoDeadline: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  approvedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  attempts: z.number().int(),
  outcome: z.record(z.string(), z.unknown()).nullable(),
});
export type ActionView = z.infer<typeof ActionViewSchema>;

/** A target's metrics over a window: what breaker conditions and the readiness checklist read. */
export const WindowMetricsSchema = z.object({
  executions: z.number(),
  completed: z.number(),
  failures: z.number(),
  blocked: z.number(),
  error_rate: z.number(),
  success_rate: z.number(),
  /** The most failures of one kind, and that kind. */
  max_kind_failures: z.number(),
  worst_kind: z.string().nullable(),
  rollbacks: z.number(),
  rollback_rate: z.number(),
  critical_incidents: z.number(),
  estop_drills: z.number(),
  /** Of the actions that needed approval and were decided: the share approved (null with none). */
  approval_rate: z.number().nullable(),
});
export type WindowMetrics = z.infer<typeof WindowMetricsSchema>;

export const BreakerEventSchema = z.object({
  id: z.string(),
  rule: z.string(),
  target: z.string(),
  action: z.string(),
  severity: z.string(),
  kind: z.string().nullable(),
  metrics: WindowMetricsSchema,
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
  /**
   * When what tripped it leaves the rule's window (the trip plus the window). Until then a
   * resolution is what keeps it from tripping again: resolving sets a fence, and the rule
   * counts only what happened after it.
   */
  windowClearsAt: z
    .string()
    .nullable()
    .describe(
      'When what tripped it leaves the window; before that only a resolution (its fence) stops it tripping again',
    ),
});
export type BreakerEvent = z.infer<typeof BreakerEventSchema>;
