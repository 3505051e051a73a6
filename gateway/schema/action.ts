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

/**
 * How deep params may nest: deeper than any real tool's arguments, shallow enough that
 * hashing, canonicalizing and checking them cannot run out of stack (5,000 levels did).
 */
export const MAX_PARAMS_DEPTH = 32;

/** Whether a JSON value nests at most `limit` levels; iterative, so any depth is safe to ask. */
export function nestsWithin(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

export const ActionEnvelopeSchema = z.strictObject({
  kind: KindSchema,
  target: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be a target id (letters, digits, . _ : -)'),
  params: z
    .record(z.string(), z.unknown())
    .default({})
    .refine((p) => nestsWithin(p, MAX_PARAMS_DEPTH), {
      message: `must not nest deeper than ${MAX_PARAMS_DEPTH} levels`,
    }),
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
