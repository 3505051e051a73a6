/** Read-side queries: pages of actions. */
import { ValidationError } from '../schema/errors.ts';
import type { Deps } from './deps.ts';
import type { Status } from './states.ts';
import { acknowledgedAmong } from '../store/acknowledgements.ts';
import { approvalsOf, countsByTargetAndStatus, newestInStatus } from '../store/actions.ts';
import {
  recommendedAmong,
  searchActions,
  unacknowledgedIn,
  type ActionSearch,
} from '../store/action-search.ts';
import { decisionsBetween } from '../store/decisions.ts';
import { queryAudit, type AuditQuery, type AuditRecordView } from '../store/audit-query.ts';
import { recordsSince, trailOf, type AuditLine } from '../store/audit-reads.ts';
import { PENDING } from './states.ts';
import type { ActionsTable } from '../store/types.ts';

/** A stored action row, as the read-side queries return it. */
export type ActionRow = ActionsTable;
import { actionView, decisionView, type ActionView, type DecisionView } from './views.ts';

export interface ListQuery {
  status?: Status;
  target?: string;
  limit: number;
  /** Opaque: the created_at and id of the last action of the previous page. */
  cursor?: string;
}

export async function listActions(
  deps: Deps,
  query: ListQuery,
): Promise<{ actions: ActionView[]; nextCursor: string | null }> {
  const { rows, nextCursor } = await searchHistory(deps, {
    ...(query.status ? { statuses: [query.status] } : {}),
    ...(query.target ? { target: query.target } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
    limit: query.limit,
  });
  return { actions: await viewsOf(deps, rows), nextCursor };
}

/** The cursor after a page read with limit + 1 rows, or null when that was the last page. */
function nextCursorOf(rows: ActionsTable[], limit: number): string | null {
  const last = rows.slice(0, limit).at(-1);
  return rows.length > limit && last
    ? Buffer.from(`${last.created_at}:${last.id}`).toString('base64url')
    : null;
}

export type HistoryQuery = Omit<ActionSearch, 'before'> & { cursor?: string };

/** A filtered, searched page of the whole history, newest first, with the next page's cursor. */
export async function searchHistory(
  deps: Deps,
  query: HistoryQuery,
): Promise<{ rows: ActionsTable[]; nextCursor: string | null }> {
  const { cursor, ...search } = query;
  const before = decodeCursor(cursor);
  const rows = await searchActions(deps.db, {
    ...search,
    ...(before ? { before } : {}),
    limit: query.limit + 1,
  });
  return { rows: rows.slice(0, query.limit), nextCursor: nextCursorOf(rows, query.limit) };
}

/** Unacknowledged actions in these statuses, recommendations left out, newest first. */
export function unresolvedIncidents(
  deps: Deps,
  statuses: readonly string[],
  limit: number,
): Promise<ActionsTable[]> {
  return unacknowledgedIn(deps.db, statuses, limit);
}

/** Which of these actions the policy recorded as recommendations. */
export function recommended(deps: Deps, ids: readonly string[]): Promise<Set<string>> {
  return recommendedAmong(deps.db, ids);
}

/** Action rows as API views, with their approvals (one query for all of them). */
export async function viewsOf(deps: Deps, rows: ActionsTable[]): Promise<ActionView[]> {
  const approvals = await approvalsOf(
    deps.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) =>
    actionView(
      r,
      approvals.filter((a) => a.action_id === r.id),
    ),
  );
}

/**
 * The position a cursor names, or undefined when it is not one this gateway wrote: a
 * non-negative safe integer time and a printable id of 1–100 characters, nothing else (a
 * fraction or 1e308 would reach PostgreSQL's bigint comparison and fail there).
 */
export function parseCursor(cursor: string): { at: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const at = text.slice(0, colon);
  const id = text.slice(colon + 1);
  const n = Number(at);
  if (colon < 1 || !/^\d+$/.test(at) || !Number.isSafeInteger(n)) return undefined;
  if (id.length < 1 || id.length > 100 || !/^[\x21-\x7e]+$/.test(id)) return undefined;
  return { at: n, id };
}

function decodeCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (!cursor) return undefined;
  const parsed = parseCursor(cursor);
  if (!parsed)
    throw new ValidationError('cursor is not one this API returned', [
      { field: 'cursor', message: 'invalid cursor' },
    ]);
  return parsed;
}

/** Pending actions (approval or veto), newest first, at most `limit`. */
export function newestPending(deps: Deps, limit: number): Promise<ActionsTable[]> {
  return newestInStatus(deps.db, PENDING, limit);
}

/** Which of these actions someone has acknowledged. */
export function acknowledged(deps: Deps, ids: readonly string[]): Promise<Set<string>> {
  return acknowledgedAmong(deps.db, ids);
}

/** An action's audit trail, oldest first. */
export function auditTrail(deps: Deps, actionId: string): Promise<AuditLine[]> {
  return trailOf(deps.db, actionId);
}

/** Audit records since a time, oldest first, at most `limit`. */
export function auditSince(deps: Deps, from: number, limit: number): Promise<AuditLine[]> {
  return recordsSince(deps.db, new Date(from).toISOString(), limit);
}

/** Pending and running actions per target and status. */
export function workInFlight(deps: Deps): Promise<{ target: string; status: string; n: number }[]> {
  return countsByTargetAndStatus(deps.db, [...PENDING, 'EXECUTING']);
}

/** A filtered page of the audit log, for the API. */
export function auditPage(
  deps: Deps,
  query: AuditQuery,
): Promise<{ records: AuditRecordView[]; nextCursor: number | null }> {
  return queryAudit(deps.db, query);
}

/** A recorded decision with what it was about: the decision cards page's row. */
export interface DecisionCard {
  decision: DecisionView;
  purpose: string;
  actionId: string | null;
  /** Null for a dry run, which has no stored action. */
  kind: string | null;
  target: string | null;
}

/** The decisions of a time window, newest first, at most `limit`. */
export async function decisionCards(
  deps: Deps,
  q: { from: number; to: number; effect?: string; kind?: string; target?: string; limit: number },
): Promise<DecisionCard[]> {
  const rows = await decisionsBetween(deps.db, q);
  return rows.map((r) => ({
    decision: decisionView(r),
    purpose: r.purpose,
    actionId: r.action_id,
    kind: r.kind,
    target: r.target,
  }));
}
