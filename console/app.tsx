/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The operator console, mounted at /console by the server. Pages are rendered on the server
 * with hono/jsx; a small script (static/console.js) follows the live event stream and
 * re-fetches server-rendered fragments, so there is one renderer and no client framework.
 * Every state change goes through the same lifecycle functions as the HTTP API, as the
 * logged-in operator.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { z } from 'zod';
import type { Principal } from '../gateway/schema/principal.ts';
import { tokenEnded } from '../gateway/lifecycle/tokens.ts';
import { handleError } from '../gateway/http/errors.ts';
import { eventStream } from '../gateway/http/event-stream.ts';
import { abortExecuting } from '../gateway/executor/abort.ts';
import { optionalBody } from '../gateway/http/body.ts';
import type { Services } from '../gateway/http/services.ts';
import { setAutonomy } from '../gateway/lifecycle/autonomy.ts';
import { approveBatch } from '../gateway/lifecycle/batches.ts';
import { engage, estopStatus, rearm } from '../gateway/lifecycle/estop.ts';
import { loadAction } from '../gateway/lifecycle/propose.ts';
import { approve, end } from '../gateway/lifecycle/verdicts.ts';
import { InterlockError } from '../gateway/schema/errors.ts';
import { acknowledge } from '../gateway/lifecycle/acknowledge.ts';
import { card, queue, queueItem, status, timeline } from './data.ts';
import {
  clearSessionCookie,
  consoleHeaders,
  requireCsrf,
  requireSession,
  setSessionCookie,
  type ConsoleEnv,
} from './security.ts';
import { login, logout, resume, SESSION_COOKIE } from '../gateway/auth/sessions.ts';
import { Card } from './views/card.tsx';
import { Layout, EstopState, type Chrome } from './views/layout.tsx';
import { LoginPage } from './views/login.tsx';
import { QueuePage, QueueRow, QueueRows } from './views/queue.tsx';
import { StatusBody, StatusPage } from './views/status.tsx';
import { TimelineBody, TimelinePage } from './views/timeline.tsx';
import { clientKey, tokenPrefix, type LoginThrottle } from './login-throttle.ts';
import { MAY, may } from '../gateway/schema/permissions.ts';
import {
  ApproveBodySchema,
  OptionalReasonBodySchema,
  ReasonBodySchema,
  SetAutonomyBodySchema,
} from '../gateway/schema/bodies.ts';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

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

const STATIC: Record<string, { type: string; body: string }> = {
  'console.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(new URL('./static/console.js', import.meta.url), 'utf8'),
  },
  'console.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(new URL('./static/console.css', import.meta.url), 'utf8'),
  },
};

// The same body schemas as /v1 (gateway/schema/bodies.ts).
const Reason = ReasonBodySchema;
const OptionalReason = OptionalReasonBodySchema;
const ApproveBody = ApproveBodySchema;
const LevelBody = SetAutonomyBodySchema;
const Id = z.string().min(1).max(100);
const Minutes = z.coerce
  .number()
  .int()
  .min(1)
  .max(7 * 1440)
  .catch(30);

/** Only paths inside the console are valid after login: no open redirect. */
function safeNext(next: unknown): string {
  return typeof next === 'string' &&
    /^\/console(\/[A-Za-z0-9/_?=&%.-]*)?$/.test(next) &&
    !next.startsWith('//')
    ? next
    : '/console';
}

export function consoleApp(s: Services, throttle: LoginThrottle): Hono<ConsoleEnv> {
  const deps = s.deps;
  const tz = deps.config.timezone;
  const app = new Hono<ConsoleEnv>();
  const decider = (p: Principal): void => {
    if (!may(p.role, 'decide'))
      throw new InterlockError(
        'forbidden',
        `this needs role ${MAY.decide.join(' or ')}; ${p.id} is ${p.role}`,
      );
  };
  const chrome = async (
    session: ConsoleEnv['Variables']['session'],
    page: Chrome['page'],
  ): Promise<Chrome> => ({ session, page, estop: await estopStatus(deps) });
  const id = (raw: string): string => {
    const r = Id.safeParse(raw);
    if (!r.success)
      throw new InterlockError('validation_failed', 'the action id must be 1–100 characters', {
        field: 'id',
      });
    return r.data;
  };

  app.use('*', consoleHeaders());
  // Form posts (login, logout) must come from this origin; JSON calls also carry the session's CSRF
  // token.
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

  app.use('*', requireSession(deps));
  app.use('*', requireCsrf(deps));

  app.post('/logout', async (c) => {
    await logout(deps.db, c.get('cookie'), c.get('session').principal.id, deps.now());
    clearSessionCookie(c);
    return c.redirect('/console/login', 303);
  });

  // --- pages ---------------------------------------------------------------
  app.get('/', async (c) => {
    const session = c.get('session');
    const items = await queue(deps, session.principal);
    const open = c.req.query('open');
    return c.html(
      <Layout title="Queue" chrome={await chrome(session, 'queue')}>
        <QueuePage items={items} now={deps.now()} tz={tz} {...(open ? { openId: id(open) } : {})} />
      </Layout>,
    );
  });
  app.get('/actions/:id', async (c) => {
    const session = c.get('session');
    const d = await card(deps, session.principal, id(c.req.param('id')));
    return c.html(
      <Layout title={d.item.label} chrome={await chrome(session, 'card')}>
        <div id="card-page">
          <Card d={d} tz={tz} />
        </div>
      </Layout>,
    );
  });
  app.get('/status', async (c) => {
    const session = c.get('session');
    const p = session.principal;
    return c.html(
      <Layout title="Status" chrome={await chrome(session, 'status')}>
        <StatusPage s={await status(deps)} canDecide={may(p.role, 'decide')} tz={tz} />
      </Layout>,
    );
  });
  app.get('/timeline', async (c) => {
    const session = c.get('session');
    return c.html(
      <Layout title="Timeline" chrome={await chrome(session, 'timeline')}>
        <TimelinePage t={await timeline(deps, Minutes.parse(c.req.query('minutes')))} tz={tz} />
      </Layout>,
    );
  });

  // --- fragments the client script swaps in --------------------------------
  app.get('/fragments/queue', async (c) =>
    c.html(
      <QueueRows items={await queue(deps, c.get('session').principal)} now={deps.now()} tz={tz} />,
    ),
  );
  app.get('/fragments/row/:id', async (c) =>
    c.html(
      <QueueRow
        item={await queueItem(deps, c.get('session').principal, id(c.req.param('id')))}
        now={deps.now()}
        tz={tz}
      />,
    ),
  );
  app.get('/fragments/card/:id', async (c) =>
    c.html(
      <Card d={await card(deps, c.get('session').principal, id(c.req.param('id')))} tz={tz} />,
    ),
  );
  app.get('/fragments/estop-state', async (c) =>
    c.html(<EstopState estop={await estopStatus(deps)} />),
  );
  app.get('/fragments/status', async (c) => {
    const p = c.get('session').principal;
    return c.html(<StatusBody s={await status(deps)} canDecide={may(p.role, 'decide')} tz={tz} />);
  });
  app.get('/fragments/timeline', async (c) =>
    c.html(
      <TimelineBody t={await timeline(deps, Minutes.parse(c.req.query('minutes')))} tz={tz} />,
    ),
  );
  app.get('/fragments/estop-radius', async (c) => {
    const st = await status(deps);
    return c.html(
      <div id="estop-radius">
        <p>
          <strong>Blast radius: all {st.targets.length} target(s).</strong> Each is driven to its
          safe state; {st.pending} pending action(s) are cancelled and{' '}
          {st.targets.reduce((n, t) => n + t.executing, 0)} running action(s) aborted.
        </p>
        <ul>
          {st.targets.map((t) => (
            <li>
              {t.autonomy.target} ({t.driver}, level {t.autonomy.level}): {t.pending} pending,{' '}
              {t.executing} running
            </li>
          ))}
        </ul>
        <p>
          Afterwards nothing runs until someone rearms with a reason; rearming caps every level at
          L3.
        </p>
      </div>,
    );
  });

  // --- live events -----------------------------------------------------------
  app.get('/events', (c) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    return eventStream(c, deps.events, {
      now: deps.now,
      encode: (e) => ({
        event: 'change',
        data: JSON.stringify({
          type: e.type,
          actionId: e.actionId ?? null,
          target: e.target ?? null,
          status: e.status ?? null,
        }),
      }),
      // An expired or ended session stops receiving: the client reloads into the login page.
      stillValid: async () =>
        (await resume(deps.db, deps.config.console, cookie, deps.now())) !== undefined,
      endsOn: tokenEnded(c.get('session').principal.id),
    });
  });

  // --- state changes, as the logged-in person ----------------------------------
  app.post('/api/actions/:id/approve', async (c) => {
    const p = c.get('session').principal;
    decider(p);
    const actionId = id(c.req.param('id'));
    const verdict = await approve(deps, p, actionId, await optionalBody(c.req, ApproveBody));
    return c.json({ ...verdict, action: (await loadAction(deps, actionId)).action });
  });
  for (const how of ['reject', 'veto'] as const) {
    app.post(`/api/actions/:id/${how}`, async (c) => {
      const p = c.get('session').principal;
      decider(p);
      const actionId = id(c.req.param('id'));
      const verdict = await end(deps, p, actionId, how, await optionalBody(c.req, Reason));
      return c.json({ ...verdict, action: (await loadAction(deps, actionId)).action });
    });
  }
  app.post('/api/actions/:id/cancel', async (c) => {
    const p = c.get('session').principal;
    const actionId = id(c.req.param('id'));
    const verdict = await end(
      deps,
      p,
      actionId,
      'cancel',
      await optionalBody(c.req, OptionalReason),
    );
    return c.json({ ...verdict, action: (await loadAction(deps, actionId)).action });
  });
  app.post('/api/actions/:id/abort', async (c) => {
    const p = c.get('session').principal;
    decider(p);
    const actionId = id(c.req.param('id'));
    await optionalBody(c.req, OptionalReason);
    return c.json(await abortExecuting(deps, s.executor, actionId), 202);
  });
  app.post('/api/actions/:id/acknowledge', async (c) => {
    const p = c.get('session').principal;
    decider(p);
    const body = await optionalBody(c.req, OptionalReason);
    return c.json(await acknowledge(deps, p, id(c.req.param('id')), body.reason));
  });
  app.post('/api/batches/:id/approve', async (c) => {
    const p = c.get('session').principal;
    decider(p);
    const body = await optionalBody(c.req, OptionalReason);
    return c.json(await approveBatch(deps, p, id(c.req.param('id')), body.reason));
  });
  app.post('/api/estop', async (c) => {
    const started = performance.now();
    const p = c.get('session').principal;
    decider(p);
    const body = await optionalBody(c.req, Reason);
    return c.json(await engage(deps, s.executor, p, body.reason, started));
  });
  app.post('/api/estop/rearm', async (c) => {
    const p = c.get('session').principal;
    decider(p);
    return c.json(await rearm(deps, p, (await optionalBody(c.req, Reason)).reason));
  });
  app.post('/api/autonomy/:target', async (c) => {
    const p = c.get('session').principal;
    decider(p);
    const body = await optionalBody(c.req, LevelBody);
    return c.json(await setAutonomy(deps, p, c.req.param('target'), body.level, body.reason));
  });

  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `no console route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  );
  return app;
}
