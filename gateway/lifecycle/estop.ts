/**
 * The emergency stop. Engaging needs no approval (operator or admin): the flag is persisted
 * first, then every driver is driven to its safe state while pending and approved actions are
 * cancelled and executing ones aborted. Rearming needs a reason and caps every target at L3.
 */
import { appendAudit } from '../audit/append.ts';
import type { Principal } from '../auth/tokens.ts';
import { InterlockError } from '../schema/errors.ts';
import { requireReason } from '../schema/reason.ts';
import { actionsInStatus } from '../store/actions.ts';
import { engageEstop, estopRow, releaseEstop } from '../store/estop.ts';
import { writeLevel } from '../store/levels.ts';
import { inTx, type Deps } from './deps.ts';
import { levelInForce } from './context.ts';
import { lowerOf, resolveLevel } from './levels.ts';
import { CANCELLABLE, type Status } from './states.ts';
import { transition } from './transition.ts';

export interface SafeStateReport {
  target: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface EstopResult {
  engaged: boolean;
  cancelled: number;
  aborted: number;
  safeState: SafeStateReport[];
  /** From the request's arrival to the last driver reporting its safe state. */
  safeStateMs: number;
}

/** Something that can abort in-flight commands; the executor. */
export interface Aborter {
  abortAll(reason: string): number;
}

export async function engage(
  deps: Deps,
  executor: Aborter,
  principal: Principal,
  reason: string,
  started = performance.now(),
): Promise<EstopResult> {
  requireReason(reason, 'engage the emergency stop');
  const now = deps.now();
  await inTx(deps, async (trx, events) => {
    await engageEstop(trx, { reason, actor: principal.id, at: now });
    await appendAudit(trx, {
      type: 'estop.engaged',
      actor: principal.id,
      at: now,
      payload: { reason },
    });
    events.push({ type: 'estop.engaged', at: now, detail: { reason, by: principal.id } });
  });
  const aborted = executor.abortAll(`emergency stop: ${reason}`);
  const safe = Promise.all(
    [...deps.targets.values()].map(async (target): Promise<SafeStateReport> => {
      const t0 = performance.now();
      try {
        await target.driver.safeState();
        return { target: target.id, ok: true, ms: round(performance.now() - t0) };
      } catch (err) {
        return {
          target: target.id,
          ok: false,
          ms: round(performance.now() - t0),
          error: err instanceof Error ? err.message : String(err),
        };
      }
    }),
  ).then((reports) => ({ reports, safeStateMs: round(performance.now() - started) }));
  const cancelled = cancelAll(deps, principal, reason);
  const { reports, safeStateMs } = await safe;
  const count = await cancelled;
  await inTx(deps, async (trx, events) => {
    await appendAudit(trx, {
      type: 'estop.safe_state',
      actor: 'system',
      payload: { targets: reports, safe_state_ms: safeStateMs, cancelled: count, aborted },
    });
    for (const r of reports.filter((x) => !x.ok)) {
      await appendAudit(trx, {
        type: 'driver.error',
        actor: 'system',
        payload: { target: r.target, during: 'safe_state', error: r.error ?? 'unknown' },
      });
      events.push({
        type: 'error',
        target: r.target,
        at: deps.now(),
        detail: {
          message: `target ${r.target} did not reach its safe state: ${r.error ?? 'unknown error'}`,
        },
      });
    }
  });
  return { engaged: true, cancelled: count, aborted, safeState: reports, safeStateMs };
}

async function cancelAll(deps: Deps, principal: Principal, reason: string): Promise<number> {
  return inTx(deps, async (trx, events) => {
    const rows = await actionsInStatus(trx, CANCELLABLE);
    let n = 0;
    const now = deps.now();
    for (const row of rows) {
      const from = row.status as Status;
      if (
        await transition(
          trx,
          {
            id: row.id,
            from,
            to: 'CANCELLED',
            actor: principal.id,
            reason: `emergency stop: ${reason}`,
            at: now,
          },
          events,
        )
      )
        n++;
    }
    return n;
  });
}

export async function rearm(
  deps: Deps,
  principal: Principal,
  reason: string,
): Promise<{ engaged: false; levels: Record<string, string> }> {
  requireReason(reason, 'rearm');
  const evaluator = deps.policy();
  const levels: Record<string, string> = {};
  const current = new Map<string, string>();
  for (const id of deps.targets.keys()) current.set(id, await levelInForce(deps, evaluator, id));
  await inTx(deps, async (trx, events) => {
    const now = deps.now();
    if (!(await releaseEstop(trx, { reason, actor: principal.id, at: now })))
      throw new InterlockError('conflict', 'the emergency stop is not engaged', { field: 'estop' });
    await appendAudit(trx, {
      type: 'estop.rearmed',
      actor: principal.id,
      at: now,
      payload: { reason },
    });
    const cap = resolveLevel(evaluator?.data, 'L3') ?? 'L3';
    for (const [target, level] of current) {
      const capped = lowerOf(evaluator?.data, level, cap);
      levels[target] = capped;
      await writeLevel(trx, {
        target,
        level: capped,
        reason: `rearm: ${reason}`,
        updated_by: principal.id,
        updated_at: now,
      });
      if (capped !== level) {
        await appendAudit(trx, {
          type: 'autonomy.changed',
          actor: principal.id,
          at: now,
          payload: {
            target,
            from: level,
            to: capped,
            reason: `rearm caps levels at L3: ${reason}`,
          },
        });
      }
    }
    events.push({ type: 'estop.rearmed', at: now, detail: { reason, by: principal.id, levels } });
  });
  return { engaged: false, levels };
}

export async function estopStatus(
  deps: Deps,
): Promise<{ engaged: boolean; reason: string | null; by: string | null; since: string | null }> {
  const row = await estopRow(deps.db);
  if (!row)
    throw new InterlockError('internal', 'the emergency stop row is missing: the schema is broken');
  return {
    engaged: Number(row.engaged) === 1,
    reason: row.reason,
    by: row.actor,
    since: row.updated_at ? new Date(Number(row.updated_at)).toISOString() : null,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
