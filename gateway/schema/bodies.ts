/**
 * Request bodies of the steps people take (verdicts, stops, level changes). The HTTP API and
 * the console's own routes parse with these same schemas, so the two doors cannot disagree on
 * what a reason or a digest may be.
 */
import { z } from 'zod';
import { REASON_MAX_LENGTH, RequiredReasonText } from './reason.ts';

/** A step that needs a reason: stop, rearm, reject, veto. */
export const ReasonBodySchema = z.strictObject({ reason: RequiredReasonText });

/** A step where a reason is welcome: cancel, abort, acknowledge, approve a batch. */
export const OptionalReasonBodySchema = z.strictObject({
  reason: z.string().max(REASON_MAX_LENGTH).optional(),
});

/** Acknowledging a group of repeated incidents at once (the console's bulk acknowledge). */
export const AcknowledgeManyBodySchema = z.strictObject({
  ids: z.array(z.string().min(1).max(100)).min(1).max(1000),
  reason: z.string().max(REASON_MAX_LENGTH).optional(),
});

/** An approval, optionally bound to the digest of the action the approver saw. */
export const ApproveBodySchema = z.strictObject({
  reason: z.string().max(REASON_MAX_LENGTH).optional(),
  digest: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the action digest (64 hex characters)')
    .optional(),
});

/** A change of autonomy level, always with a reason. */
export const SetAutonomyBodySchema = z.strictObject({
  level: z.string().min(1).max(64),
  reason: RequiredReasonText,
});
