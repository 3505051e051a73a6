/**
 * Composes the one notification body every sink renders, from the audit record that raised it
 * and the action it is about. Done once per event (the worker stores the result), so every sink
 * and every retry sends the same thing.
 */
import { actionLabel, clip } from '../decide/action-label.ts';
import type { CatalogEntry } from '../schema/catalog.ts';
import type { Notification, NotifyEvent, Severity } from '../schema/notification.ts';
import type { ActionsTable } from '../store/types.ts';
import { redactParams, summarizeParams } from './params-summary.ts';
import { parseJsonObject } from './json-object.ts';

export interface ComposeInput {
  id: string;
  event: NotifyEvent;
  at: number;
  auditSeq: number | null;
  /** The audit record's actor and payload; absent for clock events. */
  record?: { actor: string; payload: Record<string, unknown> };
  action?: ActionsTable;
  entry?: CatalogEntry;
  /** The level in force on the target when the event is not about one action. */
  level?: string;
  unattended: boolean;
  consoleUrl?: string;
  paramsMaxBytes: number;
}

// Free text from the record (reasons, a stop's reason) is cut here; Slack and email cut again.
const TEXT_MAX = 500;

export function composeNotification(input: ComposeInput): Notification {
  const { action, record } = input;
  const payload = record?.payload ?? {};
  const target = action?.target ?? str(payload.target);
  const base = {
    id: input.id,
    event: input.event,
    at: new Date(input.at).toISOString(),
    ...(input.auditSeq !== null ? { audit_seq: input.auditSeq } : {}),
    unattended: input.unattended,
  };
  if (action) {
    const params = parseJsonObject(action.params);
    // The label fills the catalog's template, or lists the params: from the redacted ones only.
    const shown = redactParams(params, input.entry);
    const label = clip(actionLabel(action.kind, action.target, shown, input.entry), 300);
    const summary = summarizeParams(params, input.entry, input.paramsMaxBytes);
    const reason = str(payload.reason) ?? action.status_reason ?? '';
    return {
      ...base,
      severity: actionSeverity(input.event, input.entry),
      title: `${ACTION_TITLES[input.event] ?? input.event}: ${label}`,
      target: action.target,
      kind: action.kind,
      level: action.level,
      action: {
        id: action.id,
        label,
        // The status when composed: a decision already made is not asked for again.
        status: action.status,
        params: summary.text,
        params_truncated: summary.truncated,
        reasons: reason
          .split('; ')
          .filter((r) => r.length > 0)
          .slice(0, 10)
          .map((r) => clip(r, TEXT_MAX)),
        confidence: action.confidence === null ? null : Number(action.confidence),
        expires_at:
          action.expires_at === null ? null : new Date(Number(action.expires_at)).toISOString(),
      },
      detail: pick(payload, ['from', 'to', 'decision_id']),
      ...(input.consoleUrl ? { link: `${input.consoleUrl}/console/actions/${action.id}` } : {}),
    };
  }
  const actor = record?.actor ?? 'system';
  return {
    ...base,
    severity: otherSeverity(input.event, str(payload.severity)),
    title: otherTitle(input.event, payload, actor, target),
    ...(target !== undefined ? { target } : {}),
    ...(input.level !== undefined ? { level: input.level } : {}),
    detail: {
      ...pick(payload, [
        'rule',
        'action',
        'severity',
        'condition',
        'window',
        'reason',
        'event_id',
        'instance',
        'failing',
        'since',
        'down_ms',
      ]),
      actor,
    },
    ...(input.consoleUrl ? { link: `${input.consoleUrl}/console/status` } : {}),
  };
}

const ACTION_TITLES: Partial<Record<NotifyEvent, string>> = {
  'approval.pending': 'Approval needed',
  'veto.opened': 'Veto window open',
  'approval.expiring': 'Approval expires soon',
  'execution.failed': 'Execution failed',
};

function otherTitle(
  event: NotifyEvent,
  payload: Record<string, unknown>,
  actor: string,
  target: string | undefined,
): string {
  const rule = str(payload.rule) ?? '?';
  const on = target ? ` on ${target}` : '';
  switch (event) {
    case 'breaker.tripped':
      return `Circuit breaker ${rule} tripped${on}`;
    case 'breaker.resolved':
      return `Circuit breaker ${rule} resolved${on}`;
    case 'estop.engaged':
      return `Emergency stop engaged by ${actor}`;
    case 'estop.rearmed':
      return `Emergency stop rearmed by ${actor}`;
    case 'readiness.dropped':
      return `Gateway ${str(payload.instance) ?? '?'} not ready: ${str(payload.failing) ?? '?'}`;
    case 'readiness.restored':
      return `Gateway ${str(payload.instance) ?? '?'} ready again after ${Math.round(Number(payload.down_ms) / 1000)} s`;
    default:
      return `${event}${on}`;
  }
}

/** An action's severity follows its kind's risk; a failure or a near expiry is at least a warning. */
function actionSeverity(event: NotifyEvent, entry: CatalogEntry | undefined): Severity {
  const byRisk: Record<string, Severity> = {
    low: 'info',
    medium: 'info',
    high: 'high',
    critical: 'critical',
  };
  const s = byRisk[entry?.risk ?? 'medium'] ?? 'info';
  const urgent = event === 'execution.failed' || event === 'approval.expiring';
  return urgent && s === 'info' ? 'warning' : s;
}

function otherSeverity(event: NotifyEvent, ruleSeverity: string | undefined): Severity {
  if (event === 'estop.engaged') return 'critical';
  if (event === 'estop.rearmed') return 'warning';
  if (event === 'breaker.resolved' || event === 'readiness.restored') return 'info';
  if (event === 'readiness.dropped') return 'high';
  const known: readonly string[] = ['info', 'warning', 'high', 'critical'];
  return ruleSeverity !== undefined && known.includes(ruleSeverity)
    ? (ruleSeverity as Severity)
    : 'warning';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? clip(v, TEXT_MAX) : undefined;
}

/** Only small scalar facts travel; anything else in the record stays in the audit log. */
function pick(payload: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = payload[k];
    if (typeof v === 'string') out[k] = clip(v, TEXT_MAX);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
