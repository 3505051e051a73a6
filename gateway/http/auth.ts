/** Bearer-token authentication and per-route role checks. */
import { createMiddleware } from 'hono/factory';
import { authenticate, type Role } from '../auth/tokens.ts';
import type { Db } from '../store/db.ts';
import type { AppEnv } from './env.ts';
import { errorBody } from './errors.ts';

export function authentication(db: Db) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.header('WWW-Authenticate', 'Bearer realm="interlock"');
      return c.json(errorBody('unauthorized', 'missing Authorization header: send "Authorization: Bearer <token>"', 'Authorization'), 401);
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return c.json(errorBody('unauthorized', 'the Authorization header must be "Bearer <token>"', 'Authorization'), 401);
    const principal = await authenticate(db, match[1]);
    if (!principal) return c.json(errorBody('unauthorized', 'the bearer token is unknown or revoked', 'Authorization'), 401);
    c.set('principal', principal);
    await next();
  });
}

export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (!roles.includes(principal.role)) {
      return c.json(errorBody('forbidden', `this route needs role ${roles.join(' or ')}; the token ${principal.id} has role ${principal.role}`, 'Authorization'), 403);
    }
    await next();
  });
}
