/**
 * Ending a token: revocation (no new secret) and rotation (a new one). Either way what the old
 * secret queued is withdrawn, which is a lifecycle step, so it lives here and not in auth.
 */
import { appendAudit } from '../audit/append.ts';
import { newSecret } from '../auth/tokens.ts';
import { sha256Hex } from '../schema/canonical-json.ts';
import { InterlockError } from '../schema/errors.ts';
import type { LifecycleEvent } from '../schema/lifecycle-event.ts';
import { sameName } from '../schema/names.ts';
import { RoleSchema, type CreatedToken, type Role } from '../schema/principal.ts';
import type { Db } from '../store/db.ts';
import { actionsOfProposer } from '../store/actions.ts';
import { lockHead } from '../store/audit-log.ts';
import { activeTokensNamed, endSessionsOf, updateToken } from '../store/tokens.ts';
import { CANCELLABLE, type Status } from './states.ts';
import { transition } from './transition.ts';

/** Where revocation and rotation announce themselves: open event streams end on it. */
export interface TokenEvents {
  publish(event: LifecycleEvent): void;
}

export const TOKEN_ENDED_EVENT = 'token.ended';

/** tokenEnded(name): whether an event says that name's token was revoked or rotated. */
export function tokenEnded(name: string): (event: LifecycleEvent) => boolean {
  return (event) =>
    event.type === TOKEN_ENDED_EVENT &&
    typeof event.detail?.name === 'string' &&
    sameName(event.detail.name, name);
}

/**
 * endToken revokes a token (no new secret) or rotates it (a new secret's hash). Either way the
 * old secret stops authenticating with the commit, every console session that came from it ends
 * in the same transaction, and open event streams of that name end when the event arrives.
 */
async function endToken(
  db: Db,
  events: TokenEvents,
  name: string,
  by: string,
  now: number,
  newHash: string | undefined,
): Promise<{ id: string; name: string; role: Role }> {
  const lifecycleEvents: LifecycleEvent[] = [];
  const result = await db.transaction().execute(async (trx) => {
    // The head first, as proposals take it before they check their token: a proposal either
    // committed before this (and is withdrawn below) or sees the token ended.
    await lockHead(trx);
    const candidates = await activeTokensNamed(trx, name);
    if (candidates.length > 1)
      throw new InterlockError(
        'conflict',
        `${candidates.length} active tokens are named ${name} up to case or width (${candidates.map((c) => c.name).join(', ')}): give the exact name`,
        { field: 'name' },
      );
    const row = candidates[0];
    if (!row)
      throw new InterlockError('not_found', `no active token named ${name}`, { field: 'name' });
    const role = RoleSchema.parse(row.role);
    await updateToken(trx, row.id, newHash === undefined ? { revoked_at: now } : { hash: newHash });
    const sessionsEnded = await endSessionsOf(trx, row.name, now);
    // What the old secret queued is withdrawn: a leaked secret is rotated or revoked precisely
    // because its holder may not be who proposed those actions.
    const queued = await actionsOfProposer(trx, row.name, CANCELLABLE);
    let withdrawn = 0;
    for (const a of queued) {
      const reason = `the proposer's token was ${newHash === undefined ? 'revoked' : 'rotated'}`;
      if (
        await transition(
          trx,
          {
            id: a.id,
            from: a.status as Status,
            to: 'CANCELLED',
            actor: by,
            reason,
            set: { finished_at: now },
            at: now,
          },
          lifecycleEvents,
        )
      )
        withdrawn++;
    }
    const type = newHash === undefined ? 'token.revoked' : 'token.rotated';
    await appendAudit(trx, {
      type,
      actor: by,
      at: now,
      payload: {
        token_id: row.id,
        name: row.name,
        role,
        sessions_ended: sessionsEnded,
        actions_withdrawn: withdrawn,
      },
    });
    return { id: row.id, name: row.name, role };
  });
  for (const e of lifecycleEvents) events.publish(e);
  events.publish({ type: TOKEN_ENDED_EVENT, at: now, detail: { name: result.name } });
  return result;
}

export async function revokeToken(
  db: Db,
  events: TokenEvents,
  name: string,
  by: string,
  now = Date.now(),
): Promise<{ id: string; name: string; role: Role; revokedAt: number }> {
  return { ...(await endToken(db, events, name, by, now, undefined)), revokedAt: now };
}

export async function rotateToken(
  db: Db,
  events: TokenEvents,
  name: string,
  by: string,
  now = Date.now(),
): Promise<CreatedToken> {
  const token = newSecret();
  return { ...(await endToken(db, events, name, by, now, sha256Hex(token))), token };
}
