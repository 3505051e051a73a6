/** What the console's pages show, assembled from the lifecycle's own reads: nothing here writes. */
import { estopStatus } from '../gateway/lifecycle/estop.ts';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { loadAction } from '../gateway/lifecycle/propose.ts';
import { getBatch } from '../gateway/lifecycle/batches.ts';
import {
  acknowledged,
  auditSince,
  auditTrail,
  queueRows,
  viewsOf,
} from '../gateway/lifecycle/queries.ts';
import { PENDING } from '../gateway/lifecycle/states.ts';
import type { ActionView } from '../gateway/lifecycle/views.ts';
import { stateOf, targetStatuses } from '../gateway/governance/target-status.ts';
import type { Principal } from '../gateway/schema/principal.ts';
import type { CatalogEntry } from '../gateway/schema/catalog.ts';
import { confidencePill } from './model/confidence.ts';
import { actionLabel } from './model/label.ts';
import { queueOrder } from './model/queue.ts';
import { headline, severityOf, statusLine, unresolved } from './model/severity.ts';
import { timelineEvents, type TimelineRecord } from './model/timeline.ts';
import type {
  AuditLine,
  CardData,
  QueueItem,
  StatusData,
  TargetStatus,
  TimelineData,
} from './model/view-data.ts';
import { offersFor } from './model/offers.ts';
import { sameName } from '../gateway/schema/names.ts';

export type { AuditLine, CardData, QueueItem, StatusData, TargetStatus, TimelineData };

/** How many settled actions the queue shows under the pending ones. */
export const RECENT_LIMIT = 50;

const catalogEntry = (deps: Deps, kind: string): CatalogEntry | undefined =>
  deps.policy()?.data.catalog[kind];

function toItem(
  deps: Deps,
  viewer: Principal,
  action: ActionView,
  acknowledged: boolean,
): QueueItem {
  const entry = catalogEntry(deps, action.kind);
  const label = actionLabel(action.kind, action.target, action.params, entry);
  const severity = severityOf({
    status: action.status,
    recoveryKind: entry?.estop_exempt === true,
    acknowledged,
  });
  const pending = (PENDING as readonly string[]).includes(action.status);
  return {
    action,
    label,
    headline: headline(action.status, label, severity),
    line: statusLine(action.status, severity),
    severity,
    acknowledged,
    // A pending action is resolved by deciding it, not by acknowledging it.
    unresolved: pending ? true : unresolved(severity, acknowledged),
    confidence: confidencePill(action.confidence),
    ownProposal: sameName(action.proposer, viewer.id),
    can: offersFor(viewer, action, { severity, acknowledged }),
  };
}

export async function queue(deps: Deps, viewer: Principal): Promise<QueueItem[]> {
  const rows = await queueRows(deps, 500, RECENT_LIMIT);
  const [views, acks] = await Promise.all([
    viewsOf(deps, rows),
    acknowledged(
      deps,
      rows.map((r) => r.id),
    ),
  ]);
  return views
    .map((v) => toItem(deps, viewer, v, acks.has(v.id)))
    .sort((a, b) =>
      queueOrder(
        {
          id: a.action.id,
          severity: a.severity,
          unresolved: a.unresolved,
          createdAt: Date.parse(a.action.createdAt),
        },
        {
          id: b.action.id,
          severity: b.severity,
          unresolved: b.unresolved,
          createdAt: Date.parse(b.action.createdAt),
        },
      ),
    );
}

export async function queueItem(deps: Deps, viewer: Principal, id: string): Promise<QueueItem> {
  const { action } = await loadAction(deps, id);
  return toItem(deps, viewer, action, (await acknowledged(deps, [id])).has(id));
}

export async function card(deps: Deps, viewer: Principal, id: string): Promise<CardData> {
  const { action, decision } = await loadAction(deps, id);
  const acks = await acknowledged(deps, [id]);
  const item = toItem(deps, viewer, action, acks.has(id));
  const trail = (await auditTrail(deps, id)).map((r) => ({
    seq: r.seq,
    ts: r.ts,
    type: r.type,
    actor: r.actor,
    payload: r.payload,
  }));
  const batch = action.batchId ? await getBatch(deps, action.batchId) : undefined;
  const batchAcks = batch
    ? await acknowledged(
        deps,
        batch.actions.map((a) => a.id),
      )
    : new Set<string>();
  const t = deps.targets.get(action.target);
  const state = t ? await stateOf(t) : { error: 'no such target' };
  const checkpoint =
    typeof action.outcome?.checkpoint === 'string' ? action.outcome.checkpoint : undefined;
  return {
    item,
    decision,
    entry: catalogEntry(deps, action.kind),
    trail,
    batch,
    batchItems: batch ? batch.actions.map((a) => toItem(deps, viewer, a, batchAcks.has(a.id))) : [],
    target: t
      ? {
          id: t.id,
          driver: t.driverName,
          connected: t.driver.connected,
          rollback: typeof t.driver.restore === 'function',
          state,
        }
      : undefined,
    checkpoint,
  };
}

export async function status(deps: Deps): Promise<StatusData> {
  const targets = await targetStatuses(deps);
  const data = deps.policy()?.data;
  const alias = (name: string): string | undefined => data?.autonomy.aliases[name];
  return {
    estop: await estopStatus(deps),
    pending: targets.reduce((n, t) => n + t.pending, 0),
    targets,
    levels: data?.autonomy.order ?? [],
    // Safe mode is the radio document's Manual Assist; pausing autonomy keeps a person on every
    // write.
    safeMode: alias('manual_assist'),
    pauseLevel: alias('semi_auto'),
  };
}

export async function timeline(deps: Deps, minutes: number): Promise<TimelineData> {
  const to = deps.now();
  const from = to - minutes * 60_000;
  const records: TimelineRecord[] = await auditSince(deps, from, 5000);
  return { from, to, minutes, events: timelineEvents(records) };
}
