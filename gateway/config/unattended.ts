/**
 * Unattended operation (the radio station's lights-out mode): declared windows in which nobody
 * is expected at the console. Notifications and the handoff report say when something happened
 * during one.
 */
import { clockAt } from '../schema/context.ts';
import type { UnattendedConfig } from './notifications.ts';

export function isUnattended(
  windows: readonly UnattendedConfig[],
  target: string | undefined,
  at: number,
  timeZone: string,
): boolean {
  return windows.some((w) => {
    if (w.targets && (target === undefined || !w.targets.includes(target))) return false;
    if (w.from === undefined || w.to === undefined) return true;
    const { minute } = clockAt(at, timeZone);
    const from = toMinutes(w.from);
    const to = toMinutes(w.to);
    // from > to spans midnight (22:00–06:00); from = to is the whole day.
    return from < to ? minute >= from && minute < to : minute >= from || minute < to;
  });
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}
