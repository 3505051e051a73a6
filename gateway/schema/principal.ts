/** Who is acting: roles, token names, and the principal a request authenticated as. */
import { z } from 'zod';

export const ROLES = ['agent', 'operator', 'admin', 'auditor'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
export const TOKEN_NAME_RULE = 'letters, digits, . _ @ -';
export const TokenNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(TOKEN_NAME_PATTERN, TOKEN_NAME_RULE);

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

/** A token as shown once, at creation or rotation. */
export interface CreatedToken {
  id: string;
  name: string;
  role: Role;
  token: string;
}

/** A console session: who, the CSRF token its forms carry, and when it expires. */
export interface Session {
  principal: Principal;
  csrf: string;
  expiresAt: number;
}
