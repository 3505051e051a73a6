/** The action envelope an agent, automation or person proposes. */
import { z } from 'zod';

/** Dotted lower-case kind names such as `roaster.set_power`. */
export const KindSchema = z
  .string()
  .min(3)
  .max(128)
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/,
    'must be a dotted lower-case name such as roaster.set_power',
  );

/** The proposal body. The actor is never part of it: it comes from authentication. */
/** A proposer's idempotency key: the envelope's, the header's and MCP's `_meta` one. */
export const IdempotencyKeySchema = z.string().min(1).max(200);

export const ActionEnvelopeSchema = z.strictObject({
  kind: KindSchema,
  target: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a target id (letters, digits, . _ : -)'),
  params: z.record(z.string(), z.unknown()).default({}),
  rationale: z.string().max(4000).optional(),
  confidence: z.number().min(0).max(1).optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});

export type ActionEnvelope = z.infer<typeof ActionEnvelopeSchema>;

/** Who is acting, from their credential. */
export const ActorSchema = z.strictObject({
  id: z.string().min(1).max(200),
  roles: z.array(z.string().min(1).max(64)).max(16).default([]),
});

export type Actor = z.infer<typeof ActorSchema>;
