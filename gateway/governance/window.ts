/**
 * Windowed metrics of one target, computed from the actions table and the audit log with
 * indexed queries: what breaker conditions and the readiness checklist read.
 */
import type { WindowMetrics } from '../schema/views.ts';
import type { Db } from '../store/db.ts';
import { decidedCounts, finishedCounts, incidentCounts } from '../store/window.ts';

export type { WindowMetrics };

export const METRIC_NAMES = [
  'executions',
  'completed',
  'failures',
  'blocked',
  'error_rate',
  'success_rate',
  'max_kind_failures',
  'rollbacks',
  'rollback_rate',
  'critical_incidents',
  'estop_drills',
] as const;

const FINISHED = ['COMPLETED', 'FAILED', 'ABORTED'];
const APPROVED_LIKE = [
  'APPROVED',
  'EXECUTING',
  'COMPLETED',
  'FAILED',
  'ABORTED',
  'BLOCKED',
  'UNKNOWN',
];
const DECLINED = ['REJECTED', 'EXPIRED', 'VETOED'];

/** Rollbacks: completed actions whose kind is a rollback, a checkpoint restore or an abort. */
const isRollback = (kind: string): boolean => /\.(rollback|restore|abort)$/.test(kind);

export async function windowMetrics(db: Db, target: string, since: number): Promise<WindowMetrics> {
  const finished = await finishedCounts(db, target, since, [...FINISHED, 'BLOCKED']);
  let executions = 0;
  let completed = 0;
  let failures = 0;
  let blocked = 0;
  let rollbacks = 0;
  const failuresByKind = new Map<string, number>();
  for (const r of finished) {
    const n = Number(r.n);
    if (r.status === 'BLOCKED') {
      blocked += n;
      continue;
    }
    executions += n;
    if (r.status === 'COMPLETED') {
      completed += n;
      if (isRollback(r.kind)) rollbacks += n;
    }
    if (r.status === 'FAILED') {
      failures += n;
      failuresByKind.set(r.kind, (failuresByKind.get(r.kind) ?? 0) + n);
    }
  }
  const worst = [...failuresByKind.entries()].sort((a, b) => b[1] - a[1])[0];

  const decided = await decidedCounts(db, target, since, [...APPROVED_LIKE, ...DECLINED]);
  const approved = decided
    .filter((r) => APPROVED_LIKE.includes(r.status))
    .reduce((n, r) => n + Number(r.n), 0);
  const declined = decided
    .filter((r) => DECLINED.includes(r.status))
    .reduce((n, r) => n + Number(r.n), 0);

  // Incidents: every emergency stop, and driver errors of this target.
  const sinceIso = new Date(since).toISOString();
  const incidents = await incidentCounts(db, target, sinceIso);
  const estops = Number(incidents.find((r) => r.type === 'estop.engaged')?.n ?? 0);
  const driverErrors = Number(incidents.find((r) => r.type === 'driver.error')?.n ?? 0);

  return {
    executions,
    completed,
    failures,
    blocked,
    error_rate: executions ? failures / executions : 0,
    success_rate: executions ? completed / executions : 0,
    max_kind_failures: worst?.[1] ?? 0,
    worst_kind: worst?.[0] ?? null,
    rollbacks,
    rollback_rate: executions ? rollbacks / executions : 0,
    critical_incidents: estops + driverErrors,
    estop_drills: estops,
    approval_rate: approved + declined ? approved / (approved + declined) : null,
  };
}
