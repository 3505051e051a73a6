/**
 * Reconciliation: an EXECUTING action whose executor stopped renewing its lease (the process
 * died) becomes UNKNOWN, then is settled from what the driver says happened. A command is
 * never sent again: if the driver never received it, the action FAILED.
 */
import { inTx, type Deps } from '../lifecycle/deps.ts';
import type { Status } from '../lifecycle/states.ts';
import { transition } from '../lifecycle/transition.ts';
import type { CommandStatus } from '../schema/driver.ts';
import { orphanedExecutions, unknownOutcomes } from '../store/execution.ts';

export interface ReconcileOptions {
  orphanedOnly: boolean;
  executorId: string;
}

export interface ReconcileResult {
  orphaned: number;
  settled: number;
}

export async function reconcile(deps: Deps, options: ReconcileOptions): Promise<ReconcileResult> {
  const now = deps.now();
  const orphans = await orphanedExecutions(deps.db, now, options.executorId);
  let orphaned = 0;
  for (const row of orphans) {
    const moved = await inTx(deps, (trx, events) =>
      transition(
        trx,
        {
          id: row.id,
          from: 'EXECUTING',
          to: 'UNKNOWN',
          actor: 'system',
          reason: `executor ${row.executor_id ?? '?'} stopped renewing its lease`,
          at: now,
        },
        events,
      ),
    );
    if (moved) orphaned++;
  }

  const unknown = await unknownOutcomes(deps.db);
  let settled = 0;
  for (const row of unknown) {
    const driver = deps.targets.get(row.target)?.driver;
    if (!driver) continue;
    let status: CommandStatus;
    try {
      status = await driver.getCommandStatus(row.id);
    } catch {
      continue; // Ask again on the next pass; guessing would be worse than waiting.
    }
    const outcome = settle(status);
    if (!outcome) continue;
    const at = deps.now();
    const moved = await inTx(deps, async (trx, events) => {
      const ok = await transition(
        trx,
        {
          id: row.id,
          from: 'UNKNOWN',
          to: outcome.to,
          actor: 'system',
          reason: outcome.reason,
          set: {
            finished_at: at,
            lease_until: null,
            outcome: JSON.stringify({
              result: outcome.to.toLowerCase(),
              reconciled: true,
              driver_status: status,
            }),
          },
          detail: { reconciled: true, driver_status: status },
          at,
        },
        events,
      );
      if (ok)
        events.push({
          type: 'action.finished',
          actionId: row.id,
          target: row.target,
          status: outcome.to,
          at,
        });
      return ok;
    });
    if (moved) settled++;
  }
  return { orphaned, settled };
}

function settle(status: CommandStatus): { to: Status; reason: string } | undefined {
  switch (status.status) {
    case 'completed':
      return { to: 'COMPLETED', reason: 'reconciled: the target reports the command applied' };
    case 'failed':
      return {
        to: 'FAILED',
        reason: `reconciled: the target reports the command failed${status.message ? `: ${status.message}` : ''}`,
      };
    case 'aborted':
      return {
        to: 'ABORTED',
        reason: 'reconciled: the target reports the command was not applied',
      };
    case 'not_found':
      return {
        to: 'FAILED',
        reason: 'reconciled: the target never received the command; it was not re-sent',
      };
    case 'in_progress':
      return undefined;
  }
}
