/**
 * Bearer tokens. A token is shown once at creation and stored only as its sha256; the
 * token's name is the actor's identity and its role decides what the actor may do.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sha256Hex } from '../audit/chain.ts';
import { appendAudit } from '../audit/append.ts';
import { InterlockError } from '../schema/errors.ts';
import type { Db } from '../store/db.ts';
import type { Transaction } from 'kysely';
import type { Database, TokensTable } from '../store/types.ts';
import type { LifecycleEvent } from '../lifecycle/events.ts';
import { nameKey, sameName } from './names.ts';
import { transition } from '../lifecycle/transition.ts';
import type { Status } from '../lifecycle/states.ts';

export const ROLES = ['agent', 'operator', 'admin', 'auditor'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
export const TOKEN_NAME_RULE = 'letters, digits, . _ @ -';
export const TokenNameSchema = z.string().min(1).max(100).regex(TOKEN_NAME_PATTERN, TOKEN_NAME_RULE);

export interface Principal {
  id: string;
  role: Role;
  /**
   * sha256 of the bearer secret this request authenticated with. Steps that commit work on the
   * principal's word check it is still the token's secret (a rotation or revocation may land
   * while the request is in flight).
   */
  credential?: string;
}

export interface CreatedToken {
  id: string;
  name: string;
  role: Role;
  token: string;
}

const newSecret = (): string => `il_${randomBytes(32).toString('base64url')}`;

export async function createToken(db: Db, name: string, role: Role, createdBy: string): Promise<CreatedToken> {
  const token = newSecret();
  const id = randomUUID();
  const key = nameKey(name);
  await db.transaction().execute(async (trx) => {
    // Names are one per person as people read them: "Alice" is taken when "alice" exists,
    // revoked or not (a revoked name stays in the audit trail; rotate gives it a new secret).
    const [existing] = await sameNameRows(trx, key, { activeOnly: false });
    if (existing) throw new InterlockError('conflict', `a token named ${existing.name} already exists (names are compared ignoring case and Unicode width); rotate it for a new secret`, { field: 'name' });
    await trx.insertInto('tokens').values({ id, name, name_key: key, role, hash: sha256Hex(token), created_at: Date.now(), revoked_at: null }).execute();
    await appendAudit(trx, { type: 'token.created', actor: createdBy, payload: { token_id: id, name, role } });
  });
  return { id, name, role, token };
}

/** Where revocation and rotation announce themselves: open event streams end on it. */
export interface TokenEvents {
  publish(event: LifecycleEvent): void;
}

export const TOKEN_ENDED_EVENT = 'token.ended';

/** Actions a token's old secret may have queued and that have not started. */
const WITHDRAWN = ['PENDING_APPROVAL', 'PENDING_VETO', 'APPROVED'] as const;

/** tokenEnded(name): whether an event says that name's token was revoked or rotated. */
export function tokenEnded(name: string): (event: LifecycleEvent) => boolean {
  return (event) => event.type === TOKEN_ENDED_EVENT && typeof event.detail?.name === 'string' && sameName(event.detail.name, name);
}

/**
 * endToken revokes a token (no new secret) or rotates it (a new secret's hash). Either way the
 * old secret stops authenticating with the commit, every console session that came from it ends
 * in the same transaction, and open event streams of that name end when the event arrives.
 */
async function endToken(db: Db, events: TokenEvents, name: string, by: string, now: number, newHash: string | undefined): Promise<{ id: string; name: string; role: Role }> {
  const lifecycleEvents: LifecycleEvent[] = [];
  const result = await db.transaction().execute(async (trx) => {
    // The exact name first: a database from before unique names may hold "alice" and "Alice"
    // for two people, and revoking one must never touch the other.
    const exact = await trx.selectFrom('tokens').selectAll().where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
    const candidates = exact ? [exact] : await sameNameRows(trx, nameKey(name), { activeOnly: true });
    if (candidates.length > 1) throw new InterlockError('conflict', `${candidates.length} active tokens are named ${name} up to case or width (${candidates.map((c) => c.name).join(', ')}): give the exact name`, { field: 'name' });
    const row = candidates[0];
    if (!row) throw new InterlockError('not_found', `no active token named ${name}`, { field: 'name' });
    const role = RoleSchema.parse(row.role);
    const change = newHash === undefined ? { revoked_at: now } : { hash: newHash };
    await trx.updateTable('tokens').set(change).where('id', '=', row.id).execute();
    const sessions = await trx.updateTable('console_sessions').set({ ended_at: now }).where('actor', '=', row.name).where('ended_at', 'is', null).executeTakeFirst();
    // What the old secret queued is withdrawn: a leaked secret is rotated or revoked precisely
    // because its holder may not be who proposed those actions.
    const queued = await trx.selectFrom('actions').select(['id', 'status']).where('proposer', '=', row.name).where('status', 'in', [...WITHDRAWN]).execute();
    let withdrawn = 0;
    for (const a of queued) {
      const reason = `the proposer's token was ${newHash === undefined ? 'revoked' : 'rotated'}`;
      if (await transition(trx, { id: a.id, from: a.status as Status, to: 'CANCELLED', actor: by, reason, set: { finished_at: now }, at: now }, lifecycleEvents)) withdrawn++;
    }
    const type = newHash === undefined ? 'token.revoked' : 'token.rotated';
    await appendAudit(trx, { type, actor: by, at: now, payload: { token_id: row.id, name: row.name, role, sessions_ended: Number(sessions.numUpdatedRows), actions_withdrawn: withdrawn } });
    return { id: row.id, name: row.name, role };
  });
  for (const e of lifecycleEvents) events.publish(e);
  events.publish({ type: TOKEN_ENDED_EVENT, at: now, detail: { name: result.name } });
  return result;
}

export async function revokeToken(db: Db, events: TokenEvents, name: string, by: string, now = Date.now()): Promise<{ id: string; name: string; role: Role; revokedAt: number }> {
  return { ...(await endToken(db, events, name, by, now, undefined)), revokedAt: now };
}

export async function rotateToken(db: Db, events: TokenEvents, name: string, by: string, now = Date.now()): Promise<CreatedToken> {
  const token = newSecret();
  return { ...(await endToken(db, events, name, by, now, sha256Hex(token))), token };
}
/**
 * Token rows whose name reads as `key`: by the indexed name_key, and rows a legacy collision
 * (name_key `key#id`) or an older replica (name_key null) left behind. LIKE's wildcards may
 * match more; the comparison in code decides.
 */
async function sameNameRows(db: Db | Transaction<Database>, key: string, options: { activeOnly: boolean }): Promise<TokensTable[]> {
  let q = db
    .selectFrom('tokens')
    .selectAll()
    .where((eb) => eb.or([eb('name_key', '=', key), eb('name_key', 'like', `${key}#%`), eb('name_key', 'is', null)]));
  if (options.activeOnly) q = q.where('revoked_at', 'is', null);
  return (await q.execute()).filter((r) => nameKey(r.name) === key);
}

export async function authenticate(db: Db, token: string): Promise<Principal | undefined> {
  const row = await db
    .selectFrom('tokens')
    .select(['name', 'role'])
    .where('hash', '=', sha256Hex(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const role = RoleSchema.safeParse(row?.role);
  return row && role.success ? { id: row.name, role: role.data, credential: sha256Hex(token) } : undefined;
}

/**
 * requireCurrentCredential, inside the transaction that records work on a principal's word:
 * the secret it authenticated with must still be the token's, unrevoked. A proposal that raced
 * a rotation or revocation is refused instead of being queued where the withdrawal missed it.
 */
export async function requireCurrentCredential(trx: Db | Transaction<Database>, principal: Principal): Promise<void> {
  if (principal.credential === undefined) return;
  const row = await trx.selectFrom('tokens').select('id').where('hash', '=', principal.credential).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) throw new InterlockError('unauthorized', 'the bearer token was revoked or rotated while this request was in flight', { field: 'Authorization' });
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** On a first start with no tokens at all, mint one admin token to be printed once. */
export async function bootstrapAdmin(db: Db): Promise<CreatedToken | undefined> {
  if ((await countTokens(db)) > 0) return undefined;
  try {
    return await createToken(db, 'admin', 'admin', 'system');
  } catch (err) {
    // Two replicas starting on an empty database: one mints the token, the other goes on without.
    if ((await countTokens(db)) > 0) return undefined;
    throw err;
  }
}
