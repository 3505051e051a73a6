/** Fills in what a caller of the decision pipeline left out, for dry runs and the CLI. */
import {
  clockTime,
  countKey,
  DecisionContextSchema,
  type DecisionContext,
} from '../schema/context.ts';
import type { PolicyData } from '../schema/policy-data.ts';

/**
 * withContextDefaults: level L3, unknown state, no history (every count the invariants ask
 * for is 0), no emergency stop, `now` as given, a UTC clock at `now`.
 */
export function withContextDefaults(
  partial: unknown,
  now: number,
  manifest?: PolicyData['invariant_manifest'],
): DecisionContext {
  const base = typeof partial === 'object' && partial !== null ? partial : {};
  const ctx = DecisionContextSchema.parse({ level: 'L3', now, ...base });
  const counts = {
    ...Object.fromEntries((manifest?.counts ?? []).map((c) => [countKey(c), 0])),
    ...ctx.history.counts,
  };
  const at = new Date(ctx.now);
  return {
    ...ctx,
    history: { ...ctx.history, counts },
    clock: ctx.clock
      ? { ...ctx.clock, time: ctx.clock.time ?? clockTime(ctx.clock.minute) }
      : {
          minute: at.getUTCHours() * 60 + at.getUTCMinutes(),
          weekday: at.getUTCDay(),
          time: clockTime(at.getUTCHours() * 60 + at.getUTCMinutes()),
        },
  };
}
