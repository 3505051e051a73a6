/**
 * Console sessions. Logging in exchanges a bearer token for a random session id held in an
 * HttpOnly cookie; the database keeps only its sha256, the actor and a CSRF token. A session
 * ends at logout, after `sessionTtlMs`, after `idleTimeoutMs` without a request, or as soon
 * as the token it came from is revoked.
 */
import { randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/append.ts';
import type { Config } from '../config/config.ts';
import { sha256Hex } from '../schema/canonical-json.ts';
import { MAY } from '../schema/permissions.ts';
import { RoleSchema, type Session } from '../schema/principal.ts';
import type { Db } from '../store/db.ts';
import { endSession, insertSession, sessionById, touchSession } from '../store/sessions.ts';
import { authenticate } from './tokens.ts';

export type { Session };

export const SESSION_COOKIE = 'interlock_session';

/** Who may sign in: the roles that observe (operators, admins, auditors). */
export const CONSOLE_ROLES = MAY.observe;

export type LoginResult =
  | { ok: true; cookie: string; session: Session }
  | { ok: false; reason: 'unknown_token' | 'role_not_allowed'; role?: string; name?: string };

// Writing last_seen_at on every request would make each page view a write; a minute is precise
// enough for a 30-minute idle limit.
const TOUCH_EVERY_MS = 60_000;

export async function login(
  db: Db,
  config: Config['console'],
  token: string,
  now: number,
): Promise<LoginResult> {
  // Refusals are audited by the caller, aggregated per client (console/login-throttle.ts).
  const principal = await authenticate(db, token);
  if (!principal) return { ok: false, reason: 'unknown_token' };
  if (!(CONSOLE_ROLES as readonly string[]).includes(principal.role))
    return { ok: false, reason: 'role_not_allowed', role: principal.role, name: principal.id };
  const cookie = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const expiresAt = now + config.sessionTtlMs;
  await db.transaction().execute(async (trx) => {
    // Bound to this very secret: a rotation or revocation racing the login still ends the session.
    await insertSession(trx, {
      id: sha256Hex(cookie),
      actor: principal.id,
      role: principal.role,
      csrf,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      ended_at: null,
      token_hash: sha256Hex(token),
    });
    await appendAudit(trx, {
      type: 'console.login',
      actor: principal.id,
      at: now,
      payload: { role: principal.role },
    });
  });
  return { ok: true, cookie, session: { principal, csrf, expiresAt } };
}

export async function resume(
  db: Db,
  config: Config['console'],
  cookie: string | undefined,
  now: number,
): Promise<Session | undefined> {
  if (!cookie || cookie.length > 100) return undefined;
  const id = sha256Hex(cookie);
  const row = await sessionById(db, id);
  if (!row || row.ended_at !== null || row.revoked_at !== null) return undefined;
  if (now >= Number(row.expires_at) || now - Number(row.last_seen_at) >= config.idleTimeoutMs)
    return undefined;
  const role = RoleSchema.safeParse(row.role);
  if (!role.success) return undefined;
  if (now - Number(row.last_seen_at) >= TOUCH_EVERY_MS) {
    await touchSession(db, id, now);
  }
  return {
    principal: { id: row.actor, role: role.data },
    csrf: row.csrf,
    expiresAt: Number(row.expires_at),
  };
}

export async function logout(db: Db, cookie: string, actor: string, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (await endSession(trx, sha256Hex(cookie), now))
      await appendAudit(trx, { type: 'console.logout', actor, at: now, payload: {} });
  });
}
