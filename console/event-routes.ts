/** The live event stream the console's script follows; it ends with the session or the token. */
import { getCookie } from 'hono/cookie';
import { resume, SESSION_COOKIE } from '../gateway/auth/sessions.ts';
import { eventStream } from '../gateway/http/event-stream.ts';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { tokenEnded } from '../gateway/lifecycle/tokens.ts';
import type { ConsoleApp } from './route-helpers.ts';

export function eventRoutes(app: ConsoleApp, deps: Deps): void {
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
}
