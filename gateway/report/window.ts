/** A report's window from user input: times or durations back from now; `to` defaults to now. */
import { windowBound } from '../impact/window.ts';
import { ValidationError } from '../schema/errors.ts';

export function reportWindow(
  from: { field: string; value: string | undefined },
  to: { field: string; value: string | undefined },
  now: number,
): { from: number; to: number } {
  const time = (b: { field: string; value: string | undefined }, fallback?: number): number => {
    if (b.value === undefined) {
      if (fallback !== undefined) return fallback;
      throw new ValidationError(`${b.field} is required`, [
        { field: b.field, message: 'required' },
      ]);
    }
    const bound = windowBound(b.field, b.value, now);
    if ('seq' in bound) {
      const message = `${b.field} takes a time (ISO 8601) or a duration back from now (12h, 7d), not a sequence number`;
      throw new ValidationError(message, [{ field: b.field, message }]);
    }
    return bound.time;
  };
  const window = { from: time(from), to: time(to, now) };
  if (window.from >= window.to) {
    const message = `${from.field} must be before ${to.field}`;
    throw new ValidationError(message, [{ field: from.field, message }]);
  }
  return window;
}
