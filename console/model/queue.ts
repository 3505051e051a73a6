/**
 * Queue order: unresolved ERROR rows pinned first, then unresolved WARN, then the rest; newest
 * first within each.
 */
import type { Severity } from './severity.ts';

export interface QueueKey {
  id: string;
  severity: Severity;
  unresolved: boolean;
  /** Epoch ms. */
  createdAt: number;
}

function tier(k: QueueKey): number {
  if (!k.unresolved) return 2;
  return k.severity === 'ERROR' ? 0 : k.severity === 'WARN' ? 1 : 2;
}

export function queueOrder(a: QueueKey, b: QueueKey): number {
  return tier(a) - tier(b) || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
