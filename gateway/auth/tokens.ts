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

export const ROLES = ['agent', 'operator', 'admin', 'auditor'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const TokenNameSchema = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'letters, digits, . _ @ -');

export interface Principal {
  id: string;
  role: Role;
}

export interface CreatedToken {
  id: string;
  name: string;
  role: Role;
  token: string;
}

export async function createToken(db: Db, name: string, role: Role, createdBy: string): Promise<CreatedToken> {
  const token = `il_${randomBytes(32).toString('base64url')}`;
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('tokens').select('id').where('name', '=', name).executeTakeFirst();
    if (existing) throw new InterlockError('conflict', `a token named ${name} already exists`, { field: 'name' });
    await trx.insertInto('tokens').values({ id, name, role, hash: sha256Hex(token), created_at: Date.now(), revoked_at: null }).execute();
    await appendAudit(trx, { type: 'token.created', actor: createdBy, payload: { token_id: id, name, role } });
  });
  return { id, name, role, token };
}

export async function authenticate(db: Db, token: string): Promise<Principal | undefined> {
  const row = await db
    .selectFrom('tokens')
    .select(['name', 'role'])
    .where('hash', '=', sha256Hex(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const role = RoleSchema.safeParse(row?.role);
  return row && role.success ? { id: row.name, role: role.data } : undefined;
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
