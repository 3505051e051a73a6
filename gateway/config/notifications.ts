/**
 * The `notifications` section of interlock.yaml: where people are told that something needs
 * them (webhooks, Slack, email), which events go where, and when nobody is watching.
 * Secrets (HMAC keys, Slack URLs, SMTP passwords) are named by environment variable, never
 * written in the file.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { NotifyEventSchema, SeveritySchema } from '../schema/notification.ts';

const SinkName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
  .max(64);
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);
const HttpUrl = z.url({ protocol: /^https?$/ });

const common = {
  name: SinkName,
  /** One attempt's limit; a sink that hangs costs its worker this long, never a decision. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
};

const WebhookSinkSchema = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: HttpUrl,
  /** The environment variable holding the HMAC-SHA256 key (docs/notifications.md#verifying). */
  secretEnv: EnvName,
});

const SlackSinkSchema = z
  .strictObject({
    ...common,
    type: z.literal('slack'),
    /** An incoming-webhook URL is a credential: prefer urlEnv. */
    url: HttpUrl.optional(),
    urlEnv: EnvName.optional(),
  })
  .refine((s) => (s.url === undefined) !== (s.urlEnv === undefined), {
    message: 'give exactly one of url and urlEnv',
    path: ['url'],
  });

const EmailSinkSchema = z.strictObject({
  ...common,
  type: z.literal('email'),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the relay offers it. */
    secure: z.boolean().default(false),
    user: z.string().min(1).optional(),
    passwordEnv: EnvName.optional(),
  }),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
});

export const SinkSchema = z.discriminatedUnion('type', [
  WebhookSinkSchema,
  SlackSinkSchema,
  EmailSinkSchema,
]);
export type SinkConfig = z.output<typeof SinkSchema>;

const RouteSchema = z.strictObject({
  /** Default: every event. */
  events: z.array(NotifyEventSchema).min(1).optional(),
  sinks: z.array(SinkName).min(1),
  /** Filters; an absent one matches everything, an event without the field matches none. */
  targets: z.array(z.string().min(1)).min(1).optional(),
  kinds: z.array(z.string().min(1)).min(1).optional(),
  severities: z.array(SeveritySchema).min(1).optional(),
  levels: z.array(z.string().min(1)).min(1).optional(),
});
export type RouteConfig = z.output<typeof RouteSchema>;

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour');

const UnattendedSchema = z.strictObject({
  /** Default: every target. */
  targets: z.array(z.string().min(1)).min(1).optional(),
  /** A daily window in the configured time zone; from > to spans midnight. Absent: always. */
  from: HHMM.optional(),
  to: HHMM.optional(),
});
export type UnattendedConfig = z.output<typeof UnattendedSchema>;

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as 12h, 30m or 7d, to milliseconds (at most 31 days). */
const WindowSchema = z
  .string()
  .regex(/^[1-9]\d{0,5}[mhd]$/, 'a duration such as 30m, 12h or 7d')
  .transform((v) => Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS])
  .refine((ms) => ms <= 31 * 86_400_000, 'at most 31 days');

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week) or a nickname
 * (@daily, @hourly); no seconds field, so a report is sent at most once a minute.
 */
const CronSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((expr) => {
    if (!expr.startsWith('@') && expr.trim().split(/\s+/).length !== 5) return false;
    try {
      const cron = new Cron(expr, { paused: true });
      // A date that never comes (30 February) would be a schedule that never sends.
      const fires = cron.nextRun() !== null;
      cron.stop();
      return fires;
    } catch {
      return false;
    }
  }, 'not a cron expression (minute hour day-of-month month day-of-week, e.g. "0 7 * * *")');

const ReportScheduleSchema = z.strictObject({
  name: SinkName,
  /** When to send, in the configured time zone. */
  cron: CronSchema,
  /** The report covers this long up to the moment it is due (12h: the night before 07:00). */
  window: WindowSchema,
  sinks: z.array(SinkName).min(1),
});
export type ReportScheduleConfig = z.output<typeof ReportScheduleSchema>;

export const NotificationsSchema = z
  .strictObject({
    /** The console's public base URL, for deep links (e.g. https://interlock.example.com). */
    consoleUrl: HttpUrl.optional(),
    sinks: z.array(SinkSchema).default([]),
    routes: z.array(RouteSchema).default([]),
    /** Warn this long before a pending approval expires (approval.expiring). */
    expiryWarningSeconds: z.number().int().min(1).max(86_400).default(60),
    /** Params in a notification are cut at this many bytes of JSON. */
    paramsMaxBytes: z.number().int().min(64).max(16_384).default(1024),
    retry: z
      .strictObject({
        initialMs: z.number().int().min(10).max(60_000).default(1_000),
        maxMs: z.number().int().min(10).max(3_600_000).default(60_000),
        /** After this long failing, a delivery is given up (dead) and shown on the Status page. */
        giveUpAfterMs: z
          .number()
          .int()
          .min(1_000)
          .max(30 * 86_400_000)
          .default(86_400_000),
      })
      .prefault({}),
    /**
     * How often this process checks its own readiness; a drop is recorded (readiness.dropped)
     * once two checks in a row fail.
     */
    readinessCheckMs: z.number().int().min(50).max(600_000).default(5_000),
    /** How often the outbox is checked when no local event wakes the worker. */
    pollMs: z.number().int().min(10).max(60_000).default(500),
    unattended: z.array(UnattendedSchema).default([]),
    /** Handoff reports sent on a schedule (the radio station's morning handoff). */
    reports: z.array(ReportScheduleSchema).default([]),
  })
  .superRefine((n, ctx) => {
    // Each name once per list; the set of names, for the references to check against.
    const unique = (
      what: string,
      list: 'sinks' | 'reports',
      items: readonly { name: string }[],
    ) => {
      const names = new Set<string>();
      items.forEach((item, i) => {
        if (names.has(item.name))
          ctx.addIssue({
            code: 'custom',
            message: `${what} ${item.name} is defined twice`,
            path: [list, i, 'name'],
          });
        names.add(item.name);
      });
      return names;
    };
    const names = unique('sink', 'sinks', n.sinks);
    unique('report', 'reports', n.reports);
    const sinkKnown = (s: string, path: (string | number)[]) => {
      if (!names.has(s)) ctx.addIssue({ code: 'custom', message: `no sink named ${s}`, path });
    };
    n.routes.forEach((r, i) => r.sinks.forEach((s, j) => sinkKnown(s, ['routes', i, 'sinks', j])));
    n.reports.forEach((r, i) =>
      r.sinks.forEach((s, j) => sinkKnown(s, ['reports', i, 'sinks', j])),
    );
  });
export type NotificationsConfig = z.output<typeof NotificationsSchema>;
