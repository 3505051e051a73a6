/** The decision context: what the gateway knows about the target and its history at `now`. */
import { z } from 'zod';

export const LastValueSchema = z.strictObject({ value: z.number(), at: z.number() });
export const RateWindowSchema = z.strictObject({ count: z.number().int().nonnegative(), oldest_at: z.number().optional() });

export const HistorySchema = z.strictObject({
  /** Last accepted value per kind, for ramp limits. */
  last: z.record(z.string(), LastValueSchema).default({}),
  /** Counts per rate-limit id for this actor/target/kind in its window. */
  rate: z.record(z.string(), RateWindowSchema).default({}),
});

export const DecisionContextSchema = z.strictObject({
  level: z.string().min(1).max(32),
  /** Target telemetry and mode from its driver; empty when unknown. */
  state: z.record(z.string(), z.unknown()).default({}),
  history: HistorySchema.default({ last: {}, rate: {} }),
  /** Milliseconds since the epoch. Decisions never read the clock themselves. */
  now: z.number().int().nonnegative(),
  estop: z.boolean().default(false),
});

export type DecisionContext = z.infer<typeof DecisionContextSchema>;
