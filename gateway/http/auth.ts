/** Bearer-token authentication and per-route role checks. */
import { createMiddleware } from 'hono/factory';
import { MAY, type Capability } from '../schema/permissions.ts';
import { authenticate, type Role } from '../auth/tokens.ts';
import type { Deps } from '../lifecycle/deps.ts';
import type { AppEnv } from './env.ts';
import { errorBody } from './errors.ts';

/** bearerOf: the token of an `Authorization: Bearer <token>` header, or '' when there is none. */
export function bearerOf(header: string | undefined): string {
  return (header && /^Bearer\s+(\S+)$/i.exec(header)?.[1]) || '';
}

export function authentication(db: Deps['db']) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.header('WWW-Authenticate', 'Bearer realm="interlock"');
      return c.json(
        errorBody(
          'unauthorized',
          'missing Authorization header: send "Authorization: Bearer <token>"',
          'Authorization',
        ),
        401,
      );
    }
    const token = bearerOf(header);
    if (!token)
      return c.json(
        errorBody(
          'unauthorized',
          'the Authorization header must be "Bearer <token>"',
          'Authorization',
        ),
        401,
      );
    const principal = await authenticate(db, token);
    if (!principal)
      return c.json(
        errorBody('unauthorized', 'the bearer token is unknown or revoked', 'Authorization'),
        401,
      );
    c.set('principal', principal);
    await next();
  });
}

/** A route open to the roles the permissions table gives a capability. */
export function requireRole(capability: Capability) {
  const roles: readonly Role[] = MAY[capability];
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (!roles.includes(principal.role)) {
      return c.json(
        errorBody(
          'forbidden',
          `this route needs role ${roles.join(' or ')}; the token ${principal.id} has role ${principal.role}`,
          'Authorization',
        ),
        403,
      );
    }
    await next();
  });
}
