/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The queue, in three parts: "Needs you" (pending approvals and vetoes, soonest deadline
 * first), unresolved incidents with repeats folded into one row, and "Recent": the whole
 * history, filtered, searched and paged.
 */
import { FILTER_STATUSES, SEVERITIES } from '../model/recent-query.ts';
import { deadlineOf } from '../model/triage.ts';
import type { IncidentGroup, QueueData, QueueItem } from '../model/view-data.ts';
import { ConfidenceBadge, SeverityBadge, StatusChip } from './badges.tsx';
import { clock, duration, statusLabel } from './format.ts';

export function Controls({ item }: { item: QueueItem }) {
  const a = item.action;
  return (
    <span class="controls">
      {item.can.approve ? (
        <button
          type="button"
          class="btn-primary"
          data-act="approve"
          data-id={a.id}
          data-digest={a.digest}
          data-label={item.label}
          data-target={a.target}
          aria-keyshortcuts="a"
        >
          Approve
        </button>
      ) : null}
      {item.can.reject ? (
        <button
          type="button"
          class="btn-danger"
          data-act="reject"
          data-id={a.id}
          data-label={item.label}
          data-target={a.target}
          aria-keyshortcuts="r"
        >
          Reject
        </button>
      ) : null}
      {item.can.veto ? (
        <button
          type="button"
          class="btn-danger"
          data-act="veto"
          data-id={a.id}
          data-label={item.label}
          data-target={a.target}
        >
          Veto
        </button>
      ) : null}
      {item.can.acknowledge ? (
        <button
          type="button"
          class="btn-quiet"
          data-act="acknowledge"
          data-id={a.id}
          data-label={item.label}
        >
          Acknowledge
        </button>
      ) : null}
      <a
        class="btn-quiet"
        href={`/console/actions/${a.id}`}
        data-act="open"
        data-id={a.id}
        aria-keyshortcuts="o"
      >
        Open
      </a>
    </span>
  );
}

const isPending = (item: QueueItem): boolean =>
  item.action.status === 'PENDING_APPROVAL' || item.action.status === 'PENDING_VETO';

/** "4m 10s left" to the approval expiry or the end of the veto window; ticks in the page. */
function Deadline({ item, now }: { item: QueueItem; now: number }) {
  const at = deadlineOf(item);
  if (at === undefined) return null;
  const what = item.action.status === 'PENDING_VETO' ? 'runs in' : 'expires in';
  return (
    <span class="deadline" data-deadline={new Date(at).toISOString()} data-what={what}>
      {what} {duration(at - now)}
    </span>
  );
}

export function QueueRow({ item, now, tz }: { item: QueueItem; now: number; tz: string }) {
  const a = item.action;
  const pending = isPending(item);
  const waitedUntil = pending ? now : Date.parse(a.approvedAt ?? a.finishedAt ?? a.updatedAt);
  return (
    <tr
      id={`row-${a.id}`}
      class={`row sev-${item.severity.toLowerCase()}${item.unresolved ? ' unresolved' : ''}${item.ownProposal ? ' own' : ''}`}
      data-id={a.id}
      data-status={a.status}
      data-severity={item.severity}
      data-unresolved={item.unresolved ? 'true' : 'false'}
      tabindex={-1}
    >
      <td>
        <time datetime={a.createdAt}>{clock(a.createdAt, tz)}</time>
      </td>
      <td class="what">
        <span class="label">{item.label}</span>
        <span class="headline" title={item.headline}>
          {item.line}
        </span>
        {item.reason ? (
          <span class="reason" title={a.statusReason ?? undefined}>
            {item.reason}
          </span>
        ) : null}
        {item.ownProposal ? (
          <span class="own-note">Your proposal: another operator must decide it.</span>
        ) : null}
      </td>
      <td>
        <ConfidenceBadge pill={item.confidence} />
      </td>
      <td>
        <SeverityBadge severity={item.severity} />
      </td>
      <td>
        <StatusChip status={a.status} recommendation={item.recommendation} />
      </td>
      <td class="waiting">
        <span data-since={pending ? a.createdAt : undefined}>
          {duration(waitedUntil - Date.parse(a.createdAt))}
        </span>
        {pending ? <Deadline item={item} now={now} /> : null}
      </td>
      <td class="approvals" data-count={String(a.approvals.granted.length)}>
        <span class="count">{a.approvals.granted.length}</span> /{' '}
        {Math.max(a.approvals.required, 0)}
      </td>
      <td>
        <Controls item={item} />
      </td>
    </tr>
  );
}

/** One row for an incident and its repeats: count, first and last time, bulk acknowledge. */
export function GroupRow({
  group,
  tz,
  index,
}: {
  group: IncidentGroup;
  tz: string;
  index: number;
}) {
  const newest = group.items[0]!;
  const ids = group.items.map((i) => i.action.id);
  const n = group.items.length;
  return (
    <tr
      id={`group-${index}`}
      class={`row group sev-${newest.severity.toLowerCase()} unresolved`}
      data-id={newest.action.id}
      data-group={group.key}
      data-count={String(n)}
      data-severity={newest.severity}
      data-unresolved="true"
      tabindex={-1}
    >
      <td>
        <time datetime={new Date(group.last).toISOString()}>{clock(group.last, tz)}</time>
      </td>
      <td class="what">
        <span class="label">{newest.label}</span>
        <span class="headline" title={newest.headline}>
          {newest.line}
        </span>
        {group.reason ? <span class="reason">{group.reason}</span> : null}
      </td>
      <td class="repeats">
        <strong class="times">×{n}</strong>
        <span class="span">
          {n > 1 ? `${clock(group.first, tz)} – ${clock(group.last, tz)}` : 'once'}
        </span>
      </td>
      <td>
        <SeverityBadge severity={newest.severity} />
      </td>
      <td>
        <StatusChip status={newest.action.status} />
      </td>
      <td class="controls-cell" colspan={3}>
        <span class="controls">
          {newest.can.acknowledge ? (
            <button
              type="button"
              class="btn-quiet"
              data-act="acknowledge-group"
              data-id={newest.action.id}
              data-ids={ids.join(' ')}
              data-label={n > 1 ? `${n} × ${newest.label}` : newest.label}
            >
              {n > 1 ? `Acknowledge all ${n}` : 'Acknowledge'}
            </button>
          ) : null}
          <a
            class="btn-quiet"
            href={`/console/actions/${newest.action.id}`}
            data-act="open"
            data-id={newest.action.id}
          >
            Open {n > 1 ? 'newest' : ''}
          </a>
        </span>
      </td>
    </tr>
  );
}

const HEAD = (
  <thead>
    <tr>
      <th scope="col">Time</th>
      <th scope="col">Action</th>
      <th scope="col">Confidence</th>
      <th scope="col">Severity</th>
      <th scope="col">Status</th>
      <th scope="col">Waiting</th>
      <th scope="col">Approvals</th>
      <th scope="col">Controls</th>
    </tr>
  </thead>
);

const GROUP_HEAD = (
  <thead>
    <tr>
      <th scope="col">Last</th>
      <th scope="col">Incident</th>
      <th scope="col">Repeats</th>
      <th scope="col">Severity</th>
      <th scope="col">Status</th>
      <th scope="col" colspan={3}>
        Controls
      </th>
    </tr>
  </thead>
);

function NeedsYou({ q, now, tz }: { q: QueueData; now: number; tz: string }) {
  return (
    <section id="needs-you" class="queue-part" aria-labelledby="needs-you-title">
      <h2 id="needs-you-title">
        Needs you{' '}
        <span class="part-count" id="pending-count">
          {q.needsYou.length}
        </span>
      </h2>
      {q.needsYou.length === 0 ? (
        <p class="empty">Nothing waits for a decision.</p>
      ) : (
        <table class="queue" aria-labelledby="needs-you-title">
          {HEAD}
          <tbody>
            {q.needsYou.map((item) => (
              <QueueRow item={item} now={now} tz={tz} />
            ))}
          </tbody>
        </table>
      )}
      {q.truncated.pending ? (
        <p class="notice">More actions wait than this page lists: the oldest are not shown.</p>
      ) : null}
    </section>
  );
}

function Incidents({ q, tz }: { q: QueueData; tz: string }) {
  const total = q.incidents.reduce((n, g) => n + g.items.length, 0);
  return (
    <section id="incidents" class="queue-part" aria-labelledby="incidents-title">
      <h2 id="incidents-title">
        Incidents <span class="part-count">{total}</span>
      </h2>
      {q.incidents.length === 0 ? (
        <p class="empty">No unresolved incidents.</p>
      ) : (
        <table class="queue" aria-labelledby="incidents-title">
          {GROUP_HEAD}
          <tbody>
            {q.incidents.map((group, i) => (
              <GroupRow group={group} tz={tz} index={i} />
            ))}
          </tbody>
        </table>
      )}
      {q.truncated.incidents ? (
        <p class="notice">
          Only the newest incidents are grouped here; acknowledge these to see older ones.
        </p>
      ) : null}
    </section>
  );
}

/** The filter form stays outside the live part, so a refresh never clobbers what is typed. */
function RecentFilters({ q, choices }: { q: QueueData; choices: QueueChoices }) {
  const v = q.filter.values;
  const select = (name: 'status' | 'severity', options: readonly string[], label: string) => (
    <label>
      {label}
      <select name={name}>
        <option value="">any</option>
        {options.map((o) => (
          <option value={o} selected={v[name] === o}>
            {name === 'status' ? statusLabel(o) : o}
          </option>
        ))}
      </select>
    </label>
  );
  const text = (name: 'target' | 'kind' | 'proposer', label: string, list?: string) => (
    <label>
      {label}
      <input type="text" name={name} value={v[name] ?? ''} list={list} autocomplete="off" />
    </label>
  );
  return (
    <form id="recent-filter" class="filters" method="get" action="/console" role="search">
      <label class="search">
        Search
        <input
          type="search"
          name="q"
          value={v.q ?? ''}
          placeholder="id, kind, target, params, reason"
        />
      </label>
      {text('target', 'Target', 'target-choices')}
      {text('kind', 'Kind', 'kind-choices')}
      {text('proposer', 'Proposer')}
      {select('status', FILTER_STATUSES, 'Status')}
      {select('severity', SEVERITIES, 'Severity')}
      <label>
        From
        <input type="datetime-local" name="from" value={v.from ?? ''} />
      </label>
      <label>
        To
        <input type="datetime-local" name="to" value={v.to ?? ''} />
      </label>
      <datalist id="target-choices">
        {choices.targets.map((t) => (
          <option value={t} />
        ))}
      </datalist>
      <datalist id="kind-choices">
        {choices.kinds.map((k) => (
          <option value={k} />
        ))}
      </datalist>
      <span class="filter-buttons">
        <button type="submit" class="btn-primary">
          Filter
        </button>
        {q.filter.filtered || v.cursor ? (
          <a class="btn-quiet" href="/console">
            Clear
          </a>
        ) : null}
      </span>
      {q.filter.notices.length ? (
        <ul class="notice" id="filter-notices">
          {q.filter.notices.map((n) => (
            <li>
              Ignored {n.field}: {n.message}
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}

/** The query string of this filter with another cursor (or none: the newest page). */
function pageHref(q: QueueData, cursor: string | null): string {
  const params = new URLSearchParams();
  for (const [k, val] of Object.entries(q.filter.values))
    if (k !== 'cursor' && val) params.set(k, val);
  if (cursor) params.set('cursor', cursor);
  const qs = params.toString();
  return qs ? `/console?${qs}` : '/console';
}

function Recent({ q, now, tz }: { q: QueueData; now: number; tz: string }) {
  // What the parts above list is not listed again, unless a filter asks for it.
  const shown = new Set(q.needsYou.map((i) => i.action.id));
  if (!q.filter.filtered)
    for (const g of q.incidents) for (const i of g.items) shown.add(i.action.id);
  const rows = q.recent.filter((i) => !shown.has(i.action.id));
  return (
    <div id="recent-rows">
      {rows.length === 0 ? (
        <p class="empty">
          {q.filter.filtered ? 'Nothing matches these filters.' : 'Nothing else has happened yet.'}
        </p>
      ) : (
        <table class="queue" aria-labelledby="recent-title">
          {HEAD}
          <tbody>
            {rows.map((item) => (
              <QueueRow item={item} now={now} tz={tz} />
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Recent pages">
        {q.filter.values.cursor ? <a href={pageHref(q, null)}>Newest</a> : null}
        {q.nextCursor ? (
          <a id="older" href={pageHref(q, q.nextCursor)}>
            Older →
          </a>
        ) : null}
      </nav>
    </div>
  );
}

/** The parts a live refresh swaps in, each by its id. */
export function QueueLive({ q, now, tz }: { q: QueueData; now: number; tz: string }) {
  return (
    <div id="queue-live">
      <NeedsYou q={q} now={now} tz={tz} />
      <Incidents q={q} tz={tz} />
      <Recent q={q} now={now} tz={tz} />
    </div>
  );
}

export interface QueueChoices {
  targets: string[];
  kinds: string[];
}

export function QueuePage({
  q,
  choices,
  now,
  tz,
  openId,
}: {
  q: QueueData;
  choices: QueueChoices;
  now: number;
  tz: string;
  openId?: string;
}) {
  return (
    <>
      <div class="page-head">
        <h1>Queue</h1>
        <p class="summary" id="queue-summary">
          Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>a</kbd> approve, <kbd>r</kbd> reject,{' '}
          <kbd>o</kbd> open, <kbd>!</kbd> latest high-severity item, <kbd>?</kbd> all keys.
        </p>
      </div>
      <div class="split">
        {/* The tables scroll sideways inside their column, never the page. */}
        <div class="queue-scroll" id="queue">
          <NeedsYou q={q} now={now} tz={tz} />
          <Incidents q={q} tz={tz} />
          <section id="recent" class="queue-part" aria-labelledby="recent-title">
            <h2 id="recent-title">Recent</h2>
            <RecentFilters q={q} choices={choices} />
            <Recent q={q} now={now} tz={tz} />
          </section>
        </div>
        <aside
          id="drawer"
          class="drawer"
          aria-label="Action card"
          hidden
          data-open={openId}
        ></aside>
      </div>
    </>
  );
}
