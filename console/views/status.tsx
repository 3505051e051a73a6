/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Status: per target level, driver, live state and breakers; the emergency stop's state and rearm.
 */
import type { StatusData, TargetStatus } from '../model/view-data.ts';
import { clock, dateTime, pretty } from './format.ts';
import { SeverityIcon } from './icons.tsx';

type Breaker = TargetStatus['breakers'][number];

/**
 * One open breaker: its rule and what it did, what it counted in its window, when it tripped,
 * when what tripped it leaves the window, and Resolve (admins) with a reason.
 */
export function BreakerCard({
  b,
  tz,
  canResolve,
}: {
  b: Breaker;
  tz: string;
  canResolve: boolean;
}) {
  const m = b.metrics;
  return (
    <div class="breaker" data-breaker={b.id} data-rule={b.rule}>
      <span class="badge sev-error">
        <SeverityIcon severity="ERROR" /> {b.rule}
      </span>{' '}
      <span class="breaker-action">{b.action}</span>
      {b.kind ? <span class="breaker-kind"> on {b.kind}</span> : null}
      <span class="breaker-facts">
        Tripped {clock(b.createdAt, tz)}: {m.failures} failed of {m.executions} run
        {m.executions === 1 ? '' : 's'} (error rate {Math.round(m.error_rate * 100)} %), {m.blocked}{' '}
        blocked, {m.rollbacks} rollback{m.rollbacks === 1 ? '' : 's'}.{' '}
        {b.windowClearsAt
          ? `What tripped it leaves the window at ${clock(b.windowClearsAt, tz)}; until then only a resolution stops it tripping again.`
          : ''}
      </span>
      {canResolve ? (
        <button
          type="button"
          class="btn-quiet btn-small"
          data-act="resolve-breaker"
          data-id={b.id}
          data-label={`Breaker ${b.rule} on ${b.target}`}
        >
          Resolve…
        </button>
      ) : null}
    </div>
  );
}

export function StatusBody({
  s,
  canDecide,
  canResolve,
  tz,
}: {
  s: StatusData;
  canDecide: boolean;
  canResolve: boolean;
  tz: string;
}) {
  const lower = (level: string, to: string | undefined) =>
    to !== undefined && s.levels.indexOf(to) >= 0 && s.levels.indexOf(to) < s.levels.indexOf(level);
  return (
    <div id="status-body">
      <section aria-labelledby="st-stop">
        <h2 id="st-stop">Emergency stop</h2>
        {s.estop.engaged ? (
          <>
            <p>
              <strong class="stopped">Engaged</strong> since {dateTime(s.estop.since ?? null, tz)}{' '}
              by {s.estop.by ?? '?'}: {s.estop.reason ?? ''}. Every target is in its safe state;
              nothing executes.
            </p>
            {canDecide ? (
              <button
                type="button"
                class="btn-primary"
                data-act="rearm"
                data-label="Rearm: every target's level is capped at L3 afterwards"
              >
                Rearm…
              </button>
            ) : null}
          </>
        ) : (
          <p>
            Armed (not engaged). <span id="pending-total">{s.pending}</span> action(s) wait for a
            decision.
          </p>
        )}
      </section>
      <section aria-labelledby="st-targets">
        <h2 id="st-targets">Targets</h2>
        <table class="targets">
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Level in force</th>
              <th scope="col">Driver</th>
              <th scope="col">Pending / running</th>
              <th scope="col">Breakers</th>
              <th scope="col">State now</th>
              <th scope="col">Controls</th>
            </tr>
          </thead>
          <tbody>
            {s.targets.map((t) => (
              <tr data-target={t.autonomy.target}>
                <th scope="row">{t.autonomy.target}</th>
                <td>
                  <span class="level">{t.autonomy.level}</span>
                  {t.autonomy.level !== t.autonomy.configured
                    ? ` (set ${t.autonomy.configured}, ceiling ${t.autonomy.ceiling})`
                    : ''}
                </td>
                <td>
                  {t.driver} —{' '}
                  {t.connected ? 'connected' : <strong class="stopped">not connected</strong>}
                </td>
                <td>
                  {t.pending} / {t.executing}
                </td>
                <td>
                  {t.breakers.length === 0
                    ? 'closed'
                    : t.breakers.map((b) => <BreakerCard b={b} tz={tz} canResolve={canResolve} />)}
                </td>
                <td>
                  <pre class="state" data-state-of={t.autonomy.target}>
                    {pretty(t.state)}
                  </pre>
                </td>
                <td class="controls">
                  {canDecide && lower(t.autonomy.level, s.pauseLevel) ? (
                    <button
                      type="button"
                      class="btn-quiet"
                      data-act="set-level"
                      data-target={t.autonomy.target}
                      data-level={s.pauseLevel}
                      data-label={`Pause autonomy on ${t.autonomy.target}: every write waits for a person (${s.pauseLevel})`}
                    >
                      Pause autonomy
                    </button>
                  ) : null}
                  {canDecide && lower(t.autonomy.level, s.safeMode) ? (
                    <button
                      type="button"
                      class="btn-danger"
                      data-act="set-level"
                      data-target={t.autonomy.target}
                      data-level={s.safeMode}
                      data-label={`Enter safe mode on ${t.autonomy.target}: recommendations only (${s.safeMode})`}
                    >
                      Enter safe mode
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {s.notifications.length > 0 ? (
        <section aria-labelledby="st-notify">
          <h2 id="st-notify">Notifications</h2>
          <table class="notifications">
            <thead>
              <tr>
                <th scope="col">Sink</th>
                <th scope="col">Delivered</th>
                <th scope="col">Waiting</th>
                <th scope="col">Given up</th>
                <th scope="col">Last failure</th>
              </tr>
            </thead>
            <tbody>
              {s.notifications.map((n) => (
                <tr data-sink={n.sink}>
                  <th scope="row">{n.sink}</th>
                  <td>{n.delivered}</td>
                  <td>{n.pending}</td>
                  <td>{n.dead > 0 ? <strong class="stopped">{n.dead}</strong> : 0}</td>
                  <td>{n.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}

export function StatusPage(props: {
  s: StatusData;
  canDecide: boolean;
  canResolve: boolean;
  tz: string;
}) {
  return (
    <>
      <div class="page-head">
        <h1>Status</h1>
      </div>
      <StatusBody {...props} />
    </>
  );
}
