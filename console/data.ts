/** What the console's pages show, assembled from the lifecycle's own reads: nothing here writes. */
import { estopStatus } from '../gateway/lifecycle/estop.ts';
import type { Deps } from '../gateway/lifecycle/deps.ts';
import { loadAction } from '../gateway/lifecycle/propose.ts';
import { getBatch } from '../gateway/lifecycle/batches.ts';
import {
  acknowledged,
  auditSince,
  auditTrail,
  decisionCards,
  newestPending,
  type ActionRow,
  recommended,
  searchHistory,
  unresolvedIncidents,
  viewsOf,
} from '../gateway/lifecycle/queries.ts';
import { PENDING } from '../gateway/lifecycle/states.ts';
import type { ActionView } from '../gateway/lifecycle/views.ts';
import { stateOf, targetStatus, targetStatuses } from '../gateway/governance/target-status.ts';
import { may } from '../gateway/schema/permissions.ts';
import type { Principal } from '../gateway/schema/principal.ts';
import type { CatalogEntry } from '../gateway/schema/catalog.ts';
import { confidencePill } from './model/confidence.ts';
import { actionLabel } from '../gateway/decide/action-label.ts';
import { notificationStatus } from '../gateway/lifecycle/notification-status.ts';
import type { RecentFilter } from './model/recent-query.ts';
import {
  DECISION_CARDS_LIMIT,
  parseDecisionCardsFilter,
  sortCards,
  withRule,
  type DecisionCardsData,
} from './model/decision-cards.ts';
import {
  INCIDENT_STATUSES,
  headline,
  severityOf,
  statusLine,
  unresolved,
} from './model/severity.ts';
import { firstReason, triage } from './model/triage.ts';
import { timelineEvents, type TimelineRecord } from './model/timeline.ts';
import type {
  AuditLine,
  CardData,
  QueueData,
  QueueItem,
  StatusData,
  TargetStatus,
  TimelineData,
} from './model/view-data.ts';
import { offersFor } from './model/offers.ts';
import { sameName } from '../gateway/schema/names.ts';

export type { AuditLine, CardData, QueueData, QueueItem, StatusData, TargetStatus, TimelineData };

/** At most this many pending actions, and this many unresolved incidents, are read at once. */
export const PENDING_LIMIT = 500;
export const INCIDENT_LIMIT = 1000;

const catalogEntry = (deps: Deps, kind: string): CatalogEntry | undefined =>
  deps.policy()?.data.catalog[kind];

function toItem(
  deps: Deps,
  viewer: Principal,
  action: ActionView,
  acknowledged: boolean,
  recommendation = false,
): QueueItem {
  const entry = catalogEntry(deps, action.kind);
  const label = actionLabel(action.kind, action.target, action.params, entry);
  const severity = severityOf({
    status: action.status,
    recoveryKind: entry?.estop_exempt === true,
    acknowledged,
    recommendation,
  });
  const pending = (PENDING as readonly string[]).includes(action.status);
  return {
    action,
    label,
    headline: headline(action.status, label, severity, recommendation),
    line: statusLine(action.status, severity, recommendation),
    reason: pending ? undefined : firstReason(action.statusReason),
    recommendation,
    severity,
    acknowledged,
    // A pending action is resolved by deciding it, not by acknowledging it.
    unresolved: pending ? true : unresolved(severity, acknowledged),
    confidence: confidencePill(action.confidence),
    ownProposal: sameName(action.proposer, viewer.id),
    can: offersFor(viewer, action, { severity, acknowledged }),
  };
}

/** Action rows as queue items: their approvals, acknowledgements and recommendation flags. */
async function itemsOf(deps: Deps, viewer: Principal, rows: ActionRow[]): Promise<QueueItem[]> {
  const ids = rows.map((r) => r.id);
  const [views, acks, recs] = await Promise.all([
    viewsOf(deps, rows),
    acknowledged(deps, ids),
    recommended(deps, ids),
  ]);
  return views.map((v) => toItem(deps, viewer, v, acks.has(v.id), recs.has(v.id)));
}

/** The queue page: what needs the viewer, the incidents grouped, and a page of the history. */
export async function queue(
  deps: Deps,
  viewer: Principal,
  filter: RecentFilter,
): Promise<QueueData> {
  const [pendingRows, incidentRows, history] = await Promise.all([
    newestPending(deps, PENDING_LIMIT),
    unresolvedIncidents(deps, INCIDENT_STATUSES, INCIDENT_LIMIT),
    searchHistory(deps, filter.search),
  ]);
  const [pending, incidents, recent] = await Promise.all([
    itemsOf(deps, viewer, pendingRows),
    itemsOf(deps, viewer, incidentRows),
    itemsOf(deps, viewer, history.rows),
  ]);
  const t = triage(pending, incidents);
  return {
    ...t,
    recent: filter.severity ? recent.filter((i) => i.severity === filter.severity) : recent,
    nextCursor: history.nextCursor,
    filter,
    truncated: {
      pending: pendingRows.length >= PENDING_LIMIT,
      incidents: incidentRows.length >= INCIDENT_LIMIT,
    },
  };
}

export async function queueItem(deps: Deps, viewer: Principal, id: string): Promise<QueueItem> {
  const { action } = await loadAction(deps, id);
  const [acks, recs] = await Promise.all([acknowledged(deps, [id]), recommended(deps, [id])]);
  return toItem(deps, viewer, action, acks.has(id), recs.has(id));
}

export async function card(deps: Deps, viewer: Principal, id: string): Promise<CardData> {
  const { action, decision } = await loadAction(deps, id);
  const acks = await acknowledged(deps, [id]);
  const recs = await recommended(deps, [id]);
  const item = toItem(deps, viewer, action, acks.has(id), recs.has(id));
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
    canResolve: may(viewer.role, 'administer'),
    canProposeRollback:
      may(viewer.role, 'decide') &&
      typeof action.outcome?.checkpoint === 'string' &&
      typeof t?.driver.rollbackAction === 'function',
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
          breakers: (await targetStatus(deps, t.id)).breakers,
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
    notifications: await notificationStatus(deps),
  };
}

export async function timeline(deps: Deps, minutes: number): Promise<TimelineData> {
  const to = deps.now();
  const from = to - minutes * 60_000;
  const records: TimelineRecord[] = await auditSince(deps, from, 5000);
  return { from, to, minutes, events: timelineEvents(records) };
}

/** The decision cards of the asked window, filtered and sorted. */
export async function decisionCardsPage(
  deps: Deps,
  query: Record<string, string | undefined>,
): Promise<DecisionCardsData> {
  const filter = parseDecisionCardsFilter(query);
  const to = deps.now() + 1;
  const read = await decisionCards(deps, {
    from: to - filter.minutes * 60_000,
    to,
    ...(filter.effect ? { effect: filter.effect } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
    ...(filter.target ? { target: filter.target } : {}),
    limit: DECISION_CARDS_LIMIT,
  });
  return {
    cards: sortCards(withRule(read, filter.rule), filter.sort, filter.dir),
    filter,
    truncated: read.length >= DECISION_CARDS_LIMIT,
    catalog: deps.policy()?.data.catalog ?? {},
  };
}
