/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The queue: one compact row per action, pending and unresolved first. */
import type { QueueItem } from '../model/view-data.ts';
import { ConfidenceBadge, SeverityBadge, StatusChip } from './badges.tsx';
import { clock, duration } from './format.ts';

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
        <button type="button" class="btn-quiet" data-act="acknowledge" data-id={a.id}>
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

export function QueueRow({ item, now, tz }: { item: QueueItem; now: number; tz: string }) {
  const a = item.action;
  const pending = a.status === 'PENDING_APPROVAL' || a.status === 'PENDING_VETO';
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
        <StatusChip status={a.status} />
      </td>
      <td class="waiting" data-since={pending ? a.createdAt : undefined}>
        {duration(waitedUntil - Date.parse(a.createdAt))}
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

export function QueueRows({ items, now, tz }: { items: QueueItem[]; now: number; tz: string }) {
  return (
    <tbody id="queue-rows">
      {items.length === 0 ? (
        <tr class="empty">
          <td colspan={8}>Nothing has been proposed yet.</td>
        </tr>
      ) : (
        items.map((item) => <QueueRow item={item} now={now} tz={tz} />)
      )}
    </tbody>
  );
}

export function QueuePage({
  items,
  now,
  tz,
  openId,
}: {
  items: QueueItem[];
  now: number;
  tz: string;
  openId?: string;
}) {
  const pending = items.filter(
    (i) => i.action.status === 'PENDING_APPROVAL' || i.action.status === 'PENDING_VETO',
  ).length;
  return (
    <>
      <div class="page-head">
        <h1>Queue</h1>
        <p class="summary" id="queue-summary">
          <span id="pending-count">{pending}</span> waiting for a decision. Keys: <kbd>j</kbd>/
          <kbd>k</kbd> move, <kbd>a</kbd> approve, <kbd>r</kbd> reject, <kbd>o</kbd> open,{' '}
          <kbd>!</kbd> latest high-severity item, <kbd>?</kbd> all keys.
        </p>
      </div>
      <div class="split">
        {/* The table scrolls sideways inside its column, never the page. */}
        <div class="queue-scroll">
          <table
            id="queue"
            class="queue"
            aria-label="Actions, unresolved errors first, then newest first"
          >
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
            <QueueRows items={items} now={now} tz={tz} />
          </table>
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
