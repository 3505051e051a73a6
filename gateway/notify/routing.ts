/** Which sinks an event goes to: every route it matches, each sink once. */
import type { RouteConfig } from '../config/notifications.ts';
import type { Notification } from '../schema/notification.ts';

export function sinksFor(n: Notification, routes: readonly RouteConfig[]): string[] {
  const out = new Set<string>();
  for (const r of routes) if (matches(n, r)) for (const s of r.sinks) out.add(s);
  return [...out];
}

function matches(n: Notification, r: RouteConfig): boolean {
  return (
    within(r.events, n.event) &&
    within(r.targets, n.target) &&
    within(r.kinds, n.kind) &&
    within(r.severities, n.severity) &&
    within(r.levels, n.level)
  );
}

/** An absent filter matches everything; a filter on a field the event lacks matches nothing. */
function within<T>(filter: readonly T[] | undefined, value: T | undefined): boolean {
  return filter === undefined || (value !== undefined && filter.includes(value));
}
