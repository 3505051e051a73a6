/** Each configured notification sink's deliveries, for the Status page. */
import { deliveryCounts, type SinkCounts } from '../store/notifications.ts';
import type { Deps } from './deps.ts';

export type { SinkCounts };

export async function notificationStatus(deps: Pick<Deps, 'db' | 'config'>): Promise<SinkCounts[]> {
  const counts = new Map((await deliveryCounts(deps.db)).map((c) => [c.sink, c]));
  return deps.config.notifications.sinks.map(
    (s) =>
      counts.get(s.name) ?? { sink: s.name, pending: 0, delivered: 0, dead: 0, lastError: null },
  );
}
