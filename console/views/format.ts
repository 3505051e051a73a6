/** Small formatting helpers shared by the console's views. */

/** "14:03:07" in the gateway's configured time zone. */
export function clock(iso: string | number | null, timeZone: string): string {
  if (iso === null || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(d);
}

/** "2026-12-02 14:03:07" in the gateway's configured time zone. */
export function dateTime(iso: string | number | null, timeZone: string): string {
  if (iso === null || iso === '') return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  // Swedish writes dates as ISO does: year-month-day.
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(d);
}

/** "2m 05s", "45s", "1h 02m". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

export const statusLabel = (status: string): string => status.replace('_', ' ');
