/**
 * The audit stamper for declared unattended windows (notifications.unattended): a record is
 * unattended when it is made inside a window that covers its target. A record about an action
 * that does not name its target takes the action's; one about no target at all (a login, a
 * token) is covered only by windows that name no targets.
 */
import type { UnattendedConfig } from '../config/notifications.ts';
import { isUnattended } from '../config/unattended.ts';
import { targetOfAction, type AuditStamper } from '../store/audit-stamp.ts';

/** undefined when no window is declared: nothing to stamp, and no work per record. */
export function unattendedStamper(
  windows: readonly UnattendedConfig[],
  timeZone: string,
): AuditStamper | undefined {
  if (windows.length === 0) return undefined;
  const byTarget = windows.some((w) => w.targets !== undefined);
  return {
    async unattended(conn, { target, actionId, at }) {
      let subject = target ?? undefined;
      // Only windows that name targets need the action's; a lookup by primary key.
      if (subject === undefined && actionId !== null && byTarget)
        subject = await targetOfAction(conn, actionId);
      return isUnattended(windows, subject, at, timeZone);
    },
  };
}
