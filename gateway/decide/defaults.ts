/** Fills in what a caller of the decision pipeline left out, for dry runs and the CLI. */
import { DecisionContextSchema, type DecisionContext } from '../schema/context.ts';

/** withContextDefaults: level L3, unknown state, no history, no emergency stop, `now` as given. */
export function withContextDefaults(partial: unknown, now: number): DecisionContext {
  const base = typeof partial === 'object' && partial !== null ? partial : {};
  return DecisionContextSchema.parse({ level: 'L3', now, ...base });
}
