/** The action catalog: each kind's params schema, risk class and constraints (policy data). */
import { z } from 'zod';

export const ParamSpecSchema = z.strictObject({
  type: z.enum(['number', 'integer', 'string', 'boolean', 'string_list']),
  required: z.boolean().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  min_length: z.number().int().nonnegative().optional(),
  /** For strings, and for each item of a string_list. */
  max_length: z.number().int().positive().optional(),
  min_items: z.number().int().nonnegative().optional(),
  max_items: z.number().int().positive().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  description: z.string().optional(),
  /** Never shown outside the gateway: notifications redact it (docs/notifications.md). */
  sensitive: z.boolean().optional(),
});

export type ParamSpec = z.infer<typeof ParamSpecSchema>;

export const RiskSchema = z.enum(['low', 'medium', 'high', 'critical']);

export const CatalogEntrySchema = z.strictObject({
  label: z.string().optional(),
  description: z.string().optional(),
  risk: RiskSchema,
  always_allowed: z.boolean().optional(),
  estop_exempt: z.boolean().optional(),
  /** Only principals with one of these roles may propose the kind (the baseline refuses others). */
  proposer_roles: z
    .array(z.enum(['agent', 'operator', 'admin']))
    .min(1)
    .optional(),
  params: z.record(z.string(), ParamSpecSchema).default({}),
  // Read by Rego; their shape is the policy's business.
  constraints: z.record(z.string(), z.unknown()).optional(),
  /** What the action does to the target's state, for invariants on the projected `next` state. */
  effects: z
    .record(
      z.string(),
      z.union([
        z.strictObject({ param: z.string() }),
        z.strictObject({ set: z.union([z.string(), z.number(), z.boolean()]) }),
      ]),
    )
    .optional(),
});

export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

/** paramsSchema builds the strict zod schema that validates one kind's params. */
export function paramsSchema(entry: CatalogEntry): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(entry.params)) {
    const field = fieldSchema(spec);
    shape[name] = spec.required ? field : field.optional();
  }
  return z.strictObject(shape);
}

function fieldSchema(spec: ParamSpec): z.ZodType {
  if (spec.enum) {
    return z.union(
      spec.enum.map((v) => z.literal(v)) as [z.ZodLiteral, z.ZodLiteral, ...z.ZodLiteral[]],
    );
  }
  switch (spec.type) {
    case 'boolean':
      return z.boolean();
    case 'string':
      return stringSchema(spec);
    case 'string_list': {
      let list = z.array(stringSchema(spec));
      if (spec.min_items !== undefined) list = list.min(spec.min_items);
      if (spec.max_items !== undefined) list = list.max(spec.max_items);
      return list;
    }
    case 'number':
    case 'integer': {
      let n = spec.type === 'integer' ? z.number().int() : z.number();
      if (spec.min !== undefined) n = n.min(spec.min);
      if (spec.max !== undefined) n = n.max(spec.max);
      return n;
    }
  }
}

function stringSchema(spec: ParamSpec): z.ZodString {
  let s = z.string();
  if (spec.min_length !== undefined) s = s.min(spec.min_length);
  if (spec.max_length !== undefined) s = s.max(spec.max_length);
  return s;
}
