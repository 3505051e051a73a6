/** Request and response schemas of the HTTP API; the OpenAPI document is generated from them. */
import { z } from '@hono/zod-openapi';
import { ActionEnvelopeSchema } from '../schema/action.ts';
import {
  ApproveBodySchema,
  OptionalReasonBodySchema,
  ReasonBodySchema,
  SetAutonomyBodySchema,
} from '../schema/bodies.ts';
import { STATUSES } from '../lifecycle/states.ts';
import { DecisionViewSchema } from '../schema/decision.ts';
import { ActionViewSchema, BreakerEventSchema } from '../schema/views.ts';
import { CatalogEntrySchema } from '../schema/catalog.ts';

export const BreakerEventViewSchema = BreakerEventSchema.meta({ id: 'BreakerEvent' });
import {
  RoleSchema,
  TOKEN_NAME_PATTERN,
  TOKEN_NAME_RULE,
  TokenNameSchema,
} from '../auth/tokens.ts';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

// Defined before the OpenAPI extension loads, so it is named through zod's own metadata.
export const EnvelopeSchema = ActionEnvelopeSchema.meta({ id: 'ActionEnvelope' });

// The shapes the lifecycle returns, named through zod's own metadata (gateway/schema).
export const DecisionSchema = DecisionViewSchema.meta({ id: 'Decision' });

export const ActionSchema = ActionViewSchema.meta({ id: 'Action' });

export const ProposeResponseSchema = z
  .object({ action: ActionSchema, decision: DecisionSchema })
  .openapi('ProposeResponse');

export const ReasonSchema = ReasonBodySchema;
export const OptionalReasonSchema = OptionalReasonBodySchema;
export { ApproveBodySchema };

export const VerdictSchema = z
  .object({ action: ActionSchema, approvals: z.number().int(), required: z.number().int() })
  .openapi('Verdict');

export const IdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});
export const TargetParamSchema = z.object({
  target: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'target', in: 'path' } }),
});

const limit = z.coerce.number().int().min(1).max(500).default(50);

export const ListActionsQuerySchema = z.strictObject({
  status: z.enum(STATUSES).optional(),
  target: z.string().max(128).optional(),
  limit,
  cursor: z.string().max(200).optional(),
});

export const ActionListSchema = z
  .object({ actions: z.array(ActionSchema), nextCursor: z.string().nullable() })
  .openapi('ActionList');

export const BatchBodySchema = z
  .strictObject({
    actions: z.array(EnvelopeSchema).min(1),
    rationale: z.string().max(4000).optional(),
  })
  .openapi('BatchProposal');

export const BatchSchema = z
  .looseObject({
    id: z.string(),
    proposer: z.string(),
    status: z.string(),
    actions: z.array(ActionSchema),
  })
  .openapi('Batch');

export const EstopSchema = z.looseObject({ engaged: z.boolean() }).openapi('EmergencyStop');

export const AutonomySchema = z
  .object({ target: z.string(), level: z.string(), configured: z.string(), ceiling: z.string() })
  .openapi('Autonomy');
export const SetAutonomySchema = SetAutonomyBodySchema;

export const TargetStatusSchema = z
  .object({
    id: z.string(),
    autonomy: AutonomySchema,
    driver: z.string(),
    connected: z.boolean(),
    state: z.record(z.string(), z.unknown()),
    pending: z.number().int(),
    executing: z.number().int(),
    breakers: z.array(BreakerEventViewSchema),
  })
  .openapi('TargetStatus');
export const TargetListSchema = z
  .object({ targets: z.array(TargetStatusSchema) })
  .openapi('TargetList');
export const CatalogSchema = z
  .object({
    policyDigest: z.string(),
    kinds: z.record(z.string(), CatalogEntrySchema.meta({ id: 'CatalogEntry' })),
  })
  .openapi('Catalog');

const isoTime = z.iso.datetime({ offset: true });

export const AuditQuerySchema = z.strictObject({
  action_id: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  type: z.string().max(100).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  cursor: z.coerce.number().int().min(0).optional(),
  limit,
});

export const AuditRecordSchema = z
  .object({
    seq: z.number().int(),
    ts: z.string(),
    type: z.string(),
    action_id: z.string().nullable(),
    actor: z.string(),
    payload: z.record(z.string(), z.unknown()),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditRecord');

export const AuditPageSchema = z
  .object({ records: z.array(AuditRecordSchema), nextCursor: z.number().int().nullable() })
  .openapi('AuditPage');

export const TokenBodySchema = z.strictObject({ name: TokenNameSchema, role: RoleSchema });
export const TokenSchema = z
  .object({ id: z.string(), name: z.string(), role: RoleSchema, token: z.string() })
  .openapi('Token');
export const RevokedTokenSchema = z
  .object({ id: z.string(), name: z.string(), role: RoleSchema, revokedAt: z.number().int() })
  .openapi('RevokedToken');
export const TokenNameParamSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(TOKEN_NAME_PATTERN, TOKEN_NAME_RULE)
    .openapi({ param: { name: 'name', in: 'path' } }),
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
/** The error responses every /v1 operation can give (gateway/http/errors.ts maps codes to these). */
export const errors = {
  400: json(ErrorSchema, 'Malformed request'),
  401: json(ErrorSchema, 'Missing or unknown bearer token'),
  403: json(ErrorSchema, 'The token’s role may not do this'),
  404: json(ErrorSchema, 'No such action, batch, target, token or event'),
  409: json(
    ErrorSchema,
    'The state does not allow this (already decided, past its deadline, taken)',
  ),
  413: json(ErrorSchema, 'The body is larger than server.bodyLimitBytes'),
  415: json(ErrorSchema, 'The body is not application/json'),
  422: json(ErrorSchema, 'A field failed validation; `field` names it'),
  500: json(ErrorSchema, 'An internal error; nothing was changed'),
  503: json(ErrorSchema, 'The database or the policy is unavailable; retry after Retry-After'),
} as const;
