/** The shape of the merged policy data (policies/**\/*.yaml) that Rego reads as `data`. */
import { z } from 'zod';
import { CatalogEntrySchema, RiskSchema } from './catalog.ts';
import { ShellSyntaxSchema } from './shell.ts';

export const LEVELS = ['L1', 'L2', 'L3', 'L3+', 'L4', 'L4+', 'L5'] as const;

const ApprovalRuleSchema = z.strictObject({
  count: z.number().int().min(0).max(10),
  roles: z.array(z.string()).min(1),
  timeout_seconds: z.number().int().positive(),
});

export const AutonomyDataSchema = z.strictObject({
  order: z.array(z.string()).min(1),
  recommend_only: z.array(z.string()),
  veto_levels: z.array(z.string()),
  veto_window_seconds: z.number().int().positive(),
  aliases: z.record(z.string(), z.string()).default({}),
  whitelist: z.record(z.string(), z.array(z.string())),
  manual_only: z.array(z.string()).default([]),
  approval: z.record(RiskSchema, ApprovalRuleSchema),
});

export const RateLimitSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_]+$/),
  kinds: z.array(z.string()).min(1),
  per: z.array(z.enum(['actor', 'target', 'kind'])),
  max: z.number().int().positive(),
  window_seconds: z.number().int().positive(),
});

export type RateLimit = z.infer<typeof RateLimitSchema>;

/** Known top-level keys are checked; packs may add keys of their own for their policies. */
export const PolicyDataSchema = z.looseObject({
  catalog: z.record(z.string(), CatalogEntrySchema),
  autonomy: AutonomyDataSchema,
  rate_limits: z.array(RateLimitSchema).default([]),
  /**
   * The shell pack's data. A malformed word list would quietly stop the analysis from
   * unwrapping commands, so it is checked here, before any Rego runs.
   */
  shell: z
    .looseObject({
      safe_prefixes: z.array(z.array(z.string()).min(1)).default([]),
      package_name_prefixes: z.array(z.array(z.string()).min(1)).default([]),
      /** Where a safe command's argv[0] must live (absolute directories, with a trailing slash). */
      system_bin_dirs: z
        .array(z.string().regex(/^\/(.+\/)?$/, 'an absolute directory ending in /'))
        .default([]),
      syntax: ShellSyntaxSchema,
    })
    .optional(),
  /**
   * Per pack (the kind's prefix before the first dot): the target state's fields and their types,
   * for invariants.
   */
  state_fields: z
    .record(z.string(), z.record(z.string(), z.enum(['number', 'string', 'bool'])))
    .default({}),
  /** Written by the invariants compiler: what the gateway must put in the decision context. */
  invariant_manifest: z
    .strictObject({
      ids: z.array(z.string()),
      counts: z.array(
        z.strictObject({
          kind: z.string(),
          window_ms: z.number().int().positive(),
          kinds: z.array(z.string()),
        }),
      ),
      last: z.array(z.string()),
    })
    .optional(),
});

export type PolicyData = z.infer<typeof PolicyDataSchema>;
