/**
 * Audit records that are not part of an action's lifecycle (console logins, refused CSRF
 * tokens), for callers above the lifecycle: one transaction, the records in order.
 */
import { appendAuditMany, type AuditEntry } from '../audit/append.ts';
import { commitGrouped, type Deps } from './deps.ts';

export type { AuditEntry };

export async function recordAudit(
  deps: Pick<Deps, 'db' | 'commits'>,
  entries: readonly AuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await commitGrouped(deps, (trx) => appendAuditMany(trx, entries));
}
