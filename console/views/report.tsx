/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The handoff report page: a window's actions, incidents and their recovery, rollbacks, level
 * changes, breaker trips, emergency stops and who approved what — the same fold as
 * `interlock report`, with the Markdown and JSON one click away.
 */
import type { HandoffReport } from '../../gateway/schema/handoff-report.ts';
import { dateTime } from './format.ts';

export interface ReportPageData {
  from: string;
  to: string;
  /** Absent when the window could not be read: error says why. */
  report?: HandoffReport;
  error?: string;
}

function Section({ title, count, children }: { title: string; count: number; children: unknown }) {
  const id = title.toLowerCase().replace(/[^a-z]+/g, '-');
  return (
    <section aria-labelledby={`report-${id}`} data-section={id}>
      <h2 id={`report-${id}`}>
        {title} ({count})
      </h2>
      {count === 0 ? <p class="muted">None.</p> : children}
    </section>
  );
}

// A page lists at most this many actions or approvals; the downloads have them all.
const ROWS_MAX = 1_000;

function More({ total }: { total: number }) {
  return total > ROWS_MAX ? (
    <p class="muted">
      … and {total - ROWS_MAX} more: the Markdown and JSON downloads list them all.
    </p>
  ) : null;
}

const when = (iso: string | null, tz: string, before = 'before the window'): string =>
  iso === null ? before : dateTime(iso, tz);

export function ReportPage({ d, tz }: { d: ReportPageData; tz: string }) {
  const r = d.report;
  const query = new URLSearchParams({ from: d.from, to: d.to }).toString();
  return (
    <div id="report-page">
      <div class="page-head">
        <h1>Handoff report</h1>
      </div>
      <form method="get" action="/console/report" class="filters" id="report-form">
        <label>
          From <input name="from" value={d.from} placeholder="12h or 2026-12-02T22:00:00Z" />
        </label>
        <label>
          To <input name="to" value={d.to} placeholder="now" />
        </label>
        <button type="submit">Show</button>
      </form>
      {d.error ? (
        <p class="banner banner-error" role="alert" id="report-error">
          {d.error}
        </p>
      ) : null}
      {r ? (
        <>
          <p id="report-window">
            {dateTime(r.window.from, tz)} to {dateTime(r.window.to, tz)}: {r.records} audit records.
            Download as{' '}
            <a href={`/console/report.md?${query}`} download>
              Markdown
            </a>{' '}
            or{' '}
            <a href={`/console/report.json?${query}`} download>
              JSON
            </a>
            .
          </p>
          <Section title="Actions" count={r.actions.length}>
            <p>
              {Object.entries(r.by_status)
                .map(([s, n]) => `${s} ${n}`)
                .join(' · ')}
            </p>
            <table class="report-actions">
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Target</th>
                  <th scope="col">Status at the end</th>
                  <th scope="col">Approved by</th>
                  <th scope="col">Notes</th>
                </tr>
              </thead>
              <tbody>
                {r.actions.slice(0, ROWS_MAX).map((a) => (
                  <tr data-action={a.id}>
                    <td>
                      <a href={`/console/actions/${encodeURIComponent(a.id)}`}>{a.id}</a>
                    </td>
                    <td>{a.kind ?? '?'}</td>
                    <td>{a.target ?? '?'}</td>
                    <td>{a.status ?? '?'}</td>
                    <td>{a.approved_by.join(', ')}</td>
                    <td>
                      {[
                        a.proposed_in_window ? '' : 'proposed earlier',
                        a.rollback_of ? `rolls back ${a.rollback_of}` : '',
                        a.unattended ? 'unattended' : '',
                      ]
                        .filter(Boolean)
                        .join('; ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <More total={r.actions.length} />
          </Section>
          <Section title="Incidents" count={r.incidents.length}>
            <ul>
              {r.incidents.map((i) => (
                <li data-incident={i.kind} data-recovered={i.recovered_at ? 'true' : 'false'}>
                  {when(i.at, tz)}: {i.summary}
                  {i.target ? ` on ${i.target}` : ''}
                  {i.unattended ? ' (unattended)' : ''} —{' '}
                  {i.recovered_at ? (
                    `recovered ${dateTime(i.recovered_at, tz)} by ${i.recovered_by ?? '?'}`
                  ) : (
                    <strong>not recovered in the window</strong>
                  )}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Rollbacks" count={r.rollbacks.length}>
            <ul>
              {r.rollbacks.map((b) => (
                <li>
                  {b.action_id} rolls back {b.of_action ?? '?'} on {b.target ?? '?'}:{' '}
                  {b.status ?? '?'}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Level changes" count={r.level_changes.length}>
            <ul>
              {r.level_changes.map((l) => (
                <li>
                  {dateTime(l.at, tz)} {l.target}: {l.from} → {l.to} by {l.by}
                  {l.reason ? ` (${l.reason})` : ''}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Breaker trips" count={r.breaker_trips.length}>
            <ul>
              {r.breaker_trips.map((b) => (
                <li>
                  {dateTime(b.at, tz)} {b.rule} on {b.target} ({b.severity}),{' '}
                  {b.resolved_at ? `resolved ${dateTime(b.resolved_at, tz)}` : 'still open'}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Emergency stops" count={r.emergency_stops.length}>
            <ul>
              {r.emergency_stops.map((s) => (
                <li>
                  {when(s.at, tz)} by {s.by}: {s.reason},{' '}
                  {s.rearmed_at
                    ? `rearmed ${dateTime(s.rearmed_at, tz)} by ${s.rearmed_by ?? '?'}`
                    : 'not rearmed in the window'}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Approvals and refusals" count={r.approvals.length}>
            <ul>
              {r.approvals.slice(0, ROWS_MAX).map((a) => (
                <li>
                  {dateTime(a.at, tz)} {a.by} {a.verdict} {a.action_id}
                </li>
              ))}
            </ul>
            <More total={r.approvals.length} />
          </Section>
        </>
      ) : null}
    </div>
  );
}
