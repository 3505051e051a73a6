/**
 * The invariant file format, validated by zod. `interlock invariants schema` prints it as JSON
 * Schema for editors.
 */
import { z } from 'zod';

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day, HH:MM (24 h)');

export const InvariantSchema = z.strictObject({
  id: z.string().regex(/^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$/, 'an id like INV.ROASTER.FAN_WHILE_HEAT'),
  description: z.string().min(1),
  severity: z.enum(['critical', 'high', 'medium']),
  scope: z.strictObject({
    /** Action kinds, as globs: `roaster.*`. */
    kinds: z.array(z.string().min(1)).min(1),
    /** Target ids, as globs; all targets when absent. */
    targets: z.array(z.string().min(1)).min(1).optional(),
  }),
  when: z
    .strictObject({
      kinds: z.array(z.string().min(1)).min(1).optional(),
      levels: z.array(z.string().min(1)).min(1).optional(),
      time: z.strictObject({ from: Clock, to: Clock }).optional(),
      /** An expression; the invariant is skipped only when it is definitely false. */
      expr: z.string().min(1).optional(),
    })
    .optional(),
  assert: z.array(z.strictObject({ expr: z.string().min(1), message: z.string().min(1) })).min(1),
});
export type Invariant = z.infer<typeof InvariantSchema>;

export const InvariantFileSchema = z.strictObject({ invariants: z.array(InvariantSchema).min(1) });

export function invariantJsonSchema(): unknown {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Interlock invariants file',
    ...z.toJSONSchema(InvariantFileSchema),
  };
}
