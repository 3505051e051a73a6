/**
 * Circuit breakers: rules over a target's windowed metrics. A rule that holds trips once
 * (until resolved): `revert_to_l3` lowers the target's level, `pause_action_type` pauses the
 * kind failing most, `alert_only` records. Trips are evaluated after every execution outcome,
 * before the target's next execution, and on a timer. Every trip and resolution is audited;
 * resolving never raises a level by itself.
 */
import { randomUUID } from 'node:crypto';
import type { BreakerEvent } from '../schema/views.ts';
import { z } from 'zod';
import { appendAudit, type Tx } from '../audit/append.ts';
import type { Principal } from '../auth/tokens.ts';
import { durationMs } from '../invariants/check.ts';
import { inTx, type Deps } from '../lifecycle/deps.ts';
import { rank, resolveLevel } from '../lifecycle/levels.ts';
import { storedLevel, writeLevel } from '../store/levels.ts';
import {
  allRules,
  breakerEventById,
  breakerEvents,
  insertBreakerEvent,
  insertRuleIfAbsent,
  pauseKind,
  resolveBreakerEvent,
  resolvedFences,
  ruleNamed,
  ruleWindows,
  updateRule,
} from '../store/breakers.ts';
import { InterlockError, ValidationError } from '../schema/errors.ts';
import { requireReason } from '../schema/reason.ts';
import type { BreakerEventsTable, BreakerRulesTable } from '../store/types.ts';
import type { Db } from '../store/db.ts';
import { holds, parseCondition } from './condition.ts';
import { windowMetrics, type WindowMetrics } from './window.ts';

export const BREAKER_ACTIONS = ['revert_to_l3', 'pause_action_type', 'alert_only'] as const;
export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;
const REVERT_LEVEL = 'L3';

export interface BreakerRule {
  name: string;
  enabled: boolean;
  condition: string;
  window: string;
  action: (typeof BREAKER_ACTIONS)[number];
  severity: (typeof SEVERITIES)[number];
  description: string;
}

/** The governance document's four defaults, seeded on first start. */
export const DEFAULT_RULES: BreakerRule[] = [
  {
    name: 'high_error_rate',
    enabled: true,
    condition: 'executions >= 3 and error_rate > 0.05',
    window: '5m',
    action: 'revert_to_l3',
    severity: 'critical',
    description: 'Error rate above 5 % over 5 minutes (at least 3 executions)',
  },
  {
    name: 'repeated_failures',
    enabled: true,
    condition: 'max_kind_failures >= 3',
    window: '5m',
    action: 'pause_action_type',
    severity: 'high',
    description: '3 or more failures of one kind over 5 minutes',
  },
  {
    name: 'critical_incident',
    enabled: true,
    condition: 'critical_incidents > 0',
    window: '1m',
    action: 'revert_to_l3',
    severity: 'critical',
    description: 'A critical incident (emergency stop, driver error) in the last minute',
  },
  {
    name: 'high_rollback_rate',
    enabled: true,
    condition: 'executions >= 5 and rollback_rate > 0.10',
    window: '15m',
    action: 'alert_only',
    severity: 'warning',
    description: 'Rollbacks above 10 % over 15 minutes',
  },
];

export const RulePatchSchema = z.strictObject({
  enabled: z.boolean().optional(),
  condition: z.string().min(1).max(500).optional(),
  window: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'a window like 5m, 30s, 1h')
    .optional(),
  action: z.enum(BREAKER_ACTIONS).optional(),
  severity: z.enum(SEVERITIES).optional(),
  description: z.string().max(500).optional(),
});
export type RulePatch = z.infer<typeof RulePatchSchema>;

const fromRow = (r: BreakerRulesTable): BreakerRule & { updatedBy: string; updatedAt: string } => ({
  name: r.name,
  enabled: Number(r.enabled) === 1,
  condition: r.condition,
  window: msToWindow(Number(r.window_ms)),
  action: r.action as BreakerRule['action'],
  severity: r.severity as BreakerRule['severity'],
  description: r.description,
  updatedBy: r.updated_by,
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

function msToWindow(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export async function seedRules(db: Db, now: number): Promise<void> {
  for (const r of DEFAULT_RULES) {
    await insertRuleIfAbsent(db, {
      name: r.name,
      enabled: 1,
      condition: r.condition,
      window_ms: durationMs(r.window)!,
      action: r.action,
      severity: r.severity,
      description: r.description,
      updated_by: 'seed',
      updated_at: now,
    });
  }
}

export async function listRules(db: Db) {
  return (await allRules(db)).map(fromRow);
}

export async function patchRule(deps: Deps, principal: Principal, name: string, patch: RulePatch) {
  const row = await ruleNamed(deps.db, name);
  if (!row) throw new InterlockError('not_found', `no breaker rule ${name}`, { field: 'name' });
  if (patch.condition !== undefined) parseCondition(patch.condition, 'condition');
  if (Object.keys(patch).length === 0)
    throw new ValidationError('nothing to change', [
      {
        field: '(body)',
        message: 'give at least one of enabled, condition, window, action, severity, description',
      },
    ]);
  const now = deps.now();
  await inTx(deps, async (trx, events) => {
    await updateRule(trx, name, {
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
      ...(patch.condition !== undefined ? { condition: patch.condition } : {}),
      ...(patch.window !== undefined ? { window_ms: durationMs(patch.window)! } : {}),
      ...(patch.action !== undefined ? { action: patch.action } : {}),
      ...(patch.severity !== undefined ? { severity: patch.severity } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      updated_by: principal.id,
      updated_at: now,
    });
    await appendAudit(trx, {
      type: 'breaker.rule_changed',
      actor: principal.id,
      at: now,
      payload: { rule: name, ...patch },
    });
    events.push({
      type: 'breaker.rule_changed',
      at: now,
      detail: {
        rule: name,
        action: patch.action ?? row.action,
        severity: patch.severity ?? row.severity,
      },
    });
  });
  const changed = await ruleNamed(deps.db, name);
  if (!changed) throw new InterlockError('not_found', `no breaker rule ${name}`, { field: 'name' });
  return fromRow(changed);
}

export type { BreakerEvent };

const eventView = (r: BreakerEventsTable, windowMs?: number): BreakerEvent => ({
  id: r.id,
  rule: r.rule,
  target: r.target,
  action: r.action,
  severity: r.severity,
  kind: r.kind,
  metrics: JSON.parse(r.metrics) as WindowMetrics,
  createdAt: new Date(Number(r.created_at)).toISOString(),
  resolvedAt: r.resolved_at === null ? null : new Date(Number(r.resolved_at)).toISOString(),
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
  windowClearsAt:
    windowMs === undefined ? null : new Date(Number(r.created_at) + windowMs).toISOString(),
});

export async function listEvents(
  db: Db,
  options: { unresolved?: boolean; target?: string; limit?: number } = {},
): Promise<BreakerEvent[]> {
  const [rows, windows] = await Promise.all([
    breakerEvents(db, { ...options, limit: options.limit ?? 100 }),
    ruleWindows(db),
  ]);
  return rows.map((r) => eventView(r, windows.get(r.rule)));
}

async function lowerToRevertLevel(
  deps: Deps,
  trx: Tx,
  target: string,
  rule: string,
  now: number,
): Promise<{ from: string; to: string } | undefined> {
  const data = deps.policy()?.data;
  // Inside the transaction: on SQLite the one connection is ours until it ends.
  const configured =
    (await storedLevel(trx, target)) ?? deps.targets.get(target)?.initialLevel ?? 'L1';
  const from = data ? (resolveLevel(data, configured) ?? configured) : configured;
  if (data && rank(data, from) <= rank(data, REVERT_LEVEL)) return undefined;
  const reason = `circuit breaker ${rule} tripped`;
  await writeLevel(trx, {
    target,
    level: REVERT_LEVEL,
    reason,
    updated_by: `breaker:${rule}`,
    updated_at: now,
  });
  await appendAudit(trx, {
    type: 'autonomy.changed',
    actor: `breaker:${rule}`,
    at: now,
    payload: { target, from, to: REVERT_LEVEL, reason },
  });
  return { from, to: REVERT_LEVEL };
}

/** Evaluates every enabled rule for a target; returns the events it created. */
export async function evaluateBreakers(deps: Deps, target: string): Promise<BreakerEvent[]> {
  const rules = (await listRules(deps.db)).filter((r) => r.enabled);
  if (rules.length === 0) return [];
  const open = new Set(
    (await listEvents(deps.db, { unresolved: true, target })).map((e) => e.rule),
  );
  const fenced = await resolvedFences(deps.db, target);
  const now = deps.now();
  const bySince = new Map<number, WindowMetrics>();
  const created: BreakerEvent[] = [];
  for (const rule of rules) {
    if (open.has(rule.name)) continue;
    // The window, cut just after the rule's fence: a resolved incident cannot trip the rule again.
    const since = Math.max(
      now - durationMs(rule.window)!,
      (fenced.get(rule.name) ?? -Infinity) + 1,
    );
    let metrics = bySince.get(since);
    if (!metrics) {
      metrics = await windowMetrics(deps.db, target, since);
      bySince.set(since, metrics);
    }
    let condition;
    try {
      condition = parseCondition(rule.condition);
    } catch {
      continue;
    }
    if (!holds(condition, metrics)) continue;
    const id = randomUUID();
    const kind = rule.action === 'pause_action_type' ? metrics.worst_kind : null;
    const m = metrics;
    await inTx(deps, async (trx, events) => {
      await insertBreakerEvent(trx, {
        id,
        rule: rule.name,
        target,
        action: rule.action,
        severity: rule.severity,
        kind,
        metrics: JSON.stringify(m),
        created_at: now,
        resolved_at: null,
        resolved_by: null,
        resolution: null,
      });
      let effect: Record<string, unknown> = {};
      if (rule.action === 'revert_to_l3') {
        const lowered = await lowerToRevertLevel(deps, trx, target, rule.name, now);
        effect = lowered ? { level: lowered } : { level: 'already at or below L3' };
        if (lowered)
          events.push({
            type: 'autonomy.changed',
            target,
            at: now,
            detail: { ...lowered, by: `breaker:${rule.name}` },
          });
      } else if (rule.action === 'pause_action_type' && kind) {
        await pauseKind(trx, { target, kind, event_id: id, created_at: now });
        effect = { paused: kind };
      }
      await appendAudit(trx, {
        type: 'breaker.tripped',
        actor: `breaker:${rule.name}`,
        at: now,
        payload: {
          event_id: id,
          rule: rule.name,
          target,
          action: rule.action,
          severity: rule.severity,
          condition: rule.condition,
          window: rule.window,
          metrics: m,
          ...effect,
        },
      });
      events.push({
        type: 'breaker.tripped',
        target,
        at: now,
        detail: { event_id: id, rule: rule.name, action: rule.action, severity: rule.severity },
      });
    });
    const row = await breakerEventById(deps.db, id);
    if (row) created.push(eventView(row, durationMs(rule.window)));
  }
  return created;
}

/** Marks an event resolved and lifts a pause it caused; a lowered level stays lowered. */
export async function resolveEvent(
  deps: Deps,
  principal: Principal,
  id: string,
  reason: string,
): Promise<BreakerEvent> {
  requireReason(reason, 'resolve a breaker event');
  const now = deps.now();
  const done = await inTx(deps, async (trx, events) => {
    const row = await breakerEventById(trx, id);
    if (!row) throw new InterlockError('not_found', `no breaker event ${id}`, { field: 'id' });
    if (row.resolved_at !== null)
      throw new InterlockError('conflict', `breaker event ${id} was resolved already`, {
        field: 'id',
      });
    await resolveBreakerEvent(trx, id, { at: now, by: principal.id, reason });
    await appendAudit(trx, {
      type: 'breaker.resolved',
      actor: principal.id,
      at: now,
      payload: { event_id: id, rule: row.rule, target: row.target, reason },
    });
    events.push({
      type: 'breaker.resolved',
      target: row.target,
      at: now,
      detail: { event_id: id, rule: row.rule, by: principal.id },
    });
    return { id, rule: row.rule };
  });
  const row = await breakerEventById(deps.db, done.id);
  if (!row) throw new InterlockError('not_found', `no breaker event ${done.id}`, { field: 'id' });
  return eventView(row, (await ruleWindows(deps.db)).get(done.rule));
}
