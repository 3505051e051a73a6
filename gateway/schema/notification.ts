/**
 * Notifications: the events people are told about, and the one JSON shape every sink renders.
 * The outbox is written from audit records (audit/append.ts), so every notifiable event is one
 * the audit log holds, with the same time and sequence number.
 */
import { z } from 'zod';

export const NOTIFY_EVENTS = [
  'approval.pending',
  'veto.opened',
  'approval.expiring',
  'execution.failed',
  'breaker.tripped',
  'breaker.resolved',
  'estop.engaged',
  'estop.rearmed',
  'readiness.dropped',
  'readiness.restored',
] as const;

/** Routed by `notifications.routes`. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export const NotifyEventSchema = z.enum(NOTIFY_EVENTS);

/** A scheduled handoff report: sent to its schedule's own sinks, never through the routes. */
export const REPORT_EVENT = 'report.handoff';
export const NoticeEventSchema = z.enum([...NOTIFY_EVENTS, REPORT_EVENT]);
export type NoticeEvent = z.infer<typeof NoticeEventSchema>;

// The circuit breakers' scale, so a route filters both alike.
export const SEVERITIES = ['info', 'warning', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SeveritySchema = z.enum(SEVERITIES);

/** The audit record types that start a notification, and the event each one is. */
const FROM_AUDIT: Record<string, NotifyEvent> = {
  'action.pending_approval': 'approval.pending',
  'action.pending_veto': 'veto.opened',
  'action.failed': 'execution.failed',
  'breaker.tripped': 'breaker.tripped',
  'breaker.resolved': 'breaker.resolved',
  'estop.engaged': 'estop.engaged',
  'estop.rearmed': 'estop.rearmed',
  'readiness.dropped': 'readiness.dropped',
  'readiness.restored': 'readiness.restored',
};

export function notifyEventOfAudit(type: string): NotifyEvent | undefined {
  return Object.hasOwn(FROM_AUDIT, type) ? FROM_AUDIT[type] : undefined;
}

/** What every sink receives (the webhook body as is; Slack and email render it). */
export const NotificationSchema = z.strictObject({
  /** Stable across retries and replicas: receivers deduplicate on it. */
  id: z.string(),
  event: NoticeEventSchema,
  severity: SeveritySchema,
  /** When the event happened (ISO 8601), the audit record's time. */
  at: z.string(),
  /** The audit record it came from; absent for clock events (approval.expiring). */
  audit_seq: z.number().int().optional(),
  title: z.string(),
  target: z.string().optional(),
  kind: z.string().optional(),
  level: z.string().optional(),
  action: z
    .strictObject({
      id: z.string(),
      label: z.string(),
      status: z.string(),
      /** Params as JSON, sensitive ones redacted, cut at the configured size (`params_truncated`). */
      params: z.string(),
      params_truncated: z.boolean(),
      reasons: z.array(z.string()),
      confidence: z.number().nullable(),
      expires_at: z.string().nullable(),
    })
    .optional(),
  detail: z.record(z.string(), z.unknown()),
  /** A scheduled handoff report (report.handoff): its window and its Markdown, size-capped. */
  report: z
    .strictObject({
      name: z.string(),
      from: z.string(),
      to: z.string(),
      markdown: z.string(),
      markdown_truncated: z.boolean(),
    })
    .optional(),
  /** Made during a declared unattended window (notifications.unattended). */
  unattended: z.boolean(),
  /** The console card or page for it, when a console URL is configured. */
  link: z.string().optional(),
});

export type Notification = z.infer<typeof NotificationSchema>;
