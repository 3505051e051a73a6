/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The page shell: header with navigation, the always-visible emergency stop, and the shared
 * dialogs.
 */
import type { Child } from 'hono/jsx';
import { may } from '../../gateway/schema/permissions.ts';
import type { Session } from '../model/view-data.ts';

export interface Chrome {
  session: Session;
  estop: { engaged: boolean; reason: string | null; by: string | null };
  page: 'queue' | 'status' | 'timeline' | 'decisions' | 'card' | 'impact' | 'report';
  /** Actions waiting for a person, shown in the title: "(3) Queue · Interlock". */
  waiting: number;
}

/** The document title; the script keeps its count current. */
export function pageTitle(title: string, waiting: number): string {
  return `${waiting > 0 ? `(${waiting}) ` : ''}${title} · Interlock`;
}

/** The keyboard, as the `?` dialog lists it; console.js implements each. */
const KEYS: [string, string][] = [
  ['j / k', 'select the next / previous action'],
  ['o', 'open the selected action’s card'],
  ['a', 'approve the action shown (the open card, else the selected row)'],
  ['r', 'reject it, or veto it in its veto window'],
  ['!', 'open the most urgent item'],
  ['Esc', 'close the card or a dialog'],
  ['Shift+S', 'emergency stop (asks first)'],
  ['Ctrl+Enter', 'submit a reason (Cmd+Enter on a Mac)'],
  ['?', 'this list'],
];

const NAV: { page: Chrome['page']; href: string; label: string; admins?: true }[] = [
  { page: 'queue', href: '/console', label: 'Queue' },
  { page: 'status', href: '/console/status', label: 'Status' },
  { page: 'timeline', href: '/console/timeline', label: 'Timeline' },
  { page: 'decisions', href: '/console/decisions', label: 'Decisions' },
  { page: 'report', href: '/console/report', label: 'Handoff' },
  { page: 'impact', href: '/console/policy-impact', label: 'Policy impact', admins: true },
];

export function EstopState({ estop }: { estop: Chrome['estop'] }) {
  return estop.engaged ? (
    <p id="estop-state" class="estop-banner" role="alert">
      <strong>Emergency stop engaged</strong> by {estop.by ?? 'unknown'}:{' '}
      {estop.reason ?? 'no reason given'}. Nothing runs. Rearm on the{' '}
      <a href="/console/status">Status</a> page.
    </p>
  ) : (
    <p id="estop-state" class="estop-ok">
      Running. Emergency stop is armed.
    </p>
  );
}

export function Layout({
  title,
  chrome,
  children,
}: {
  title: string;
  chrome: Chrome;
  children: Child;
}) {
  const decides = may(chrome.session.principal.role, 'decide');
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content={chrome.session.csrf} />
        <meta name="actor" content={chrome.session.principal.id} />
        <meta name="page" content={chrome.page} />
        <title data-base={title}>{pageTitle(title, chrome.waiting)}</title>
        <link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/console/static/console.css" />
        <script type="module" src="/console/static/console.js"></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <span class="brand">Interlock</span>
          <nav aria-label="Console">
            <ul>
              {NAV.filter((n) => !n.admins || may(chrome.session.principal.role, 'administer')).map(
                (n) => (
                  <li>
                    <a href={n.href} aria-current={n.page === chrome.page ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ),
              )}
            </ul>
          </nav>
          <span class="who">
            {chrome.session.principal.id}{' '}
            <span class="role">({chrome.session.principal.role})</span>
          </span>
          <form method="post" action="/console/logout" class="inline">
            <input type="hidden" name="_csrf" value={chrome.session.csrf} />
            <button type="submit" class="btn-quiet">
              Log out
            </button>
          </form>
          {decides ? (
            <button
              type="button"
              id="estop-open"
              class="btn-estop"
              aria-haspopup="dialog"
              aria-keyshortcuts="Shift+S"
            >
              Emergency stop
            </button>
          ) : null}
        </header>
        <EstopState estop={chrome.estop} />
        <p id="connection-lost" class="connection-lost" role="alert" hidden>
          Connection lost — what you see may be stale. Reconnecting…
        </p>
        <div id="banner" role="status" aria-live="polite"></div>
        <main id="main">{children}</main>
        <dialog id="estop-dialog" aria-labelledby="estop-title">
          <form method="dialog" id="estop-form">
            <h2 id="estop-title">Stop everything now?</h2>
            <div id="estop-radius">Loading the blast radius…</div>
            <label for="estop-reason">Reason (recorded in the audit log)</label>
            <input
              id="estop-reason"
              name="reason"
              required
              maxlength={1000}
              value="Emergency stop from the console"
            />
            <div class="buttons">
              <button type="submit" id="estop-confirm" class="btn-estop" value="confirm">
                Stop all targets
              </button>
              <button type="button" class="btn-quiet" data-close="estop-dialog">
                Keep running
              </button>
            </div>
          </form>
        </dialog>
        <dialog id="reason-dialog" aria-labelledby="reason-title">
          <form method="dialog" id="reason-form">
            <h2 id="reason-title">Give a reason</h2>
            <p id="reason-what"></p>
            <label for="reason-text">Reason (required, recorded in the audit log)</label>
            <textarea id="reason-text" name="reason" rows={3} maxlength={1000}></textarea>
            <p id="reason-error" class="field-error" role="alert"></p>
            <div class="buttons">
              <button type="submit" id="reason-submit" class="btn-danger" value="confirm">
                Confirm
              </button>
              <button type="button" class="btn-quiet" data-close="reason-dialog">
                Cancel
              </button>
            </div>
          </form>
        </dialog>
        <dialog id="keys-dialog" aria-labelledby="keys-title">
          <form method="dialog">
            <h2 id="keys-title">Keys</h2>
            <dl class="keys">
              {KEYS.map(([key, what]) => (
                <>
                  <dt>
                    <kbd>{key}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </>
              ))}
            </dl>
            <div class="buttons">
              <button type="submit" class="btn-quiet">
                Close
              </button>
            </div>
          </form>
        </dialog>
        <dialog id="batch-dialog" aria-labelledby="batch-title">
          <form method="dialog" id="batch-form">
            <h2 id="batch-title">Approve every member of this batch?</h2>
            <div id="batch-members"></div>
            <div class="buttons">
              <button type="submit" id="batch-confirm" class="btn-primary" value="confirm">
                Approve all
              </button>
              <button type="button" class="btn-quiet" data-close="batch-dialog">
                Cancel
              </button>
            </div>
          </form>
        </dialog>
      </body>
    </html>
  );
}
