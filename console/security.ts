/**
 * The console's guards: strict security headers, session cookies, and CSRF protection.
 * Every state-changing request must carry the session's CSRF token in `X-CSRF-Token`
 * (forms: a `_csrf` field) and, for form posts, come from the console's own origin.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { secureHeaders } from 'hono/secure-headers';
import { recordAudit } from '../gateway/lifecycle/audit.ts';
import type { Config } from '../gateway/config/config.ts';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { resume, SESSION_COOKIE, type Session } from '../gateway/auth/sessions.ts';

export interface ConsoleEnv {
  Variables: { session: Session; cookie: string };
}

export const consoleHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    crossOriginResourcePolicy: 'same-origin',
  });

/** Whether this request arrived over TLS, directly or through a proxy that says so. */
function overTls(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

export function setSessionCookie(
  c: Context,
  config: Config['console'],
  value: string,
  expiresAt: number,
): void {
  const secure =
    config.secureCookies === 'always' || (config.secureCookies === 'auto' && overTls(c));
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure,
    path: '/console',
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/console' });
}

/** Loads the session; pages without one redirect to the login form, everything else gets a 401. */
export function requireSession(deps: Deps) {
  return createMiddleware<ConsoleEnv>(async (c, next) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = await resume(deps.db, deps.config.console, cookie, deps.now());
    if (!session || !cookie) {
      if (cookie) clearSessionCookie(c);
      if (
        c.req.method === 'GET' &&
        !c.req.path.startsWith('/console/api') &&
        !c.req.path.startsWith('/console/fragments') &&
        c.req.path !== '/console/events'
      ) {
        const next = c.req.path + (new URL(c.req.url).search || '');
        return c.redirect(`/console/login?next=${encodeURIComponent(next)}`, 303);
      }
      return c.json(
        {
          error: {
            code: 'unauthorized',
            message: 'no console session: log in at /console/login',
            field: 'cookie',
          },
        },
        401,
      );
    }
    c.set('session', session);
    c.set('cookie', cookie);
    c.header('Cache-Control', 'no-store');
    await next();
  });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Refuses state-changing requests without the session's CSRF token; refusals are audited. */
export function requireCsrf(deps: Deps) {
  return createMiddleware<ConsoleEnv>(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const session = c.get('session');
    let sent = c.req.header('x-csrf-token');
    if (
      !sent &&
      (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')
    ) {
      const form = await c.req.parseBody();
      sent = typeof form._csrf === 'string' ? form._csrf : undefined;
    }
    if (!sent || !same(sent, session.csrf)) {
      await recordAudit(deps, [
        {
          type: 'console.csrf_refused',
          actor: session.principal.id,
          at: deps.now(),
          payload: { method: c.req.method, path: c.req.path },
        },
      ]);
      return c.json(
        {
          error: {
            code: 'csrf_failed',
            message: 'missing or wrong CSRF token: reload the console and try again',
            field: 'X-CSRF-Token',
          },
        },
        403,
      );
    }
    await next();
  });
}
