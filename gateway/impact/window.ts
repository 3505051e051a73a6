/** A replay window from user input: audit sequence numbers, durations back from now, or times. */
import { ValidationError } from '../schema/errors.ts';
import type { LogWindow } from '../store/decision-replay.ts';

const LOWEST = Date.parse('0000-01-01T00:00:00.000Z');
const HIGHEST = Date.parse('9999-12-31T23:59:59.999Z');
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A window bound: an audit sequence number (digits), a duration back from now (`7d`, `12h`),
 * or a time Date.parse reads (ISO 8601). `field` names it in the error (a flag or a body field).
 */
export function windowBound(
  field: string,
  value: string,
  now: number,
): { seq: number } | { time: number } {
  if (/^\d{1,15}$/.test(value)) return { seq: Number(value) };
  const ago = /^(\d{1,9})([smhd])$/.exec(value);
  if (ago)
    return {
      time: Math.max(LOWEST, now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]),
    };
  const time = value.length <= 64 ? Date.parse(value) : Number.NaN;
  // The log's times are ISO strings compared as text: only years 0000–9999 sort as they should.
  if (Number.isNaN(time) || time < LOWEST || time > HIGHEST) {
    const message = `${field} takes an audit sequence number, a duration back from now (7d, 12h) or an ISO time; got "${value.slice(0, 64)}"`;
    throw new ValidationError(message, [{ field, message }]);
  }
  return { time };
}

/** A bound as the user gave it: the name to report it by (a flag, a body field) and its value. */
export interface NamedBound {
  field: string;
  value: string | undefined;
}

/** windowOf reads a lower bound (inclusive) and an upper bound (exclusive). */
export function windowOf(from: NamedBound, to: NamedBound, now: number): LogWindow {
  const window: LogWindow = {};
  if (from.value !== undefined) {
    const b = windowBound(from.field, from.value, now);
    if ('seq' in b) window.fromSeq = b.seq;
    else window.fromTime = b.time;
  }
  if (to.value !== undefined) {
    const b = windowBound(to.field, to.value, now);
    if ('seq' in b) window.toSeq = b.seq;
    else window.toTime = b.time;
  }
  return window;
}
