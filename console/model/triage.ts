/**
 * Triage: what the queue shows first. "Needs you" (pending approvals and vetoes, soonest
 * deadline first) always leads; unresolved incidents come next, repeats of the same kind,
 * target and reason folded into one group; everything else is "Recent".
 */
import { clip } from '../../gateway/decide/action-label.ts';
import type { IncidentGroup, QueueItem } from './view-data.ts';

export type { IncidentGroup };

/** The first reason a row shows, at most this many characters. */
export const REASON_MAX = 90;

/** The first of the reasons the gateway joined with "; ", clipped for a row. */
export function firstReason(statusReason: string | null): string | undefined {
  const first = statusReason?.split('; ')[0]?.trim();
  return first ? clip(first, REASON_MAX) : undefined;
}

export interface Triage {
  needsYou: QueueItem[];
  incidents: IncidentGroup[];
}

const isPending = (i: QueueItem): boolean =>
  i.action.status === 'PENDING_APPROVAL' || i.action.status === 'PENDING_VETO';

/** When a pending action stops waiting: its approval expiry or the end of its veto window. */
export function deadlineOf(i: QueueItem): number | undefined {
  const at = i.action.status === 'PENDING_VETO' ? i.action.vetoDeadline : i.action.expiresAt;
  return at ? Date.parse(at) : undefined;
}

function groupKey(i: QueueItem): string {
  return JSON.stringify([i.action.kind, i.action.target, i.reason ?? '']);
}

/**
 * Orders the pending items by deadline (none last, then oldest first) and folds the incidents
 * into groups, the group with the newest member first.
 */
export function triage(pending: QueueItem[], incidents: QueueItem[]): Triage {
  const needsYou = pending.filter(isPending).sort((a, b) => {
    const da = deadlineOf(a) ?? Infinity;
    const db = deadlineOf(b) ?? Infinity;
    return (
      da - db ||
      Date.parse(a.action.createdAt) - Date.parse(b.action.createdAt) ||
      (a.action.id < b.action.id ? -1 : 1)
    );
  });
  const groups = new Map<string, IncidentGroup>();
  for (const item of incidents) {
    if (isPending(item) || !item.unresolved) continue;
    const key = groupKey(item);
    const at = Date.parse(item.action.createdAt);
    const g = groups.get(key);
    if (g) {
      g.items.push(item);
      g.first = Math.min(g.first, at);
      g.last = Math.max(g.last, at);
    } else
      groups.set(key, {
        key,
        kind: item.action.kind,
        target: item.action.target,
        reason: item.reason,
        items: [item],
        first: at,
        last: at,
      });
  }
  for (const g of groups.values())
    g.items.sort((a, b) => Date.parse(b.action.createdAt) - Date.parse(a.action.createdAt));
  return {
    needsYou,
    incidents: [...groups.values()].sort((a, b) => b.last - a.last || (a.key < b.key ? -1 : 1)),
  };
}
