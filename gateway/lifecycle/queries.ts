/** Read-side queries: pages of actions. */
import { ValidationError } from '../schema/errors.ts';
import type { Deps } from './deps.ts';
import type { Status } from './states.ts';
import { approvalsOf, pageOfActions } from '../store/actions.ts';
import type { ActionsTable } from '../store/types.ts';
import { actionView, type ActionView } from './views.ts';

export interface ListQuery {
  status?: Status;
  target?: string;
  limit: number;
  /** Opaque: the created_at and id of the last action of the previous page. */
  cursor?: string;
}

export async function listActions(deps: Deps, query: ListQuery): Promise<{ actions: ActionView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(query.cursor);
  const rows = await pageOfActions(deps.db, {
    ...(query.status ? { status: query.status } : {}),
    ...(query.target ? { target: query.target } : {}),
    ...(cursor ? { after: cursor } : {}),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    actions: await viewsOf(deps, page),
    nextCursor: rows.length > query.limit && last ? Buffer.from(`${last.created_at}:${last.id}`).toString('base64url') : null,
  };
}

/** Action rows as API views, with their approvals (one query for all of them). */
export async function viewsOf(deps: Deps, rows: ActionsTable[]): Promise<ActionView[]> {
  const approvals = await approvalsOf(deps.db, rows.map((r) => r.id));
  return rows.map((r) => actionView(r, approvals.filter((a) => a.action_id === r.id)));
}

function decodeCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const n = Number(at);
  if (!Number.isFinite(n) || !id) throw new ValidationError('cursor is not one this API returned', [{ field: 'cursor', message: 'invalid cursor' }]);
  return { at: n, id };
}
