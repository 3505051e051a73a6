/**
 * Wall-clock times in the gateway's configured zone, as an operator types them into a filter
 * ("2026-12-02T14:05"), turned into instants. Intl knows each zone's offsets; the offset is
 * read at the guessed instant and once more at the corrected one, so a time next to a DST
 * change lands on the offset that applies at that instant.
 */

const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::([0-5]\d))?$/;

/** The zone's offset from UTC at an instant, in ms (east positive). */
function offsetAt(epochMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs));
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** "2026-12-02T14:05" in `timeZone` as epoch ms, or undefined when it is not such a time. */
export function wallTimeToEpoch(wall: string, timeZone: string): number | undefined {
  const m = WALL.exec(wall);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  // Date.UTC reads years 0–99 as 1900–1999; nothing the gateway stores is that old anyway.
  if (y! < 1970) return undefined;
  const guess = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const check = new Date(guess);
  // Date.UTC rolls 2026-02-31 over into March: refuse what does not exist rather than guess.
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h! > 23 || mi! > 59)
    return undefined;
  const first = guess - offsetAt(guess, timeZone);
  return guess - offsetAt(first, timeZone);
}

/** An instant as the wall time a datetime-local input shows, in `timeZone`. */
export function epochToWallTime(epochMs: number, timeZone: string): string {
  const local = new Date(epochMs + offsetAt(epochMs, timeZone));
  return local.toISOString().slice(0, 16);
}
