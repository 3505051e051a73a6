/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** Logging in (a token for a session cookie, throttled per client) and logging out. */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { login, logout } from '../gateway/auth/sessions.ts';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { clientKey, tokenPrefix, type LoginThrottle } from './login-throttle.ts';
import { clearSessionCookie, setSessionCookie } from './security.ts';
import { LoginPage } from './views/login.tsx';
import type { ConsoleApp } from './route-helpers.ts';

/**
 * The client a login attempt came from: the socket's peer address. Proxy headers are not
 * trusted for this: anyone could send a new X-Forwarded-For with each guess.
 */
function clientAddress(c: Context): string {
  try {
    return clientKey(getConnInfo(c).remote.address ?? 'unknown');
  } catch {
    // Not served by the Node adapter (app.request() in tests): one bucket for all.
    return 'unknown';
  }
}

/** Only paths inside the console are valid after login: no open redirect. */
function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    /^\/console(\/[A-Za-z0-9/_?=&%.-]*)?$/.test(next) &&
    !next.startsWith('//')
    ? next
    : '/console';
}

/** The login form and its post: open before a session exists. */
export function loginRoutes(app: ConsoleApp, deps: Deps, throttle: LoginThrottle): void {
  app.get('/login', (c) => c.html(<LoginPage next={safeNext(c.req.query('next'))} />));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const next = safeNext(form.next);
    if (!token) return c.html(<LoginPage next={next} error="Enter a token." />, 400);
    const now = deps.now();
    const client = clientAddress(c);
    const prefix = tokenPrefix(token);
    // A throttled client still logs in with a valid token (operators behind one proxy address
    // must not be locked out of the stop by someone guessing); only its failures get 429.
    const wait = throttle.retryAfter(client, prefix, now);
    const result = await login(deps.db, deps.config.console, token, now);
    if (!result.ok && wait !== undefined) {
      throttle.refused(client, prefix, 'throttled', now);
      c.header('Retry-After', String(wait));
      return c.html(
        <LoginPage next={next} error={`Too many failed logins: try again in ${wait} s.`} />,
        429,
      );
    }
    if (!result.ok) {
      throttle.refused(client, prefix, result.reason, now, result.name);
      const error =
        result.reason === 'role_not_allowed'
          ? `A token with role ${result.role ?? '?'} cannot use the console: log in with an operator, admin or auditor token.`
          : 'That token is unknown or revoked.';
      return c.html(
        <LoginPage next={next} error={error} />,
        result.reason === 'role_not_allowed' ? 403 : 401,
      );
    }
    setSessionCookie(c, deps.config.console, result.cookie, result.session.expiresAt);
    return c.redirect(next, 303);
  });
}

/** Ending the session: after the session check, like every other route. */
export function logoutRoute(app: ConsoleApp, deps: Deps): void {
  app.post('/logout', async (c) => {
    await logout(deps.db, c.get('cookie'), c.get('session').principal.id, deps.now());
    clearSessionCookie(c);
    return c.redirect('/console/login', 303);
  });
}
