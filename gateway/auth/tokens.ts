/**
 * Bearer tokens. A token is shown once at creation and stored only as its sha256; the
 * token's name is the actor's identity and its role decides what the actor may do.
 * Revoking and rotating withdraw queued actions, so they live in the lifecycle (tokens.ts there).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { appendAudit } from '../audit/append.ts';
import { sha256Hex } from '../schema/canonical-json.ts';
import { InterlockError } from '../schema/errors.ts';
import { nameKey } from '../schema/names.ts';
import { RoleSchema, type CreatedToken, type Principal, type Role } from '../schema/principal.ts';
import type { Conn } from '../store/conn.ts';
import type { Db } from '../store/db.ts';
import { activeTokenByHash, countTokens, insertToken, sameNameRows } from '../store/tokens.ts';

export {
  ROLES,
  RoleSchema,
  TOKEN_NAME_PATTERN,
  TOKEN_NAME_RULE,
  TokenNameSchema,
} from '../schema/principal.ts';
export type { CreatedToken, Principal, Role } from '../schema/principal.ts';

export const newSecret = (): string => `il_${randomBytes(32).toString('base64url')}`;

export async function createToken(
  db: Db,
  name: string,
  role: Role,
  createdBy: string,
): Promise<CreatedToken> {
  const token = newSecret();
  const id = randomUUID();
  const key = nameKey(name);
  await db.transaction().execute(async (trx) => {
    // Names are one per person as people read them: "Alice" is taken when "alice" exists,
    // revoked or not (a revoked name stays in the audit trail; rotate gives it a new secret).
    const [existing] = await sameNameRows(trx, key, { activeOnly: false });
    if (existing)
      throw new InterlockError(
        'conflict',
        `a token named ${existing.name} already exists (names are compared ignoring case and Unicode width); rotate it for a new secret`,
        { field: 'name' },
      );
    await insertToken(trx, {
      id,
      name,
      name_key: key,
      role,
      hash: sha256Hex(token),
      created_at: Date.now(),
    });
    await appendAudit(trx, {
      type: 'token.created',
      actor: createdBy,
      payload: { token_id: id, name, role },
    });
  });
  return { id, name, role, token };
}

export async function authenticate(db: Db, token: string): Promise<Principal | undefined> {
  const credential = sha256Hex(token);
  const row = await activeTokenByHash(db, credential);
  const role = RoleSchema.safeParse(row?.role);
  return row && role.success ? { id: row.name, role: role.data, credential } : undefined;
}

/**
 * requireCurrentCredential, inside the transaction that records work on a principal's word:
 * the secret it authenticated with must still be the token's, unrevoked. A proposal that raced
 * a rotation or revocation is refused instead of being queued where the withdrawal missed it.
 */
export async function requireCurrentCredential(trx: Conn, principal: Principal): Promise<void> {
  if (principal.credential === undefined) return;
  if (!(await activeTokenByHash(trx, principal.credential)))
    throw new InterlockError(
      'unauthorized',
      'the bearer token was revoked or rotated while this request was in flight',
      { field: 'Authorization' },
    );
}

export { countTokens };

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
