/**
 * The operator console, mounted at /console by the server. Pages are rendered on the server
 * with hono/jsx; a small script (static/console.js) follows the live event stream and
 * re-fetches server-rendered fragments, so there is one renderer and no client framework.
 * Every state change goes through the same lifecycle functions as the HTTP API, as the
 * logged-in operator.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { handleError } from '../gateway/http/errors.ts';
import type { Services } from '../gateway/http/services.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { eventRoutes } from './event-routes.ts';
import { loginRoutes, logoutRoute } from './login-routes.tsx';
import { mutationRoutes } from './mutation-routes.ts';
import { fragmentRoutes, pageRoutes } from './page-routes.tsx';
import { impactRoutes } from './impact-routes.tsx';
import { reportRoutes } from './report-routes.tsx';
import { consoleHeaders, requireCsrf, requireSession, type ConsoleEnv } from './security.ts';

const STATIC: Record<string, { type: string; body: string }> = {
  'console.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(new URL('./static/console.js', import.meta.url), 'utf8'),
  },
  'favicon.svg': {
    type: 'image/svg+xml',
    body: readFileSync(new URL('./static/favicon.svg', import.meta.url), 'utf8'),
  },
  'console.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(new URL('./static/console.css', import.meta.url), 'utf8'),
  },
};

export function consoleApp(s: Services, throttle: LoginThrottle): Hono<ConsoleEnv> {
  const deps = s.deps;
  const app = new Hono<ConsoleEnv>();
  app.use('*', consoleHeaders());
  // Form posts (login, logout) must come from this origin; JSON calls also carry the session's
  // CSRF token.
  app.use('*', csrf());
  app.onError((err, c) =>
    handleError(err, c, (e) => s.log.error({ err: e, path: c.req.path }, 'console error')),
  );
  app.get('/static/:file', (c) => {
    const file = STATIC[c.req.param('file')];
    if (!file) return c.text('not found', 404);
    c.header('Cache-Control', 'no-cache');
    return c.body(file.body, 200, { 'Content-Type': file.type });
  });
  loginRoutes(app, deps, throttle);

  // Everything below needs a session, and a state change its CSRF token.
  app.use('*', requireSession(deps));
  app.use('*', requireCsrf(deps));
  logoutRoute(app, deps);
  pageRoutes(app, deps);
  impactRoutes(app, s);
  reportRoutes(app, deps);
  fragmentRoutes(app, deps);
  eventRoutes(app, deps);
  mutationRoutes(app, s);
  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `no console route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
  return app;
}
