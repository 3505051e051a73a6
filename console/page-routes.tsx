/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The console's pages, and the fragments its script swaps in when an event says something changed. */
import { z } from 'zod';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { estopStatus } from '../gateway/lifecycle/estop.ts';
import { waitingCount } from '../gateway/lifecycle/waiting.ts';
import { may } from '../gateway/schema/permissions.ts';
import { card, queue, queueItem, status, timeline } from './data.ts';
import type { ConsoleEnv } from './security.ts';
import { Card } from './views/card.tsx';
import { EstopState, Layout, type Chrome } from './views/layout.tsx';
import { parseRecentFilter } from './model/recent-query.ts';
import { decisionCardsPage } from './data.ts';
import { DecisionCardsPage } from './views/decisions.tsx';
import { QueueLive, QueuePage, QueueRow, type QueueChoices } from './views/queue.tsx';
import { StatusBody, StatusPage } from './views/status.tsx';
import { TimelineBody, TimelinePage } from './views/timeline.tsx';
import { actionId, type ConsoleApp } from './route-helpers.ts';

const Minutes = z.coerce
  .number()
  .int()
  .min(1)
  .max(7 * 1440)
  .catch(30);

/** The page shell's facts: the session, the page, the emergency stop and what waits. */
export const chrome = async (
  deps: Deps,
  session: ConsoleEnv['Variables']['session'],
  page: Chrome['page'],
): Promise<Chrome> => {
  const [estop, waiting] = await Promise.all([estopStatus(deps), waitingCount(deps)]);
  return { session, page, estop, waiting };
};

/** What the filter form suggests: the configured targets and the catalog's kinds. */
const choices = (deps: Deps): QueueChoices => ({
  targets: [...deps.targets.keys()].sort(),
  kinds: Object.keys(deps.policy()?.data.catalog ?? {}).sort(),
});

export function pageRoutes(app: ConsoleApp, deps: Deps): void {
  const tz = deps.config.timezone;
  app.get('/', async (c) => {
    const session = c.get('session');
    const q = await queue(deps, session.principal, parseRecentFilter(c.req.query(), tz));
    const open = c.req.query('open');
    return c.html(
      <Layout title="Queue" chrome={await chrome(deps, session, 'queue')}>
        <QueuePage
          q={q}
          choices={choices(deps)}
          now={deps.now()}
          tz={tz}
          {...(open ? { openId: actionId(open) } : {})}
        />
      </Layout>,
    );
  });
  app.get('/actions/:id', async (c) => {
    const session = c.get('session');
    const d = await card(deps, session.principal, actionId(c.req.param('id')));
    return c.html(
      <Layout title={d.item.label} chrome={await chrome(deps, session, 'card')}>
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
      <Layout title="Status" chrome={await chrome(deps, session, 'status')}>
        <StatusPage
          s={await status(deps)}
          canDecide={may(p.role, 'decide')}
          canResolve={may(p.role, 'administer')}
          tz={tz}
        />
      </Layout>,
    );
  });
  app.get('/decisions', async (c) => {
    const session = c.get('session');
    return c.html(
      <Layout title="Decision cards" chrome={await chrome(deps, session, 'decisions')}>
        <DecisionCardsPage data={await decisionCardsPage(deps, c.req.query())} tz={tz} />
      </Layout>,
    );
  });
  app.get('/timeline', async (c) => {
    const session = c.get('session');
    return c.html(
      <Layout title="Timeline" chrome={await chrome(deps, session, 'timeline')}>
        <TimelinePage t={await timeline(deps, Minutes.parse(c.req.query('minutes')))} tz={tz} />
      </Layout>,
    );
  });
}

export function fragmentRoutes(app: ConsoleApp, deps: Deps): void {
  const tz = deps.config.timezone;
  app.get('/fragments/queue', async (c) => {
    const filter = parseRecentFilter(c.req.query(), tz);
    return c.html(
      <QueueLive
        q={await queue(deps, c.get('session').principal, filter)}
        now={deps.now()}
        tz={tz}
      />,
    );
  });
  app.get('/fragments/row/:id', async (c) =>
    c.html(
      <QueueRow
        item={await queueItem(deps, c.get('session').principal, actionId(c.req.param('id')))}
        now={deps.now()}
        tz={tz}
      />,
    ),
  );
  app.get('/fragments/card/:id', async (c) =>
    c.html(
      <Card
        d={await card(deps, c.get('session').principal, actionId(c.req.param('id')))}
        tz={tz}
      />,
    ),
  );
  // How many actions wait for a person: the script puts it in the page title.
  app.get('/fragments/waiting', async (c) => c.json({ waiting: await waitingCount(deps) }));
  app.get('/fragments/estop-state', async (c) =>
    c.html(<EstopState estop={await estopStatus(deps)} />),
  );
  app.get('/fragments/status', async (c) => {
    const p = c.get('session').principal;
    return c.html(
      <StatusBody
        s={await status(deps)}
        canDecide={may(p.role, 'decide')}
        canResolve={may(p.role, 'administer')}
        tz={tz}
      />,
    );
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
}
