/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The handoff report (every console role): a window of the audit log folded as `interlock
 * report` folds it, as a page, as Markdown and as JSON.
 */
import type { Context } from 'hono';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { handoffMarkdown } from '../gateway/report/markdown.ts';
import { handoffReport } from '../gateway/report/read.ts';
import { reportWindow } from '../gateway/report/window.ts';
import { ValidationError } from '../gateway/schema/errors.ts';
import { chrome } from './page-routes.tsx';
import type { ConsoleApp } from './route-helpers.ts';
import type { ConsoleEnv } from './security.ts';
import { Layout } from './views/layout.tsx';
import { ReportPage } from './views/report.tsx';

// The morning handoff's usual window.
const DEFAULT_FROM = '12h';
const MAX_WINDOW_MS = 31 * 86_400_000;

/** The query's window, or the ValidationError (400, naming from or to) that says what is wrong. */
function windowOf(c: Context<ConsoleEnv>, now: number) {
  const text = (name: string) => {
    const v = c.req.query(name);
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const window = reportWindow(
    { field: 'from', value: text('from') ?? DEFAULT_FROM },
    { field: 'to', value: text('to') },
    now,
  );
  // Folding a report is work on the gateway's own thread: a page asks for at most a month.
  if (window.to - window.from > MAX_WINDOW_MS) {
    const message = 'from: the console shows at most 31 days; use interlock report for more';
    throw new ValidationError(message, [{ field: 'from', message }]);
  }
  return window;
}

export function reportRoutes(app: ConsoleApp, deps: Deps): void {
  app.get('/report', async (c) => {
    const session = c.get('session');
    const from = c.req.query('from') ?? DEFAULT_FROM;
    const to = c.req.query('to') ?? '';
    let data: Parameters<typeof ReportPage>[0]['d'];
    let status: 200 | 400 = 200;
    try {
      data = { from, to, report: await handoffReport(deps.db, windowOf(c, deps.now())) };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      data = { from, to, error: err.message };
      status = 400;
    }
    return c.html(
      <Layout title="Handoff report" chrome={await chrome(deps, session, 'report')}>
        <ReportPage d={data} tz={deps.config.timezone} />
      </Layout>,
      status,
    );
  });

  // The downloads answer 400 naming the field, like the page.
  app.get('/report.md', async (c) => {
    const report = await handoffReport(deps.db, windowOf(c, deps.now()));
    c.header('Content-Disposition', 'attachment; filename="handoff-report.md"');
    return c.body(handoffMarkdown(report), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
  });

  app.get('/report.json', async (c) => {
    const report = await handoffReport(deps.db, windowOf(c, deps.now()));
    c.header('Content-Disposition', 'attachment; filename="handoff-report.json"');
    return c.json(report);
  });
}
