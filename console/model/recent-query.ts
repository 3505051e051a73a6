/**
 * The queue's "Recent" filters, from the page's query string: target, status, severity, kind,
 * proposer, a time range in the configured zone, text search and a page cursor. A value that
 * does not parse is dropped and named in a notice, so a hand-edited link still shows a page.
 */
import { z } from 'zod';
import { STATUSES, type Status } from '../../gateway/lifecycle/states.ts';
import { parseCursor, type HistoryQuery } from '../../gateway/lifecycle/queries.ts';
import { FilterName, parseQueryFields } from './query-fields.ts';
import { severityOf, type Severity } from './severity.ts';
import { wallTimeToEpoch } from './zoned-time.ts';

export const RECENT_PAGE = 50;

export const SEVERITIES = [
  'ERROR',
  'WARN',
  'RECOVERED',
  'INFO',
] as const satisfies readonly Severity[];

/** The statuses the form offers, in the lifecycle's order. */
export const FILTER_STATUSES: readonly Status[] = STATUSES;

const FIELDS = {
  target: FilterName,
  kind: FilterName,
  proposer: FilterName,
  status: z.enum(STATUSES),
  severity: z.enum(SEVERITIES),
  from: z.string().max(19),
  to: z.string().max(19),
  q: z
    .string()
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'holds a control character'),
  cursor: z
    .string()
    .max(200)
    .refine((c) => parseCursor(c) !== undefined, 'not a page of this list'),
} as const;

type Field = keyof typeof FIELDS;

export interface RecentFilter {
  /** What the form shows again: the accepted values as typed. */
  values: Partial<Record<Field, string>>;
  search: HistoryQuery;
  /** The severity asked for, which the page applies to each row after the query. */
  severity: Severity | undefined;
  notices: { field: Field; message: string }[];
  /** Any filter other than the cursor is set. */
  filtered: boolean;
}

/** The statuses whose rows can have this severity (recommendations make DENIED an INFO too). */
export function statusesWithSeverity(severity: Severity): Status[] {
  return STATUSES.filter(
    (status) =>
      [true, false].some(
        (recoveryKind) => severityOf({ status, recoveryKind, acknowledged: false }) === severity,
      ) ||
      (severity === 'INFO' && status === 'DENIED'),
  );
}

export function parseRecentFilter(
  query: Record<string, string | undefined>,
  timeZone: string,
): RecentFilter {
  const { values, notices } = parseQueryFields(FIELDS, query);
  const instant = (field: 'from' | 'to'): number | undefined => {
    const wall = values[field];
    if (wall === undefined) return undefined;
    const at = wallTimeToEpoch(wall, timeZone);
    if (at === undefined) {
      delete values[field];
      notices.push({ field, message: `not a date and time like 2026-12-02T14:05 (${timeZone})` });
    }
    return at;
  };
  const from = instant('from');
  const to = instant('to');
  const severity = values.severity as Severity | undefined;
  const status = values.status as Status | undefined;
  const statuses =
    status && severity
      ? statusesWithSeverity(severity).filter((s) => s === status)
      : status
        ? [status]
        : severity
          ? statusesWithSeverity(severity)
          : undefined;
  const search: HistoryQuery = {
    limit: RECENT_PAGE,
    ...(values.target ? { target: values.target } : {}),
    ...(values.kind ? { kind: values.kind } : {}),
    ...(values.proposer ? { proposer: values.proposer } : {}),
    ...(statuses ? { statuses } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(values.q ? { text: values.q } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
  };
  const filtered = Object.keys(values).some((k) => k !== 'cursor');
  return { values, search, severity, notices, filtered };
}
